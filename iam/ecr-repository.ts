/** The policy on each repository of the central registry (the registry account's half). */
import { CHANGE_ACTIONS, PULL_ACTIONS, PUSH_ACTIONS, PUSH_ONLY_ACTIONS } from "./ecr-actions";
import {
  PolicyDocument,
  PolicyStatement,
  oneOrMany,
  policyDocument,
  sortedUnique,
} from "./document";

/**
 * How the policy names consumers: their roles, their accounts, or their organization. The
 * config's access modes must be these (the plan passes one through, and the compiler checks).
 */
export type ConsumerNaming = "roles" | "accounts" | "organization";

export interface RepositoryAccess {
  mode: ConsumerNaming;
  partition: string;
  organizationId?: string;
  registryAccountId: string;
  /** Roles outside the registry account that may pull (named only in roles mode). */
  pullerArns: string[];
  /** The repository lists its clusters: only their roles may pull, whatever the mode. */
  restrictedToClusters: boolean;
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
    // Principal "*" with the exact role ARNs as a condition. Naming the roles as principals
    // breaks every SetRepositoryPolicy once one of them is deleted (ECR validates principals,
    // never condition values); naming the registry account as principal would only defer to
    // the pusher's own identity policy, which this program does not write. The ARNs are
    // exact and all in the registry account, so nobody else matches.
    statements.push({
      Sid: "PushByPushers",
      Effect: "Allow",
      Principal: "*",
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
      // in the registry account would otherwise read every image. Service-linked
      // roles are exempt: AWS services read images through them (Inspector's enhanced
      // scanning), only AWS can create a role under that path, and AWS writes their
      // permissions. They stay denied pushes and changes below.
      Sid: "DenyPullInRegistryAccountExceptPushersAndAdmins",
      Effect: "Deny",
      Principal: "*",
      Action: [...PULL_ACTIONS],
      Condition: {
        StringEquals: { "aws:PrincipalAccount": access.registryAccountId },
        ArnNotEquals: { "aws:PrincipalArn": oneOrMany(pushersAndAdmins) },
        ArnNotLike: {
          "aws:PrincipalArn": serviceLinkedRoles(access.partition, access.registryAccountId),
        },
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

/** Every service-linked role of the account: IAM keeps the aws-service-role path for them. */
export function serviceLinkedRoles(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:role/aws-service-role/*`;
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
  const inOrganization = {
    StringEquals: { "aws:PrincipalOrgID": access.organizationId ?? "" },
  };
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
      // Trusting the whole organization would let any of its roles pull what the config
      // restricts to some clusters: such a repository names their roles, as roles mode does,
      // and still requires the organization.
      return access.restrictedToClusters
        ? [
            pull(
              "PullByClusterRolesInOrganization",
              { AWS: oneOrMany(access.pullerAccountIds) },
              {
                ArnEquals: { "aws:PrincipalArn": oneOrMany(access.pullerArns) },
                ...inOrganization,
              },
            ),
          ]
        : [pull("PullByOrganization", "*", inOrganization)];
  }
}
