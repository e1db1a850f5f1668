/** The policy on each repository of the central registry (the registry account's half). */
import { AccessMode } from "../config/schema";
import { CHANGE_ACTIONS, PULL_ACTIONS, PUSH_ACTIONS, PUSH_ONLY_ACTIONS, READ_CONTENT_ACTIONS } from "./ecr-actions";
import { PolicyDocument, PolicyStatement, oneOrMany, policyDocument, sortedUnique } from "./document";

export interface RepositoryAccess {
  mode: AccessMode;
  organizationId?: string;
  registryAccountId: string;
  /** Roles outside the registry account that may pull (named only in roles mode). */
  pullerArns: string[];
  /** The accounts of those roles. */
  pullerAccountIds: string[];
  pusherArns: string[];
  adminArns: string[];
  deployRoleArn: string;
}

export function repositoryPolicy(access: RepositoryAccess): PolicyDocument {
  const pushersAndAdmins = sortedUnique([...access.pusherArns, ...access.adminArns]);
  const statements: PolicyStatement[] = [...consumerPullStatements(access)];
  if (access.pusherArns.length > 0) {
    statements.push({
      Sid: "PushByPushers",
      Effect: "Allow",
      Principal: { AWS: access.registryAccountId },
      Action: PUSH_ACTIONS,
      Condition: { ArnEquals: { "aws:PrincipalArn": oneOrMany(access.pusherArns) } },
    });
  }
  statements.push(
    {
      Sid: "DenyPushExceptPushersAndAdmins",
      Effect: "Deny",
      Principal: "*",
      Action: [...PUSH_ONLY_ACTIONS],
      Condition: { ArnNotEquals: { "aws:PrincipalArn": oneOrMany(pushersAndAdmins) } },
    },
    {
      // Same-account principals need no resource-policy grant, so an ecr:* identity policy
      // in the registry account would otherwise read every image (seed 002).
      Sid: "DenyPullInRegistryAccountExceptPushersAndAdmins",
      Effect: "Deny",
      Principal: "*",
      Action: [...READ_CONTENT_ACTIONS],
      Condition: {
        StringEquals: { "aws:PrincipalAccount": access.registryAccountId },
        ArnNotEquals: { "aws:PrincipalArn": oneOrMany(pushersAndAdmins) },
      },
    },
    {
      Sid: "DenyChangesExceptAdminsAndDeployRole",
      Effect: "Deny",
      Principal: "*",
      Action: [...CHANGE_ACTIONS],
      Condition: {
        ArnNotEquals: { "aws:PrincipalArn": oneOrMany([...access.adminArns, access.deployRoleArn]) },
      },
    },
  );
  return policyDocument(statements);
}

function consumerPullStatements(access: RepositoryAccess): PolicyStatement[] {
  const pull = { Effect: "Allow" as const, Action: [...PULL_ACTIONS] };
  switch (access.mode) {
    case "roles":
      // Principal names accounts and the condition names roles: ECR rejects a Principal
      // naming a deleted role, but never checks condition values (terraform-provider-aws#39064).
      return access.pullerArns.length === 0
        ? []
        : [
            {
              Sid: "PullByConsumerRoles",
              ...pull,
              Principal: { AWS: oneOrMany(access.pullerAccountIds) },
              Condition: { ArnEquals: { "aws:PrincipalArn": oneOrMany(access.pullerArns) } },
            },
          ];
    case "accounts":
      return access.pullerAccountIds.length === 0
        ? []
        : [{ Sid: "PullByConsumerAccounts", ...pull, Principal: { AWS: oneOrMany(access.pullerAccountIds) } }];
    case "organization":
      return [
        {
          Sid: "PullByOrganization",
          ...pull,
          Principal: "*",
          Condition: { StringEquals: { "aws:PrincipalOrgID": access.organizationId ?? "" } },
        },
      ];
  }
}
