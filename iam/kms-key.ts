/**
 * The key policy of the KMS key the program creates for the registry's repositories. It names
 * principals instead of delegating to the account (no `:root`), so IAM policies in the registry
 * account grant nothing on the key by themselves.
 */
import { PolicyDocument, oneOrMany, policyDocument } from "./document";

export interface RegistryKeyPolicyArgs {
  registryAccountId: string;
  region: string;
  adminArns: string[];
  /** Creates the key and the repositories, so it must keep managing the key (KMS refuses a policy that locks its caller out). */
  deployRoleArn: string;
}

/** What administering the key takes, listed: using it to encrypt or decrypt is not among them. */
export const KEY_ADMIN_ACTIONS = [
  "kms:CancelKeyDeletion",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateKeyDescription",
];

/**
 * What creating or deleting a KMS-encrypted repository takes from its caller (ECR user guide,
 * encryption at rest): ECR creates grants for the repository on the caller's behalf, then
 * encrypts and decrypts image layers with those grants, for pushes and pulls alike.
 */
export const ECR_GRANT_ACTIONS = ["kms:CreateGrant", "kms:RetireGrant"];

export function registryKeyPolicy(args: RegistryKeyPolicyArgs): PolicyDocument {
  const managers = oneOrMany([...args.adminArns, args.deployRoleArn]);
  return policyDocument([
    {
      Sid: "AdminsManageTheKey",
      Effect: "Allow",
      Principal: { AWS: managers },
      Action: KEY_ADMIN_ACTIONS,
      Resource: "*",
    },
    {
      Sid: "EcrGrantsForRepositories",
      Effect: "Allow",
      Principal: { AWS: managers },
      Action: ECR_GRANT_ACTIONS,
      Resource: "*",
      Condition: {
        StringEquals: {
          "kms:CallerAccount": args.registryAccountId,
          "kms:ViaService": `ecr.${args.region}.amazonaws.com`,
        },
      },
    },
  ]);
}
