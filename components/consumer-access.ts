import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PullerPlan } from "../plan/access";
import { requireProvider } from "./providers";

export interface ConsumerAccessArgs {
  /** The node roles of this account's clusters (cache roles carry their policy themselves). */
  nodeRoles: PullerPlan[];
}

export const PULL_POLICY_NAME = "registry-hub-central-ecr-pull";

/** A consumer account's half of cross-account pull: an inline policy on each node role. */
export class ConsumerAccess extends pulumi.ComponentResource {
  constructor(name: string, args: ConsumerAccessArgs, opts: pulumi.ComponentResourceOptions) {
    requireProvider("ConsumerAccess", opts);
    super("registry-hub:iam:ConsumerAccess", name, {}, opts);
    for (const nodeRole of args.nodeRoles) {
      new aws.iam.RolePolicy(
        `${name}-${nodeRole.cluster.name}`,
        {
          role: nodeRole.cluster.nodeRoleName,
          name: PULL_POLICY_NAME,
          policy: nodeRole.policyText,
        },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}
