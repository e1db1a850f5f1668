// Rule "s3-grant-resource-levels". Only types come from @pulumi/policy: see ../policies.ts.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { actionMatches } from "../helpers/actions";
import { asList, isAllow, label, quoteList, validatePolicyInput } from "../helpers/policy-document";
import { IDENTITY_POLICY_TYPES, ResourceTypes } from "../helpers/resource-types";
import { s3ArnLevel } from "../helpers/s3-arns";

// S3 actions whose resource is the bucket (arn:aws:s3:::bucket).
const S3_BUCKET_LEVEL_ACTIONS = [
  "ListBucket",
  "ListBucketVersions",
  "ListBucketMultipartUploads",
  "GetBucketLocation",
  "GetBucketAcl",
  "PutBucketAcl",
  "GetBucketPolicy",
  "PutBucketPolicy",
  "DeleteBucketPolicy",
  "GetBucketPolicyStatus",
  "GetBucketVersioning",
  "PutBucketVersioning",
  "GetBucketTagging",
  "PutBucketTagging",
  "GetBucketCORS",
  "PutBucketCORS",
  "GetBucketLogging",
  "PutBucketLogging",
  "GetBucketNotification",
  "PutBucketNotification",
  "GetBucketPublicAccessBlock",
  "PutBucketPublicAccessBlock",
  "GetBucketOwnershipControls",
  "PutBucketOwnershipControls",
  "GetBucketObjectLockConfiguration",
  "PutBucketObjectLockConfiguration",
  "GetBucketWebsite",
  "PutBucketWebsite",
  "DeleteBucketWebsite",
  "GetBucketRequestPayment",
  "PutBucketRequestPayment",
  "GetEncryptionConfiguration",
  "PutEncryptionConfiguration",
  "GetLifecycleConfiguration",
  "PutLifecycleConfiguration",
  "GetReplicationConfiguration",
  "PutReplicationConfiguration",
  "GetAccelerateConfiguration",
  "PutAccelerateConfiguration",
  "GetIntelligentTieringConfiguration",
  "PutIntelligentTieringConfiguration",
  "GetInventoryConfiguration",
  "PutInventoryConfiguration",
  "GetMetricsConfiguration",
  "PutMetricsConfiguration",
  "GetAnalyticsConfiguration",
  "PutAnalyticsConfiguration",
  "CreateBucket",
  "DeleteBucket",
].map((a) => `s3:${a}`);

// S3 actions whose resource is an object (arn:aws:s3:::bucket/key).
const S3_OBJECT_LEVEL_ACTIONS = [
  "GetObject",
  "GetObjectVersion",
  "GetObjectAcl",
  "GetObjectVersionAcl",
  "GetObjectAttributes",
  "GetObjectVersionAttributes",
  "GetObjectTagging",
  "GetObjectVersionTagging",
  "GetObjectRetention",
  "GetObjectLegalHold",
  "GetObjectTorrent",
  "GetObjectVersionTorrent",
  "GetObjectVersionForReplication",
  "PutObject",
  "PutObjectAcl",
  "PutObjectVersionAcl",
  "PutObjectTagging",
  "PutObjectVersionTagging",
  "PutObjectRetention",
  "PutObjectLegalHold",
  "DeleteObject",
  "DeleteObjectVersion",
  "DeleteObjectTagging",
  "DeleteObjectVersionTagging",
  "AbortMultipartUpload",
  "ListMultipartUploadParts",
  "RestoreObject",
  "ReplicateObject",
  "ReplicateDelete",
  "ReplicateTags",
  "BypassGovernanceRetention",
].map((a) => `s3:${a}`);

export const s3GrantResourceLevels: ResourceValidationPolicy = {
  name: "s3-grant-resource-levels",
  description:
    "S3 grants put bucket-level actions (ListBucket, GetBucketLocation, ...) only on bucket " +
    "ARNs and object-level actions (GetObject, PutObject, ...) only on object ARNs.",
  validateResource: validatePolicyInput(
    [...IDENTITY_POLICY_TYPES, ResourceTypes.s3BucketPolicy],
    "policy",
    (statements, report) => {
      statements.forEach((s, i) => {
        if (!isAllow(s)) {
          return;
        }
        const where = label(s, i);
        const actions = asList(s.Action);
        const resources = asList(s.Resource);
        const bucketArns = resources.filter((r) => s3ArnLevel(r) === "bucket");
        const objectArns = resources.filter((r) => s3ArnLevel(r) === "object");
        // A pattern such as s3:* or s3:List* counts at every level it covers.
        const bucketLevel = actions.filter((a) =>
          S3_BUCKET_LEVEL_ACTIONS.some((known) => actionMatches(a, known)),
        );
        const objectLevel = actions.filter((a) =>
          S3_OBJECT_LEVEL_ACTIONS.some((known) => actionMatches(a, known)),
        );
        if (bucketLevel.length > 0 && objectArns.length > 0) {
          const hint =
            bucketArns.length === 0
              ? " and names no bucket ARN, so these actions are never allowed"
              : "";
          report(
            `${where} grants bucket-level action(s) ${quoteList(bucketLevel)} on ` +
              `object ARN(s) ${quoteList(objectArns)}${hint}; give bucket-level ` +
              'actions their own statement on the bucket ARN "arn:aws:s3:::<bucket>".',
          );
        }
        if (objectLevel.length > 0 && bucketArns.length > 0) {
          const hint =
            objectArns.length === 0
              ? " and names no object ARN, so these actions are never allowed"
              : "";
          report(
            `${where} grants object-level action(s) ${quoteList(objectLevel)} on ` +
              `bucket ARN(s) ${quoteList(bucketArns)}${hint}; give object-level ` +
              'actions their own statement on "arn:aws:s3:::<bucket>/*".',
          );
        }
      });
    },
  ),
};
