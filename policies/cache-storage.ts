/** Policies for a cluster's pull-through cache: its S3 storage, its IRSA trust, its bucket. */
import { ConsumerPull, consumerPullStatements } from "./ecr-consumer";
import { PolicyDocument, PolicyStatement, policyDocument } from "./document";

/**
 * What the distribution S3 driver calls (distribution docs, storage-drivers/s3.md). Bucket
 * actions act on the bucket ARN and object actions on object ARNs; seed 000's registry
 * answered HTTP 500 because it granted everything on `bucket/*` only.
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

export function bucketArn(partition: string, bucket: string): string {
  return `arn:${partition}:s3:::${bucket}`;
}

export function registryStorageStatements(partition: string, bucket: string): PolicyStatement[] {
  return [
    {
      Sid: "RegistryBucket",
      Effect: "Allow",
      Action: [...S3_BUCKET_ACTIONS],
      Resource: bucketArn(partition, bucket),
    },
    {
      Sid: "RegistryObjects",
      Effect: "Allow",
      Action: [...S3_OBJECT_ACTIONS],
      Resource: `${bucketArn(partition, bucket)}/*`,
    },
  ];
}

/** The cache role's whole identity policy: its storage, and pulling from the central registry. */
export function cacheRolePolicy(bucket: string, pull: ConsumerPull): PolicyDocument {
  return policyDocument([
    ...registryStorageStatements(pull.partition, bucket),
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

/** The bucket policy: refuse every request that does not come over TLS. */
export function tlsOnlyBucketPolicy(partition: string, bucket: string): PolicyDocument {
  const arn = bucketArn(partition, bucket);
  return policyDocument([
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ]);
}
