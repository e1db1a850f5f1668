// Rule "ecr-repository-policy-size": repository policies fit ECR's length limit.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import {
  ecrRepositoryPolicySize,
  MAX_REPOSITORY_POLICY_LENGTH,
} from "../../../policy-pack/rules/ecr-repository-policy-size";
import { assertNoViolations, checkResource, describeRule, policyDocument, T } from "../fixtures";

describeRule(ecrRepositoryPolicySize, () => {
  function policyOfLength(length: number): string {
    const base = policyDocument({ Sid: "", Effect: "Allow", Action: "ecr:BatchGetImage" });
    const padded = base.replace('"Sid":""', `"Sid":"${"x".repeat(length - base.length)}"`);
    assert.strictEqual(padded.length, length);
    return padded;
  }

  it("passes a policy of exactly 10,240 characters", async () => {
    assertNoViolations(
      await checkResource(ecrRepositoryPolicySize, T.ecrRepositoryPolicy, {
        repository: "api",
        policy: policyOfLength(MAX_REPOSITORY_POLICY_LENGTH),
      }),
    );
  });

  it("fails a policy one character longer", async () => {
    assert.deepStrictEqual(
      await checkResource(ecrRepositoryPolicySize, T.ecrRepositoryPolicy, {
        repository: "api",
        policy: policyOfLength(MAX_REPOSITORY_POLICY_LENGTH + 1),
      }),
      [
        "the repository policy is 10241 characters long; ECR accepts at most 10240. " +
          "Grant whole accounts or organisational units instead of listing many principals.",
      ],
    );
  });

  it("measures a policy given as an object by its JSON", async () => {
    const principals = Array.from(
      { length: 400 },
      (_, i) => `arn:aws:iam::${100000000000 + i}:root`,
    );
    const policy = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: principals }, Action: "ecr:BatchGetImage" }],
    };
    const messages = await checkResource(ecrRepositoryPolicySize, T.ecrRepositoryPolicy, {
      policy,
    });
    assert.strictEqual(messages.length, 1);
    assert.match(messages[0], /^the repository policy is 1\d{4} characters long/);
  });
});
