/**
 * Every S3 action of the IAM action catalogue, placed once for the cache bucket's policy
 * (AWS's Service Authorization Reference for S3; a test compares these lists with the pinned
 * catalogue, so an action S3 adds fails it until it is placed here). Object actions act on
 * `bucket/*`, bucket actions on the bucket ARN: S3 refuses a statement naming an action on no
 * resource it applies to, and a policy that named only `bucket/*` would not reach the bucket.
 */

/**
 * Reads of the bucket's settings anyone in the account may keep: what security tooling and
 * auditors check (policy, public access, ownership, encryption, versioning, replication,
 * lifecycle, logging, ACL, tags) and the region SDKs look up. None shows an object or a key.
 */
export const S3_OPEN_BUCKET_READS = [
  "s3:GetBucketAcl",
  "s3:GetBucketLocation",
  "s3:GetBucketLogging",
  "s3:GetBucketOwnershipControls",
  "s3:GetBucketPolicy",
  "s3:GetBucketPolicyStatus",
  "s3:GetBucketPublicAccessBlock",
  "s3:GetBucketTagging",
  "s3:GetBucketVersioning",
  "s3:GetEncryptionConfiguration",
  "s3:GetLifecycleConfiguration",
  "s3:GetReplicationConfiguration",
] as const;

/** Listing the cached keys (repository names, tags, digests): the cache role, and the deploy role to purge. */
export const S3_LISTING_ACTIONS = ["s3:ListBucket", "s3:ListBucketMultipartUploads"] as const;

/**
 * Every other action on the bucket: its creation and deletion, its policy, ACL, ownership,
 * public access block, encryption, versioning, replication, lifecycle, object lock, logging,
 * notifications, inventory, analytics, metrics, website, CORS, tags, metadata tables, and the
 * reads not in S3_OPEN_BUCKET_READS. The deploy role alone.
 */
export const S3_BUCKET_MANAGEMENT_ACTIONS = [
  "s3:AllowVendedLogDeliveryForResource",
  "s3:CreateBucket",
  "s3:CreateBucketMetadataTableConfiguration",
  "s3:DeleteBucket",
  "s3:DeleteBucketMetadataTableConfiguration",
  "s3:DeleteBucketPolicy",
  "s3:DeleteBucketWebsite",
  "s3:GetAccelerateConfiguration",
  "s3:GetAnalyticsConfiguration",
  "s3:GetBucketAbac",
  "s3:GetBucketCORS",
  "s3:GetBucketMetadataTableConfiguration",
  "s3:GetBucketNotification",
  "s3:GetBucketObjectLockConfiguration",
  "s3:GetBucketRequestPayment",
  "s3:GetBucketWebsite",
  "s3:GetIntelligentTieringConfiguration",
  "s3:GetInventoryConfiguration",
  "s3:GetMetricsConfiguration",
  "s3:ListBucketVersions",
  "s3:ListTagsForResource",
  "s3:PauseReplication",
  "s3:PutAccelerateConfiguration",
  "s3:PutAnalyticsConfiguration",
  "s3:PutBucketAbac",
  "s3:PutBucketAcl",
  "s3:PutBucketCORS",
  "s3:PutBucketLogging",
  "s3:PutBucketNotification",
  "s3:PutBucketObjectLockConfiguration",
  "s3:PutBucketOwnershipControls",
  "s3:PutBucketPolicy",
  "s3:PutBucketPublicAccessBlock",
  "s3:PutBucketRequestPayment",
  "s3:PutBucketTagging",
  "s3:PutBucketVersioning",
  "s3:PutBucketWebsite",
  "s3:PutEncryptionConfiguration",
  "s3:PutIntelligentTieringConfiguration",
  "s3:PutInventoryConfiguration",
  "s3:PutLifecycleConfiguration",
  "s3:PutMetricsConfiguration",
  "s3:PutReplicationConfiguration",
  "s3:TagResource",
  "s3:UntagResource",
  "s3:UpdateBucketMetadataAnnotationTableConfiguration",
  "s3:UpdateBucketMetadataInventoryTableConfiguration",
  "s3:UpdateBucketMetadataJournalTableConfiguration",
] as const;

/** The object actions the cache's S3 driver makes, deleting aside: the cache role alone. */
export const S3_CACHE_OBJECT_ACTIONS = [
  "s3:AbortMultipartUpload",
  "s3:GetObject",
  "s3:ListMultipartUploadParts",
  "s3:PutObject",
] as const;

/** Deleting cached objects: the cache role, and the deploy role to purge (docs/operations.md). */
export const S3_DELETE_OBJECT_ACTIONS = ["s3:DeleteObject"] as const;

/**
 * Every other object action, which nobody needs on the cache: versions, ACLs, tags,
 * retention and legal holds, annotations, torrents, restores, encryption changes, ownership
 * overrides, and replication (reading objects for it, or writing replicas in). Refused to all.
 */
