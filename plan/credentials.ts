/**
 * The accounts the program acts in, each with the roles a job may act there as: one list for
 * the providers (hub.ts) and the AWS profiles (tools/aws-profiles.ts), so they cannot disagree.
 */
import { HubConfig } from "../config/model";

export interface CredentialTarget {
  /** The provider's name, and the profile's suffix: `registry`, `organization`, `account-<name>`. */
  name: string;
  /** Where the target is in the config, for messages. */
  configPath: string;
  accountId: string;
  region: string;
  deployRoleArn: string;
  previewRoleArn?: string;
}

export function credentialTargets(config: HubConfig): CredentialTarget[] {
  const { registry, organization } = config;
  return [
    {
      name: "registry",
      configPath: "registry",
      accountId: registry.accountId,
      region: registry.region,
      deployRoleArn: registry.deployRoleArn,
      previewRoleArn: registry.previewRoleArn,
    },
    ...(organization
      ? [
          {
            name: "organization",
            configPath: "organization",
            accountId: organization.managementAccountId,
            // The service control policy is global; its API answers in the registry's region.
            region: registry.region,
            deployRoleArn: organization.deployRoleArn,
            previewRoleArn: organization.previewRoleArn,
          },
        ]
      : []),
    ...config.accounts.map((account, a) => ({
      name: `account-${account.name}`,
      configPath: `accounts[${a}]`,
      accountId: account.accountId,
      region: account.region,
      deployRoleArn: account.deployRoleArn,
      previewRoleArn: account.previewRoleArn,
    })),
  ];
}
