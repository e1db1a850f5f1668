/** Policies for a cluster's pull-through cache: its S3 storage, its IRSA trust, its bucket. */
import { ConsumerPull, consumerPullStatements } from "./ecr-consumer";
import { PolicyDocument, PolicyStatement, oneOrMany, policyDocument } from "./document";
import {
  S3_BUCKET_MANAGEMENT_ACTIONS,
  S3_CACHE_OBJECT_ACTIONS,
  S3_DELETE_OBJECT_ACTIONS,
  S3_LISTING_ACTIONS,
  S3_REFUSED_OBJECT_ACTIONS,
} from "./s3-actions";
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
  /** The account's deploy role: the only principal that manages the bucket, and may purge it. */
  deployRoleArn: string;
  /**
   * The role about to replace the deploy role (a rotation, docs/operations.md): admitted like
   * the deploy role while it is set, so the new role can update the policy once it deploys.
   */
  nextDeployRoleArn?: string;
}

/**
 * The bucket policy, deny by default for every principal of the account, whatever its
 * identity policy grants. Every S3 action with a bucket or object resource is in one list of
 * iam/s3-actions.ts:
 *
 * - requests without TLS: refused to all;
 * - S3_CACHE_OBJECT_ACTIONS (read, write, multipart): the cache role alone;
 * - S3_DELETE_OBJECT_ACTIONS and S3_LISTING_ACTIONS: the cache role and the deploy role, which
 *   may purge but never read or write cached content;
 * - S3_REFUSED_OBJECT_ACTIONS (versions, ACLs, tags, retention, replication, ...): refused to all;
 * - S3_BUCKET_MANAGEMENT_ACTIONS (every other action on the bucket): the deploy role alone;
 * - S3_OPEN_BUCKET_READS: not denied; whoever the account grants them may read the settings.
 *
 * Principal "*" with aws:PrincipalArn conditions, as the repository policies: a deleted role
 * never makes the policy invalid, and no NotPrincipal. The account's root user can still
 * delete a bucket policy, so nobody is locked out.
 */
export function cacheBucketPolicy(input: CacheBucketPolicyInput): PolicyDocument {
  const arn = bucketArn(input.partition, input.bucket);
  const objects = `${arn}/*`;
  const deployRoles = [
    input.deployRoleArn,
    ...(input.nextDeployRoleArn ? [input.nextDeployRoleArn] : []),
  ];
  const except = (principals: string[]) => ({
    ArnNotEquals: { "aws:PrincipalArn": oneOrMany(principals) },
  });
  return policyDocument([
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, objects],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
    {
      Sid: "DenyCachedObjectsExceptCacheRole",
      Effect: "Deny",
      Principal: "*",
      Action: [...S3_CACHE_OBJECT_ACTIONS],
      Resource: objects,
      Condition: except([input.cacheRoleArn]),
    },
    {
      Sid: "DenyDeletingObjectsExceptCacheAndDeployRoles",
      Effect: "Deny",
      Principal: "*",
      Action: oneOrMany(S3_DELETE_OBJECT_ACTIONS),
      Resource: objects,
      Condition: except([input.cacheRoleArn, ...deployRoles]),
    },
    {
      Sid: "DenyListingExceptCacheAndDeployRoles",
      Effect: "Deny",
      Principal: "*",
      Action: [...S3_LISTING_ACTIONS],
      Resource: arn,
      Condition: except([input.cacheRoleArn, ...deployRoles]),
    },
    {
      Sid: "DenyOtherObjectActions",
      Effect: "Deny",
      Principal: "*",
      Action: [...S3_REFUSED_OBJECT_ACTIONS],
      Resource: objects,
    },
    {
      Sid: "DenyBucketManagementExceptDeployRole",
      Effect: "Deny",
      Principal: "*",
      Action: [...S3_BUCKET_MANAGEMENT_ACTIONS],
      Resource: arn,
      Condition: except(deployRoles),
    },
  ]);
}
