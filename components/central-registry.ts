import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { EncryptionSettings, ScanningSettings } from "../config/repository-options";
import { RepositoryPlan } from "../plan/access";
import { inputsOnly } from "./inputs-only";
import { KEEPS_DATA, requireProviders } from "./providers";

export interface CentralRegistryArgs {
  /** The registry's account id (ECR's registry id). */
  readonly registryId: string;
  /** Every repository, with its policy and lifecycle policy rendered by the access plan. */
  readonly repositories: readonly RepositoryPlan[];
  /** The encryption of new repositories: AES256 when absent, or KMS with a given or created key. */
  readonly encryption?: EncryptionSettings;
  /** The key policy of the key to create, with `encryption: { createKey: true }`. */
  readonly keyPolicyText?: string;
  /** The registry's image scanning configuration, when the config has one. */
  readonly scanning?: ScanningSettings;
}

/** ECR's exclusion filters: the only filter type it knows. */
const WILDCARD = "WILDCARD";

/**
 * The registry account's repositories, their policies and lifecycle rules.
 * Needs `opts.providers.aws`: the registry account's provider.
 */
export class CentralRegistry extends pulumi.ComponentResource {
  /**
   * Each repository's URL by repository name. Plain values: ECR derives a repository's URL from
   * the registry id, region and name, all known from config (`config/model.ts`).
   */
  readonly repositoryUrls: Readonly<Record<string, string>>;
  /** The registry's id: its account id. */
  readonly registryId: string;
  /** The KMS key of new repositories: the configured ARN, or the created key's. */
  readonly kmsKeyArn?: pulumi.Output<string> | string;

  constructor(name: string, args: CentralRegistryArgs, opts: pulumi.ComponentResourceOptions) {
    requireProviders("CentralRegistry", opts, ["aws"]);
    super("registry-hub:ecr:CentralRegistry", name, {}, opts);
    this.kmsKeyArn = this.encryptionKey(name, args);
    const encryption = this.kmsKeyArn
      ? { encryptionType: "KMS", kmsKey: this.kmsKeyArn }
      : { encryptionType: "AES256" };
    for (const { repository, policyText, lifecyclePolicyText } of args.repositories) {
      const mutable = repository.mutableTagPatterns;
      const repo = inputsOnly(
        aws.ecr.Repository,
        `${name}-${repository.name}`,
        {
          name: repository.name,
          imageTagMutability: mutable.length > 0 ? "IMMUTABLE_WITH_EXCLUSION" : "IMMUTABLE",
          imageTagMutabilityExclusionFilters:
            mutable.length > 0
              ? mutable.map((filter) => ({ filter, filterType: WILDCARD }))
              : undefined,
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [encryption],
          forceDelete: false,
        },
        {
          parent: this,
          // Images are data: a repository leaves the config without ever being deleted.
          ...KEEPS_DATA,
          // ECR fixes encryption at creation, so a change would replace the repository and its
          // images: the registry's encryption reaches new repositories only.
          ignoreChanges: ["encryptionConfigurations"],
        },
      );
      inputsOnly(
        aws.ecr.RepositoryPolicy,
        `${name}-${repository.name}`,
        { repository: repo.name, policy: policyText },
        // Deleted before the repository, it would open the images to the account's principals.
        { parent: this, ...KEEPS_DATA },
      );
      if (lifecyclePolicyText) {
        inputsOnly(
          aws.ecr.LifecyclePolicy,
          `${name}-${repository.name}`,
          { repository: repo.name, policy: lifecyclePolicyText },
          { parent: this, ...KEEPS_DATA },
        );
      }
    }
    if (args.scanning) {
      new aws.ecr.RegistryScanningConfiguration(
        `${name}-scanning`,
        {
          scanType: args.scanning.type,
          rules: args.scanning.rules.map((rule) => ({
            scanFrequency: rule.frequency,
            repositoryFilters: rule.repositoryFilters.map((filter) => ({
              filter,
              filterType: WILDCARD,
            })),
          })),
        },
        { parent: this },
      );
    }
    this.registryId = args.registryId;
    this.repositoryUrls = Object.fromEntries(
      args.repositories.map(({ repository }) => [repository.name, repository.url]),
    );
    this.registerOutputs({
      repositoryUrls: this.repositoryUrls,
      registryId: this.registryId,
      kmsKeyArn: this.kmsKeyArn,
    });
  }

  private encryptionKey(
    name: string,
    args: CentralRegistryArgs,
  ): pulumi.Output<string> | string | undefined {
    if (!args.encryption) return undefined;
    if ("kmsKeyArn" in args.encryption) return args.encryption.kmsKeyArn;
    if (!args.keyPolicyText) throw new Error("CentralRegistry: createKey needs the key policy");
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: "registry-hub: encrypts the central registry's repositories",
        policy: args.keyPolicyText,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
      },
      // Without the key, every image of the repositories it encrypts is lost.
      { parent: this, ...KEEPS_DATA },
    );
    return key.arn;
  }
}
