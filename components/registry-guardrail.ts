import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { requireProviders } from "./providers";

export interface RegistryGuardrailArgs {
  /** The account the policy is attached to: the registry's. */
  readonly registryAccountId: string;
  /** The service control policy document, rendered by the access plan. */
  readonly policyText: string;
}

/**
 * A service control policy on the registry account, created in the organization's management
 * account (the only place SCPs can be managed from), through that account's provider.
 * Needs `opts.providers.aws`: the management account's provider.
 */
export class RegistryGuardrail extends pulumi.ComponentResource {
  /** The service control policy's id. */
  readonly policyId: pulumi.Output<string>;

  constructor(name: string, args: RegistryGuardrailArgs, opts: pulumi.ComponentResourceOptions) {
    requireProviders("RegistryGuardrail", opts, ["aws"]);
    super("registry-hub:organizations:RegistryGuardrail", name, {}, opts);
    const policy = new aws.organizations.Policy(
      name,
      {
        name: "registry-hub-registry-guardrail",
        description:
          "registry-hub: only the registry's admins and deploy role change the ECR registry",
        type: "SERVICE_CONTROL_POLICY",
        content: args.policyText,
      },
      { parent: this },
    );
    new aws.organizations.PolicyAttachment(
      name,
      { policyId: policy.id, targetId: args.registryAccountId },
      { parent: this },
    );
    this.policyId = policy.id;
    this.registerOutputs({ policyId: this.policyId });
  }
}
