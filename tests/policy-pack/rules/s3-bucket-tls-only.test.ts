// Rule "s3-bucket-tls-only": every bucket denies requests without TLS.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import { s3BucketTlsOnly } from "../../../policy-pack/rules/s3-bucket-tls-only";
import {
  ACCOUNT,
  assertNoViolations,
  BUCKET,
  BUCKET_ARN,
  BUCKET_URN,
  cacheBucketStack,
  checkStack,
  describeRule,
  policyDocument,
  stackResource,
  T,
  tlsDenyStatement,
  UNKNOWN_STRING,
  withUnknowns,
} from "../fixtures";

describeRule(s3BucketTlsOnly, () => {
  const tlsMessage =
    `bucket "cache" (${BUCKET}): its BucketPolicy does not deny requests without TLS ` +
    '(need Effect "Deny", Principal "*", Action "s3:*" on the bucket ARN and ' +
    '"<bucket ARN>/*", Condition Bool "aws:SecureTransport" = "false").';

  it("passes a bucket policy denying s3:* when aws:SecureTransport is false", async () => {
    assertNoViolations(await checkStack(s3BucketTlsOnly, cacheBucketStack()));
  });

  it("passes the deny given as an object, with a boolean false and AWS: *", async () => {
    const statement = {
      ...tlsDenyStatement,
      Principal: { AWS: "*" },
      Condition: { Bool: { "aws:SecureTransport": false } },
    };
    const policy = { Version: "2012-10-17", Statement: [statement] };
    assertNoViolations(
      await checkStack(s3BucketTlsOnly, cacheBucketStack({ bucketPolicy: { policy } })),
    );
  });

  it("fails a bucket without a bucket policy", async () => {
    assert.deepStrictEqual(
      await checkStack(s3BucketTlsOnly, cacheBucketStack({ bucketPolicy: null })),
      [
        {
          message: `bucket "cache" (${BUCKET}) has no aws.s3.BucketPolicy denying requests without TLS.`,
          urn: BUCKET_URN,
        },
      ],
    );
  });

  it("fails a bucket policy without the TLS deny", async () => {
    const policy = policyDocument({
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "s3:GetObject",
      Resource: `${BUCKET_ARN}/*`,
    });
    assert.deepStrictEqual(
      await checkStack(s3BucketTlsOnly, cacheBucketStack({ bucketPolicy: { policy } })),
      [{ message: tlsMessage, urn: BUCKET_URN }],
    );
  });

  it("fails a deny that only covers the objects, or tests SecureTransport = true", async () => {
    const objectsOnly = policyDocument({ ...tlsDenyStatement, Resource: `${BUCKET_ARN}/*` });
    const inverted = policyDocument({
      ...tlsDenyStatement,
      Condition: { Bool: { "aws:SecureTransport": "true" } },
    });
    for (const policy of [objectsOnly, inverted]) {
      assert.deepStrictEqual(
        await checkStack(s3BucketTlsOnly, cacheBucketStack({ bucketPolicy: { policy } })),
        [{ message: tlsMessage, urn: BUCKET_URN }],
      );
    }
  });

  it("in preview, accepts a bucket policy whose document is not known yet", async () => {
    const stack = cacheBucketStack({ bucketPolicy: null });
    stack.push(
      stackResource(
        T.s3BucketPolicy,
        "cache-policy",
        withUnknowns({ bucket: UNKNOWN_STRING, policy: UNKNOWN_STRING }),
        { bucket: [stack[0]] },
      ),
    );
    assertNoViolations(await checkStack(s3BucketTlsOnly, stack));
  });
});
