// Rule "ecr-repository-scan-on-push": repositories scan on push.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import { ecrRepositoryScanOnPush } from "../../../policy-pack/rules/ecr-repository-scan-on-push";
import { assertNoViolations, checkResource, describeRule, T } from "../fixtures";

describeRule(ecrRepositoryScanOnPush, () => {
  it("passes a repository scanning on push", async () => {
    assertNoViolations(
      await checkResource(ecrRepositoryScanOnPush, T.ecrRepository, {
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
      }),
    );
  });

  it("fails a repository that does not scan on push", async () => {
    const message = "imageScanningConfiguration.scanOnPush is not true; scan every pushed image.";
    for (const props of [{ imageScanningConfiguration: { scanOnPush: false } }, {}]) {
      assert.deepStrictEqual(await checkResource(ecrRepositoryScanOnPush, T.ecrRepository, props), [
        message,
      ]);
    }
  });
});
