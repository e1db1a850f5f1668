// Rule "s3-grant-resource-levels": S3 bucket-level actions on bucket ARNs, object-level actions
// on object ARNs.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import { s3GrantResourceLevels } from "../../../policy-pack/rules/s3-grant-resource-levels";
import {
  assertNoViolations,
  BUCKET_ARN,
  cacheRolePolicy,
  checkResource,
  describeRule,
  policyDocument,
  s3StarOnObjectsOnly,
  T,
  tlsDenyStatement,
} from "../fixtures";

describeRule(s3GrantResourceLevels, () => {
  it("passes bucket-level actions on the bucket ARN and object-level ones on bucket/*", async () => {
    assertNoViolations(
      await checkResource(s3GrantResourceLevels, T.iamRolePolicy, {
        role: "cache",
        policy: cacheRolePolicy,
      }),
    );
  });

  it("fails every S3 action granted on bucket/* only (the registry answered HTTP 500)", async () => {
    const messages = await checkResource(s3GrantResourceLevels, T.iamPolicy, {
      policy: s3StarOnObjectsOnly,
    });
    assert.deepStrictEqual(messages, [
      'statement 0 grants bucket-level action(s) "s3:*" on object ARN(s) ' +
        '"arn:aws:s3:::flypenguin.docker-registry/*" and names no bucket ARN, so these ' +
        "actions are never allowed; give bucket-level actions their own statement on the " +
        'bucket ARN "arn:aws:s3:::<bucket>".',
    ]);
  });

  it("fails ListBucket next to GetObject on bucket/* only", async () => {
    const policy = policyDocument({
      Sid: "Cache",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
      Resource: [`${BUCKET_ARN}/*`],
    });
    assert.deepStrictEqual(
      await checkResource(s3GrantResourceLevels, T.iamRolePolicy, { policy }),
      [
        'statement 0 (Cache) grants bucket-level action(s) "s3:ListBucket" on object ARN(s) ' +
          `"${BUCKET_ARN}/*" and names no bucket ARN, so these actions are never allowed; ` +
          'give bucket-level actions their own statement on the bucket ARN "arn:aws:s3:::<bucket>".',
      ],
    );
  });

  it("fails object-level actions on the bucket ARN only", async () => {
    const policy = policyDocument({
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:AbortMultipartUpload"],
      Resource: BUCKET_ARN,
    });
    assert.deepStrictEqual(
      await checkResource(s3GrantResourceLevels, T.iamRolePolicy, { policy }),
      [
        'statement 0 grants object-level action(s) "s3:GetObject", "s3:AbortMultipartUpload" ' +
          `on bucket ARN(s) "${BUCKET_ARN}" and names no object ARN, so these actions are ` +
          'never allowed; give object-level actions their own statement on "arn:aws:s3:::<bucket>/*".',
      ],
    );
  });

  it("fails one statement mixing both levels on both ARNs", async () => {
    const policy = policyDocument({
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:GetObject"],
      Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
    });
    assert.deepStrictEqual(
      await checkResource(s3GrantResourceLevels, T.s3BucketPolicy, { policy }),
      [
        `statement 0 grants bucket-level action(s) "s3:ListBucket" on object ARN(s) "${BUCKET_ARN}/*"; ` +
          'give bucket-level actions their own statement on the bucket ARN "arn:aws:s3:::<bucket>".',
        `statement 0 grants object-level action(s) "s3:GetObject" on bucket ARN(s) "${BUCKET_ARN}"; ` +
          'give object-level actions their own statement on "arn:aws:s3:::<bucket>/*".',
      ],
    );
  });

  it("ignores Deny statements (the TLS deny names both ARNs with s3:*)", async () => {
    const policy = policyDocument(tlsDenyStatement);
    assertNoViolations(await checkResource(s3GrantResourceLevels, T.s3BucketPolicy, { policy }));
  });
});
