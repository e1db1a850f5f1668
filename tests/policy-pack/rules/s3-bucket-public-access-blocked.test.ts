// Rule "s3-bucket-public-access-blocked": every bucket blocks public access.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import { s3BucketPublicAccessBlocked } from "../../../policy-pack/rules/s3-bucket-public-access-blocked";
import {
  assertNoViolations,
  BUCKET,
  BUCKET_URN,
  cacheBucketStack,
  checkStack,
  describeRule,
  stackResource,
  T,
  UNKNOWN_STRING,
  urnOf,
  withUnknowns,
} from "../fixtures";

describeRule(s3BucketPublicAccessBlocked, () => {
  it("passes a bucket whose public access block sets all four flags", async () => {
    assertNoViolations(await checkStack(s3BucketPublicAccessBlocked, cacheBucketStack()));
  });

  it("fails a bucket without a public access block", async () => {
    assert.deepStrictEqual(
      await checkStack(s3BucketPublicAccessBlocked, cacheBucketStack({ publicAccessBlock: null })),
      [
        {
          message: `bucket "cache" (${BUCKET}) has no aws.s3.BucketPublicAccessBlock.`,
          urn: BUCKET_URN,
        },
      ],
    );
  });

  it("fails a public access block with a flag left false or unset", async () => {
    const stack = cacheBucketStack({
      publicAccessBlock: { restrictPublicBuckets: false, ignorePublicAcls: undefined },
    });
    assert.deepStrictEqual(await checkStack(s3BucketPublicAccessBlocked, stack), [
      {
        message:
          `bucket "cache" (${BUCKET}): its BucketPublicAccessBlock does not set ` +
          "ignorePublicAcls, restrictPublicBuckets to true.",
        urn: BUCKET_URN,
      },
    ]);
  });

  it("fails a bucket when the only public access block belongs to another bucket", async () => {
    const other = stackResource(T.s3Bucket, "other", {
      bucket: "other-bucket",
      id: "other-bucket",
    });
    const stack = cacheBucketStack({ publicAccessBlock: null });
    stack.push(
      other,
      stackResource(
        T.s3BucketPublicAccessBlock,
        "other-public-access",
        {
          bucket: "other-bucket",
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        { bucket: [other] },
      ),
    );
    const violations = await checkStack(s3BucketPublicAccessBlocked, stack);
    assert.deepStrictEqual(
      violations.map((v) => v.urn),
      [BUCKET_URN],
    );
  });

  it("matches by bucket name when there are no property dependencies (e.g. an import)", async () => {
    const bucket = stackResource(T.s3Bucket, "cache", { bucket: BUCKET, id: BUCKET });
    const block = stackResource(T.s3BucketPublicAccessBlock, "pab", {
      bucket: BUCKET,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    assertNoViolations(await checkStack(s3BucketPublicAccessBlocked, [bucket, block]));
  });

  it("in preview, matches a block whose bucket name is still unknown by its dependency", async () => {
    const bucket = stackResource(
      T.s3Bucket,
      "cache",
      withUnknowns({ bucket: BUCKET, id: UNKNOWN_STRING }),
    );
    const block = stackResource(
      T.s3BucketPublicAccessBlock,
      "pab",
      withUnknowns({
        bucket: UNKNOWN_STRING,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: false,
      }),
      { bucket: [bucket] },
    );
    assert.deepStrictEqual(await checkStack(s3BucketPublicAccessBlocked, [bucket, block]), [
      {
        message: `bucket "cache" (${BUCKET}): its BucketPublicAccessBlock does not set restrictPublicBuckets to true.`,
        urn: urnOf(T.s3Bucket, "cache"),
      },
    ]);
  });
});
