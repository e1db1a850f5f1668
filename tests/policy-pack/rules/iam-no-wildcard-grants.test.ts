// Rule "iam-no-wildcard-grants": Allow statements list their actions and name their resources.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import { noWildcardGrants } from "../../../policy-pack/rules/iam-no-wildcard-grants";
import {
  ACCOUNT,
  assertNoViolations,
  BUCKET,
  BUCKET_ARN,
  cacheRolePolicy,
  checkResource,
  describeRule,
  ecrPullStatements,
  policyDocument,
  REPOSITORY_ARN,
  s3StarOnObjectsOnly,
  T,
  tlsDenyStatement,
  UNKNOWN_STRING,
  withUnknowns,
} from "../fixtures";

describeRule(noWildcardGrants, () => {
  it("passes the cache role's grant, GetAuthorizationToken on * included", async () => {
    assertNoViolations(
      await checkResource(noWildcardGrants, T.iamRolePolicy, {
        role: "cache",
        policy: cacheRolePolicy,
      }),
    );
  });

  it("passes a node role policy given as an object rather than JSON", async () => {
    const policy = { Version: "2012-10-17", Statement: ecrPullStatements };
    assertNoViolations(
      await checkResource(noWildcardGrants, T.iamRolePolicy, { role: "node", policy }),
    );
  });

  it("passes a bucket policy whose s3:* is in a Deny", async () => {
    const policy = policyDocument(tlsDenyStatement);
    assertNoViolations(
      await checkResource(noWildcardGrants, T.s3BucketPolicy, { bucket: BUCKET, policy }),
    );
  });

  it("passes a repository policy granting pull actions to an account", async () => {
    const policy = policyDocument({
      Sid: "ConsumerPull",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    });
    assertNoViolations(
      await checkResource(noWildcardGrants, T.ecrRepositoryPolicy, { repository: "api", policy }),
    );
  });

  it("fails service:* and * actions", async () => {
    const policy = policyDocument(
      { Sid: "Registry", Effect: "Allow", Action: ["ecr:*"], Resource: REPOSITORY_ARN },
      { Effect: "Allow", Action: "*", Resource: BUCKET_ARN },
    );
    assert.deepStrictEqual(await checkResource(noWildcardGrants, T.iamPolicy, { policy }), [
      'statement 0 (Registry) allows wildcard action(s) "ecr:*"; list the actions it needs.',
      'statement 1 allows wildcard action(s) "*"; list the actions it needs.',
    ]);
  });

  it("fails a repository policy allowing ecr:*", async () => {
    const policy = policyDocument({
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "ecr:*",
    });
    assert.deepStrictEqual(
      await checkResource(noWildcardGrants, T.ecrRepositoryPolicy, { repository: "api", policy }),
      ['statement 0 allows wildcard action(s) "ecr:*"; list the actions it needs.'],
    );
  });

  it('fails Resource "*" for anything but ecr:GetAuthorizationToken', async () => {
    const policy = policyDocument({
      Sid: "Pull",
      Effect: "Allow",
      Action: ["ecr:GetAuthorizationToken", "ecr:BatchGetImage"],
      Resource: "*",
    });
    assert.deepStrictEqual(await checkResource(noWildcardGrants, T.iamRolePolicy, { policy }), [
      'statement 0 (Pull) allows Resource "*" for "ecr:BatchGetImage"; only ' +
        'ecr:GetAuthorizationToken may use Resource "*": name the repository, bucket or ' +
        "object ARNs instead.",
    ]);
  });

  it("fails Allow with NotAction or NotResource", async () => {
    const policy = policyDocument(
      { Effect: "Allow", NotAction: "iam:*", Resource: BUCKET_ARN },
      { Effect: "Allow", Action: "s3:GetObject", NotResource: `${BUCKET_ARN}/private/*` },
    );
    assert.deepStrictEqual(await checkResource(noWildcardGrants, T.iamRolePolicy, { policy }), [
      "statement 0 combines Allow with NotAction, which allows every other action.",
      "statement 1 combines Allow with NotResource, which allows every other resource.",
    ]);
  });

  it("fails s3:* granted on bucket/* only", async () => {
    assert.deepStrictEqual(
      await checkResource(noWildcardGrants, T.iamPolicy, { policy: s3StarOnObjectsOnly }),
      ['statement 0 allows wildcard action(s) "s3:*"; list the actions it needs.'],
    );
  });

  it("fails a policy that is not JSON", async () => {
    const messages = await checkResource(noWildcardGrants, T.iamRolePolicy, {
      policy: "{ not json",
    });
    assert.strictEqual(messages.length, 1);
    assert.match(messages[0], /^policy is not valid JSON \(/);
  });

  it("leaves an unknown policy to the SDK, which reports it as not checkable in preview", async () => {
    await assert.rejects(
      checkResource(
        noWildcardGrants,
        T.iamRolePolicy,
        withUnknowns({ role: "r", policy: UNKNOWN_STRING }),
      ),
      (e: Error) => e.constructor.name === "UnknownValueError",
    );
  });

  it("ignores resources that carry no policy document", async () => {
    assertNoViolations(await checkResource(noWildcardGrants, T.ecrRepository, { policy: "*" }));
  });
});
