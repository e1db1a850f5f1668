import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PullerPlan } from "../plan/access";
import { requireProviders } from "./providers";

export interface ConsumerAccessArgs {
  /** The node roles of this account's clusters (cache roles carry their policy themselves). */
  readonly nodeRoles: readonly PullerPlan[];
  /**
   * The names of node roles this program creates (a created cluster's), by cluster name: each
   * policy takes its role's name from the role itself, so it waits for that role and nothing else.
   */
  readonly createdNodeRoleNames?: Readonly<Record<string, pulumi.Input<string>>>;
}

export const PULL_POLICY_NAME = "registry-hub-central-ecr-pull";

/** Where a consumer's pull policy lives: an inline policy of a node role. */
export interface ConsumerPolicy {
  /** The node role's name. */
  readonly role: string;
  /** The inline policy's name on that role. */
  readonly policy: string;
}

/**
 * A consumer account's half of cross-account pull: an inline policy on each node role.
 * Needs `opts.providers.aws`: the consumer account's provider.
 */
export class ConsumerAccess extends pulumi.ComponentResource {
  /** The inline pull policy of each cluster's node role, by cluster name. */
  readonly policies: Readonly<Record<string, ConsumerPolicy>>;

  constructor(name: string, args: ConsumerAccessArgs, opts: pulumi.ComponentResourceOptions) {
    requireProviders("ConsumerAccess", opts, ["aws"]);
    super("registry-hub:iam:ConsumerAccess", name, {}, opts);
    const policies: Record<string, ConsumerPolicy> = {};
    for (const nodeRole of args.nodeRoles) {
      const { cluster } = nodeRole;
      new aws.iam.RolePolicy(
        `${name}-${cluster.name}`,
        {
          role: args.createdNodeRoleNames?.[cluster.name] ?? cluster.nodeRoleName,
          name: PULL_POLICY_NAME,
          policy: nodeRole.policyText,
        },
        { parent: this },
      );
      policies[cluster.name] = { role: cluster.nodeRoleName, policy: PULL_POLICY_NAME };
    }
    this.policies = policies;
    this.registerOutputs({ policies });
  }
}
