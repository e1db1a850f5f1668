// Rule "s3-bucket-encrypted": every bucket has default server-side encryption.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import { s3BucketEncrypted } from "../../../policy-pack/rules/s3-bucket-encrypted";
import {
  assertNoViolations,
  BUCKET,
  BUCKET_URN,
  cacheBucketStack,
  checkStack,
  describeRule,
  stackResource,
  T,
} from "../fixtures";

describeRule(s3BucketEncrypted, () => {
  it("passes a bucket with a KMS default encryption rule", async () => {
    assertNoViolations(await checkStack(s3BucketEncrypted, cacheBucketStack()));
  });

  it("passes the V2 resource type with AES256", async () => {
    const stack = cacheBucketStack({ encryption: null });
    stack.push(
      stackResource(
        T.s3BucketSseV2,
        "cache-sse",
        {
          bucket: BUCKET,
          rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        },
        { bucket: [stack[0]] },
      ),
    );
    assertNoViolations(await checkStack(s3BucketEncrypted, stack));
  });

  it("fails a bucket without an encryption configuration", async () => {
    assert.deepStrictEqual(
      await checkStack(s3BucketEncrypted, cacheBucketStack({ encryption: null })),
      [
        {
          message: `bucket "cache" (${BUCKET}) has no aws.s3.BucketServerSideEncryptionConfiguration.`,
          urn: BUCKET_URN,
        },
      ],
    );
  });

  it("fails an encryption configuration without a default encryption rule", async () => {
    const stack = cacheBucketStack({ encryption: { rules: [{ bucketKeyEnabled: true }] } });
    assert.deepStrictEqual(await checkStack(s3BucketEncrypted, stack), [
      {
        message:
          `bucket "cache" (${BUCKET}): its server-side encryption configuration has no ` +
          "rule with applyServerSideEncryptionByDefault.sseAlgorithm AES256, aws:kms or aws:kms:dsse.",
        urn: BUCKET_URN,
      },
    ]);
  });
});
