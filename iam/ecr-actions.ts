/** ECR action sets (ECR user guide: repository policy examples and the IAM action table). */

export const PULL_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:GetDownloadUrlForLayer",
] as const;

/** Uploading layers and writing manifests; BatchCheckLayerAvailability is shared with pull. */
export const PUSH_ONLY_ACTIONS = [
  "ecr:CompleteLayerUpload",
  "ecr:InitiateLayerUpload",
  "ecr:PutImage",
  "ecr:UploadLayerPart",
] as const;

export const PUSH_ACTIONS = [...PULL_ACTIONS, ...PUSH_ONLY_ACTIONS].sort();

/**
 * Every other repository-scoped ECR action that is not a read: changes that lose images,
 * write images by another path than a push, or loosen or reconfigure the repository. With
 * PUSH_ONLY_ACTIONS this covers every non-read action with the `repository` resource type in
 * the IAM action catalogue (a test compares them), so a new ECR action fails that test instead
 * of slipping past the deny. A positive list (not NotAction) so the deny can never lock the
 * admins out of reading the policy (awsdocs amazon-ecr-user-guide#13). CreateRepository is
 * here because the catalogue scopes it to the repository ARN: denying it on an existing
 * repository costs nothing and keeps the rule "every write" without exceptions.
 */
export const CHANGE_ACTIONS = [
  "ecr:BatchDeleteImage",
  "ecr:BatchImportUpstreamImage",
  "ecr:CreateRepository",
  "ecr:DeleteLifecyclePolicy",
  "ecr:DeleteRepository",
  "ecr:DeleteRepositoryPolicy",
  "ecr:PutImageScanningConfiguration",
  "ecr:PutImageTagMutability",
  "ecr:PutLifecyclePolicy",
  "ecr:ReplicateImage",
  "ecr:SetRepositoryPolicy",
  "ecr:StartImageScan",
  "ecr:StartLifecyclePolicyPreview",
  "ecr:TagResource",
  "ecr:UntagResource",
  "ecr:UpdateImageStorageClass",
] as const;

/**
 * ECR writes with no resource type: they act on the whole registry (replication, the registry
 * policy, scanning, pull-through cache rules, creation templates, signing, account settings),
 * so no repository policy can deny them. Only a service control policy reaches them. A test
 * compares the list with the IAM action catalogue.
 */
export const REGISTRY_ACTIONS = [
  "ecr:CreatePullThroughCacheRule",
  "ecr:CreateRepositoryCreationTemplate",
  "ecr:DeletePullThroughCacheRule",
  "ecr:DeleteRegistryPolicy",
  "ecr:DeleteRepositoryCreationTemplate",
  "ecr:DeleteSigningConfiguration",
  "ecr:DeregisterPullTimeUpdateExclusion",
  "ecr:PutAccountSetting",
  "ecr:PutRegistryPolicy",
  "ecr:PutRegistryScanningConfiguration",
  "ecr:PutReplicationConfiguration",
  "ecr:PutSigningConfiguration",
  "ecr:RegisterPullTimeUpdateExclusion",
  "ecr:UpdatePullThroughCacheRule",
  "ecr:UpdateRepositoryCreationTemplate",
] as const;

/** Has no resource type: it can only be granted on "*", in the caller's identity policy. */
export const GET_AUTHORIZATION_TOKEN = "ecr:GetAuthorizationToken";
