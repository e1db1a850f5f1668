// Rule "kms-key-rotated": KMS keys rotate.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import { kmsKeyRotated } from "../../../policy-pack/rules/kms-key-rotated";
import { assertNoViolations, checkResource, describeRule, T } from "../fixtures";

describeRule(kmsKeyRotated, () => {
  it("passes a rotated key and fails one that is not", async () => {
    assertNoViolations(await checkResource(kmsKeyRotated, T.kmsKey, { enableKeyRotation: true }));
    assert.deepStrictEqual(await checkResource(kmsKeyRotated, T.kmsKey, {}), [
      "enableKeyRotation is not true; turn on automatic rotation.",
    ]);
  });
});
