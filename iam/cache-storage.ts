/** Policies for a cluster's pull-through cache: its S3 storage, its IRSA trust, its bucket. */
import { ConsumerPull, consumerPullStatements } from "./ecr-consumer";
import { PolicyDocument, PolicyStatement, policyDocument } from "./document";
import { bucketArn } from "../naming/aws";

/**
 * What the distribution S3 driver calls (distribution docs, storage-drivers/s3.md). Bucket
 * actions act on the bucket ARN and object actions on object ARNs; a registry granted
 * everything on `bucket/*` only answers HTTP 500: its list calls are denied.
 */
export const S3_BUCKET_ACTIONS = [
  "s3:GetBucketLocation",
  "s3:ListBucket",
  "s3:ListBucketMultipartUploads",
] as const;
export const S3_OBJECT_ACTIONS = [
  "s3:AbortMultipartUpload",
  "s3:DeleteObject",
  "s3:GetObject",
  "s3:ListMultipartUploadParts",
  "s3:PutObject",
] as const;

/**
 * The cache role's S3 grants. Bucket names are global and this one is predictable, so each
 * grant also names the bucket's account (s3:ResourceAccount): were the bucket deleted and a
 * bucket of the same name created in another account, the cache would write nothing there.
 */
export function registryStorageStatements(
  partition: string,
  bucket: string,
  bucketAccountId: string,
): PolicyStatement[] {
  const inBucketAccount = { StringEquals: { "s3:ResourceAccount": bucketAccountId } };
  return [
    {
      Sid: "RegistryBucket",
      Effect: "Allow",
      Action: [...S3_BUCKET_ACTIONS],
      Resource: bucketArn(partition, bucket),
      Condition: inBucketAccount,
    },
    {
      Sid: "RegistryObjects",
      Effect: "Allow",
      Action: [...S3_OBJECT_ACTIONS],
      Resource: `${bucketArn(partition, bucket)}/*`,
      Condition: inBucketAccount,
    },
  ];
}

/** The cache's bucket: its name and the account it is in (the cluster's). */
export interface CacheBucket {
  name: string;
  accountId: string;
}

/** The cache role's whole identity policy: its storage, and pulling from the central registry. */
export function cacheRolePolicy(bucket: CacheBucket, pull: ConsumerPull): PolicyDocument {
  return policyDocument([
    ...registryStorageStatements(pull.partition, bucket.name, bucket.accountId),
    ...consumerPullStatements(pull),
  ]);
}

export interface ServiceAccountTrust {
  partition: string;
  accountId: string;
  /** Host and path of the cluster's OIDC issuer, without https:// */
  oidcIssuer: string;
  namespace: string;
  serviceAccount: string;
}

/** IRSA: only this one service account of this one cluster may assume the role. */
export function serviceAccountTrustPolicy(trust: ServiceAccountTrust): PolicyDocument {
  const issuer = trust.oidcIssuer.replace(/^https:\/\//, "");
  return policyDocument([
    {
      Effect: "Allow",
      Principal: {
        Federated: `arn:${trust.partition}:iam::${trust.accountId}:oidc-provider/${issuer}`,
      },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          [`${issuer}:aud`]: "sts.amazonaws.com",
          [`${issuer}:sub`]: `system:serviceaccount:${trust.namespace}:${trust.serviceAccount}`,
        },
      },
    },
  ]);
}

export interface CacheBucketPolicyInput {
  partition: string;
  bucket: string;
  /** The cache's IRSA role: the only principal that reads or writes cached objects. */
  cacheRoleArn: string;
  /** The account's deploy role: the only principal that may change the bucket's policy. */
  deployRoleArn: string;
}

/** Reading, writing and deleting objects: what a principal could use to read or replace images. */
export const S3_OBJECT_DATA_ACTIONS = [
  ...S3_OBJECT_ACTIONS,
  "s3:DeleteObjectVersion",
  "s3:GetObjectAttributes",
  "s3:GetObjectVersion",
  "s3:PutObjectAcl",
  "s3:RestoreObject",
].sort();
/** What would remove the policy's protection or the cached data with it. */
export const S3_BUCKET_GUARD_ACTIONS = [
  "s3:DeleteBucket",
  "s3:DeleteBucketPolicy",
  "s3:PutBucketPolicy",
  "s3:PutLifecycleConfiguration",
];

/**
 * The bucket policy: TLS only; cached objects for the cache role alone (any other principal
 * of the account could read every image the cluster may pull, or plant content the cache
 * would serve while ECR is unreachable); the policy itself for the deploy role alone. The
 * account's root user can still delete a bucket policy, so nobody is locked out.
 */
export function cacheBucketPolicy(input: CacheBucketPolicyInput): PolicyDocument {
  const arn = bucketArn(input.partition, input.bucket);
  return policyDocument([
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
    {
      Sid: "DenyObjectsExceptCacheRole",
      Effect: "Deny",
      Principal: "*",
      Action: S3_OBJECT_DATA_ACTIONS,
      Resource: `${arn}/*`,
      Condition: { ArnNotEquals: { "aws:PrincipalArn": input.cacheRoleArn } },
    },
    {
      Sid: "DenyBucketChangesExceptDeployRole",
      Effect: "Deny",
      Principal: "*",
      Action: S3_BUCKET_GUARD_ACTIONS,
      Resource: arn,
      Condition: { ArnNotEquals: { "aws:PrincipalArn": input.deployRoleArn } },
    },
  ]);
}
