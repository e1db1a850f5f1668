// The resource types the rules look at, by type token: the pack matches tokens instead of
// importing @pulumi/aws, so it does not need the AWS SDK installed.

/** Type tokens of the @pulumi/aws 7 resources these rules look at. */
export const ResourceTypes = {
  ecrRepository: "aws:ecr/repository:Repository",
  ecrRepositoryPolicy: "aws:ecr/repositoryPolicy:RepositoryPolicy",
  ecrRegistryPolicy: "aws:ecr/registryPolicy:RegistryPolicy",
  ecrRegistryScanningConfiguration:
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
  kmsKey: "aws:kms/key:Key",
  iamRole: "aws:iam/role:Role",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
  iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  s3Bucket: "aws:s3/bucket:Bucket",
  s3BucketV2: "aws:s3/bucketV2:BucketV2",
  s3BucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  s3BucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  s3BucketSse:
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  s3BucketSseV2:
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
} as const;

/** Policies attached to identities (roles, users, groups or managed policies). */
export const IDENTITY_POLICY_TYPES = [
  ResourceTypes.iamRolePolicy,
  ResourceTypes.iamPolicy,
  ResourceTypes.iamUserPolicy,
  ResourceTypes.iamGroupPolicy,
];

/** Every resource whose `policy` input is an IAM policy document. */
export const POLICY_DOCUMENT_TYPES = [
  ...IDENTITY_POLICY_TYPES,
  ResourceTypes.ecrRepositoryPolicy,
  ResourceTypes.ecrRegistryPolicy,
  ResourceTypes.s3BucketPolicy,
];

export const BUCKET_TYPES = new Set<string>([ResourceTypes.s3Bucket, ResourceTypes.s3BucketV2]);
