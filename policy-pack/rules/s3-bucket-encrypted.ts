// Rule "s3-bucket-encrypted". Only types come from @pulumi/policy: see ../policies.ts.
import type { StackValidationPolicy } from "@pulumi/policy";
import { bucketLabel, forEachBucket } from "../helpers/buckets";
import { ResourceTypes } from "../helpers/resource-types";
import { known, UNKNOWN } from "../helpers/unknown-values";

const SSE_ALGORITHMS = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

export const s3BucketEncrypted: StackValidationPolicy = {
  name: "s3-bucket-encrypted",
  description:
    "Every S3 bucket has a BucketServerSideEncryptionConfiguration with a default " +
    "encryption rule (AES256, aws:kms or aws:kms:dsse).",
  validateStack: forEachBucket(
    [ResourceTypes.s3BucketSse, ResourceTypes.s3BucketSseV2],
    (bucket, configs, report) => {
      if (configs.length === 0) {
        report(`${bucketLabel(bucket)} has no aws.s3.BucketServerSideEncryptionConfiguration.`);
        return;
      }
      const ok = configs.some((c) => {
        const rules = known(() => asRuleList(c.props["rules"]));
        if (rules === UNKNOWN) {
          return true;
        }
        return rules.some((r) => {
          const algorithm = known(() => r?.applyServerSideEncryptionByDefault?.sseAlgorithm);
          return (
            algorithm === UNKNOWN ||
            (typeof algorithm === "string" && SSE_ALGORITHMS.has(algorithm))
          );
        });
      });
      if (!ok) {
        report(
          `${bucketLabel(bucket)}: its server-side encryption configuration has no ` +
            "rule with applyServerSideEncryptionByDefault.sseAlgorithm " +
            "AES256, aws:kms or aws:kms:dsse.",
        );
      }
    },
  ),
};

interface SseRule {
  applyServerSideEncryptionByDefault?: { sseAlgorithm?: unknown };
}

function asRuleList(value: unknown): (SseRule | undefined)[] {
  return Array.isArray(value) ? (value as (SseRule | undefined)[]) : [];
}
