import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { RepositoryPlan } from "../plan/access";
import { requireProvider } from "./providers";

export interface CentralRegistryArgs {
  repositories: RepositoryPlan[];
}

/** The registry account's repositories, their policies and lifecycle rules. */
export class CentralRegistry extends pulumi.ComponentResource {
  readonly repositoryUrls: Record<string, pulumi.Output<string>> = {};
  readonly registryId: pulumi.Output<string>;

  constructor(name: string, args: CentralRegistryArgs, opts: pulumi.ComponentResourceOptions) {
    requireProvider("CentralRegistry", opts);
    super("registry-hub:ecr:CentralRegistry", name, {}, opts);
    const registryIds: pulumi.Output<string>[] = [];
    for (const { repository, policyText, lifecyclePolicyText } of args.repositories) {
      const repo = new aws.ecr.Repository(
        `${name}-${repository.name}`,
        {
          name: repository.name,
          imageTagMutability: repository.imageTagMutability,
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: "AES256" }],
          forceDelete: false,
        },
        // Images are data: a repository leaves the config without ever being deleted.
        { parent: this, protect: true, retainOnDelete: true },
      );
      new aws.ecr.RepositoryPolicy(
        `${name}-${repository.name}`,
        { repository: repo.name, policy: policyText },
        { parent: this },
      );
      if (lifecyclePolicyText) {
        new aws.ecr.LifecyclePolicy(
          `${name}-${repository.name}`,
          { repository: repo.name, policy: lifecyclePolicyText },
          { parent: this },
        );
      }
      this.repositoryUrls[repository.name] = repo.repositoryUrl;
      registryIds.push(repo.registryId);
    }
    this.registryId = registryIds[0];
    this.registerOutputs({ repositoryUrls: this.repositoryUrls, registryId: this.registryId });
  }
}