export const S3_REFUSED_OBJECT_ACTIONS = [
  "s3:BypassGovernanceRetention",
  "s3:DeleteObjectAnnotation",
  "s3:DeleteObjectTagging",
  "s3:DeleteObjectVersion",
  "s3:DeleteObjectVersionAnnotation",
  "s3:DeleteObjectVersionTagging",
  "s3:GetObjectAcl",
  "s3:GetObjectAnnotation",
  "s3:GetObjectAttributes",
  "s3:GetObjectLegalHold",
  "s3:GetObjectRetention",
  "s3:GetObjectTagging",
  "s3:GetObjectTorrent",
  "s3:GetObjectVersion",
  "s3:GetObjectVersionAcl",
  "s3:GetObjectVersionAnnotation",
  "s3:GetObjectVersionAnnotationForReplication",
  "s3:GetObjectVersionAttributes",
  "s3:GetObjectVersionForReplication",
  "s3:GetObjectVersionTagging",
  "s3:GetObjectVersionTorrent",
  "s3:InitiateReplication",
  "s3:ListObjectAnnotations",
  "s3:ListObjectVersionAnnotations",
  "s3:ObjectOwnerOverrideToBucketOwner",
  "s3:PutObjectAcl",
  "s3:PutObjectAnnotation",
  "s3:PutObjectLegalHold",
  "s3:PutObjectRetention",
  "s3:PutObjectTagging",
  "s3:PutObjectVersionAcl",
  "s3:PutObjectVersionAnnotation",
  "s3:PutObjectVersionTagging",
  "s3:ReplicateDelete",
  "s3:ReplicateObject",
  "s3:ReplicateObjectAnnotation",
  "s3:ReplicateTags",
  "s3:RestoreObject",
  "s3:UpdateObjectEncryption",
] as const;

/**
 * Actions on other resources (access points, access grants, batch jobs, Storage Lens,
 * multi-region access points, the account): a bucket policy cannot name them. They reach the
 * bucket's data only by making object or bucket requests, which the bucket policy then judges
 * like any other (a request through an access point, a batch job's role, access-grant
 * credentials).
 */
export const S3_ACTIONS_ELSEWHERE = [
  "s3:AssociateAccessGrantsIdentityCenter",
  "s3:CreateAccessGrant",
  "s3:CreateAccessGrantsInstance",
  "s3:CreateAccessGrantsLocation",
  "s3:CreateAccessPoint",
  "s3:CreateAccessPointForObjectLambda",
  "s3:CreateJob",
  "s3:CreateMultiRegionAccessPoint",
  "s3:CreateStorageLensGroup",
  "s3:DeleteAccessGrant",
  "s3:DeleteAccessGrantsInstance",
  "s3:DeleteAccessGrantsInstanceResourcePolicy",
  "s3:DeleteAccessGrantsLocation",
  "s3:DeleteAccessPoint",
  "s3:DeleteAccessPointForObjectLambda",
  "s3:DeleteAccessPointPolicy",
  "s3:DeleteAccessPointPolicyForObjectLambda",
  "s3:DeleteJobTagging",
  "s3:DeleteMultiRegionAccessPoint",
  "s3:DeleteStorageLensConfiguration",
  "s3:DeleteStorageLensConfigurationTagging",
  "s3:DeleteStorageLensGroup",
  "s3:DescribeJob",
  "s3:DescribeMultiRegionAccessPointOperation",
  "s3:DissociateAccessGrantsIdentityCenter",
  "s3:GetAccessGrant",
  "s3:GetAccessGrantsInstance",
  "s3:GetAccessGrantsInstanceForPrefix",
  "s3:GetAccessGrantsInstanceResourcePolicy",
  "s3:GetAccessGrantsLocation",
  "s3:GetAccessPoint",
  "s3:GetAccessPointConfigurationForObjectLambda",
  "s3:GetAccessPointForObjectLambda",
  "s3:GetAccessPointPolicy",
  "s3:GetAccessPointPolicyForObjectLambda",
  "s3:GetAccessPointPolicyStatus",
  "s3:GetAccessPointPolicyStatusForObjectLambda",
  "s3:GetAccountPublicAccessBlock",
  "s3:GetDataAccess",
  "s3:GetJobTagging",
  "s3:GetMultiRegionAccessPoint",
  "s3:GetMultiRegionAccessPointPolicy",
  "s3:GetMultiRegionAccessPointPolicyStatus",
  "s3:GetMultiRegionAccessPointRoutes",
  "s3:GetStorageLensConfiguration",
  "s3:GetStorageLensConfigurationTagging",
  "s3:GetStorageLensDashboard",
  "s3:GetStorageLensGroup",
  "s3:ListAccessGrants",
  "s3:ListAccessGrantsInstances",
  "s3:ListAccessGrantsLocations",
  "s3:ListAccessPoints",
  "s3:ListAccessPointsForObjectLambda",
  "s3:ListAllMyBuckets",
  "s3:ListCallerAccessGrants",
  "s3:ListJobs",
  "s3:ListMultiRegionAccessPoints",
  "s3:ListStorageLensConfigurations",
  "s3:ListStorageLensGroups",
  "s3:PutAccessGrantsInstanceResourcePolicy",
  "s3:PutAccessPointConfigurationForObjectLambda",
  "s3:PutAccessPointPolicy",
  "s3:PutAccessPointPolicyForObjectLambda",
  "s3:PutAccessPointPublicAccessBlock",
  "s3:PutAccountPublicAccessBlock",
  "s3:PutJobTagging",
  "s3:PutMultiRegionAccessPointPolicy",
  "s3:PutStorageLensConfiguration",
  "s3:PutStorageLensConfigurationTagging",
  "s3:SubmitMultiRegionAccessPointRoutes",
  "s3:UpdateAccessGrantsLocation",
  "s3:UpdateJobPriority",
  "s3:UpdateJobStatus",
  "s3:UpdateStorageLensGroup",
] as const;

/** The lists the bucket policy names on the bucket ARN. */
export const S3_BUCKET_LEVEL_LISTS = {
  S3_OPEN_BUCKET_READS,
  S3_LISTING_ACTIONS,
  S3_BUCKET_MANAGEMENT_ACTIONS,
} as const;

/** The lists the bucket policy names on `bucket/*`. */
export const S3_OBJECT_LEVEL_LISTS = {
  S3_CACHE_OBJECT_ACTIONS,
  S3_DELETE_OBJECT_ACTIONS,
  S3_REFUSED_OBJECT_ACTIONS,
} as const;
