/** The policy on each repository of the central registry (the registry account's half). */
import { AccessMode } from "../config/schema";
import { CHANGE_ACTIONS, PULL_ACTIONS, PUSH_ACTIONS, PUSH_ONLY_ACTIONS } from "./ecr-actions";
import {
  PolicyDocument,
  PolicyStatement,
  oneOrMany,
  policyDocument,
  sortedUnique,
} from "./document";

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
    // Named as principals, not as a condition on the account: within the registry account an
    // account principal only defers to the pusher's own identity policy, which we do not write.
    statements.push({
      Sid: "PushByPushers",
      Effect: "Allow",
      Principal: { AWS: oneOrMany(access.pusherArns) },
      Action: PUSH_ACTIONS,
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
      Action: [...PULL_ACTIONS],
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
        ArnNotEquals: {
          "aws:PrincipalArn": oneOrMany([...access.adminArns, access.deployRoleArn]),
        },
      },
    },
  );
  return policyDocument(statements);
}

function consumerPullStatements(access: RepositoryAccess): PolicyStatement[] {
  const pull = (
    Sid: string,
    Principal: PolicyStatement["Principal"],
    Condition?: PolicyStatement["Condition"],
  ) =>
    ({
      Sid,
      Effect: "Allow",
      Principal,
      Action: [...PULL_ACTIONS],
      ...(Condition && { Condition }),
    }) as PolicyStatement;
  switch (access.mode) {
    case "roles":
      // Principal names accounts and the condition names roles: ECR rejects a Principal
      // naming a deleted role, but never checks condition values (terraform-provider-aws#39064).
      return access.pullerArns.length === 0
        ? []
        : [
            pull(
              "PullByConsumerRoles",
              { AWS: oneOrMany(access.pullerAccountIds) },
              {
                ArnEquals: { "aws:PrincipalArn": oneOrMany(access.pullerArns) },
              },
            ),
          ];
    case "accounts":
      return access.pullerAccountIds.length === 0
        ? []
        : [pull("PullByConsumerAccounts", { AWS: oneOrMany(access.pullerAccountIds) })];
    case "organization":
      return [
        pull("PullByOrganization", "*", {
          StringEquals: { "aws:PrincipalOrgID": access.organizationId ?? "" },
        }),
      ];
  }
}
