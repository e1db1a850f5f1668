/**
 * The service control policy on the registry account: what repository policies cannot reach.
 * Registry-level ECR actions have no resource, so only an SCP denies them; and deleting or
 * creating a repository is denied here too, so a repository whose policy was removed, or one
 * created beside the managed ones, is still covered. The roles the repository policies exempt
 * (admins, the deploy role, pushers) are exempt by ARN, so whoever could change one of them
 * could become it: changing them is denied to all but the admins. ECR's service-linked roles
 * would read every image (the pull exemption for role/aws-service-role/*), so creating them is
 * denied to all but the admins and the deploy role, as the registry settings that need them.
 */
import { REGISTRY_ACTIONS } from "./ecr-actions";
import { PolicyDocument, oneOrMany, policyDocument, sortedUnique } from "./document";

/** AWS Organizations' limit for one SCP document. */
export const SCP_SIZE_LIMIT = 5_120;

export const GUARDRAIL_ACTIONS = [
  ...REGISTRY_ACTIONS,
  "ecr:CreateRepository",
  "ecr:DeleteRepository",
].sort();

/**
 * Every IAM write on a role (the action catalogue's `role` resource type) but the two that act
 * only on service-linked roles: its trust, inline and attached policies, boundary, settings and
 * tags, passing it to a service (which then acts as the role), and deleting and re-creating it
 * under the same ARN (which every exemption matches by). A test compares the list with the
 * catalogue, so a new role action fails it until it is placed.
 */
export const ROLE_CHANGE_ACTIONS = [
  "iam:AttachRolePolicy",
  "iam:CreateRole",
  "iam:DeleteRole",
  "iam:DeleteRolePermissionsBoundary",
  "iam:DeleteRolePolicy",
  "iam:DetachRolePolicy",
  "iam:PassRole",
  "iam:PutRolePermissionsBoundary",
  "iam:PutRolePolicy",
  "iam:TagRole",
  "iam:UntagRole",
  "iam:UpdateAssumeRolePolicy",
  "iam:UpdateRole",
  "iam:UpdateRoleDescription",
] as const;

/** The role writes that act only on service-linked roles (IAM refuses the others on them). */
export const SERVICE_LINKED_ROLE_ACTIONS = [
  "iam:CreateServiceLinkedRole",
  "iam:DeleteServiceLinkedRole",
] as const;

/**
 * ECR's service principals (iam:AWSServiceName): ecr.amazonaws.com (repository creation
 * templates), replication.ecr.amazonaws.com, pullthroughcache.ecr.amazonaws.com, and any later.
 */
export const ECR_SERVICE_NAMES = ["*.ecr.amazonaws.com", "ecr.amazonaws.com"] as const;

export interface RegistryGuardrail {
  adminArns: string[];
  deployRoleArn: string;
  /** The repositories' pushers: exempt from the push deny, so guarded like the admins. */
  pusherArns: string[];
}

export function registryGuardrailPolicy(guardrail: RegistryGuardrail): PolicyDocument {
  // SCPs never apply to service-linked roles or the management account: no exemption needed.
  const exceptAdminsAndDeployRole = {
    ArnNotEquals: {
      "aws:PrincipalArn": oneOrMany([...guardrail.adminArns, guardrail.deployRoleArn]),
    },
  };
  return policyDocument([
    {
      Sid: "DenyRegistryChangesExceptAdminsAndDeployRole",
      Effect: "Deny",
      Action: GUARDRAIL_ACTIONS,
      Resource: "*",
      Condition: exceptAdminsAndDeployRole,
    },
    {
      Sid: "DenyChangingExemptRolesExceptAdmins",
      Effect: "Deny",
      Action: [...ROLE_CHANGE_ACTIONS],
      Resource: oneOrMany([
        ...guardrail.adminArns,
        guardrail.deployRoleArn,
        ...guardrail.pusherArns,
      ]),
      Condition: { ArnNotEquals: { "aws:PrincipalArn": oneOrMany(guardrail.adminArns) } },
    },
    {
      Sid: "DenyEcrServiceLinkedRolesExceptAdminsAndDeployRole",
      Effect: "Deny",
      Action: "iam:CreateServiceLinkedRole",
      Resource: "*",
      Condition: {
        StringLike: { "iam:AWSServiceName": sortedUnique(ECR_SERVICE_NAMES) },
        ...exceptAdminsAndDeployRole,
      },
    },
  ]);
}
