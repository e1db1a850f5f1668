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
 * Changes that lose images or loosen the repository. A positive list (not NotAction) so the
 * deny can never lock the admins out of reading the policy (awsdocs amazon-ecr-user-guide#13).
 */
export const CHANGE_ACTIONS = [
  "ecr:BatchDeleteImage",
  "ecr:DeleteLifecyclePolicy",
  "ecr:DeleteRepository",
  "ecr:DeleteRepositoryPolicy",
  "ecr:PutImageScanningConfiguration",
  "ecr:PutImageTagMutability",
  "ecr:PutLifecyclePolicy",
  "ecr:SetRepositoryPolicy",
  "ecr:TagResource",
  "ecr:UntagResource",
] as const;

/** Has no resource type: it can only be granted on "*", in the caller's identity policy. */
export const GET_AUTHORIZATION_TOKEN = "ecr:GetAuthorizationToken";

export function repositoryArn(
  partition: string,
  region: string,
  accountId: string,
  name: string,
): string {
  return `arn:${partition}:ecr:${region}:${accountId}:repository/${name}`;
}
