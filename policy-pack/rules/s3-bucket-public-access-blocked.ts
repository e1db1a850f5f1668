// Rule "s3-bucket-public-access-blocked". Only types come from @pulumi/policy: see ../policies.ts.
import type { StackValidationPolicy } from "@pulumi/policy";
import { bucketLabel, forEachBucket } from "../helpers/buckets";
import { ResourceTypes } from "../helpers/resource-types";
import { known, UNKNOWN } from "../helpers/unknown-values";

const PUBLIC_ACCESS_FLAGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
] as const;

export const s3BucketPublicAccessBlocked: StackValidationPolicy = {
  name: "s3-bucket-public-access-blocked",
  description:
    "Every S3 bucket has a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, " +
    "ignorePublicAcls and restrictPublicBuckets all true.",
  validateStack: forEachBucket(
    [ResourceTypes.s3BucketPublicAccessBlock],
    (bucket, blocks, report) => {
      if (blocks.length === 0) {
        report(`${bucketLabel(bucket)} has no aws.s3.BucketPublicAccessBlock.`);
        return;
      }
      // AWS allows one public access block per bucket; with several, the best one counts.
      const offPerBlock = blocks.map((b) =>
        PUBLIC_ACCESS_FLAGS.filter((f) => {
          const v = known(() => b.props[f] as unknown);
          return v !== true && v !== UNKNOWN;
        }),
      );
      const off = offPerBlock.reduce((a, b) => (b.length < a.length ? b : a));
      if (off.length > 0) {
        report(
          `${bucketLabel(bucket)}: its BucketPublicAccessBlock does not set ` +
            `${off.join(", ")} to true.`,
        );
      }
    },
  ),
};
