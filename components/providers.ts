import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AccountTarget {
  accountId: string;
  region: string;
  deployRoleArn: string;
}

/** One provider per account: it assumes that account's deploy role and refuses any other account. */
export function accountProvider(name: string, target: AccountTarget): aws.Provider {
  return new aws.Provider(name, {
    region: target.region as aws.Region,
    assumeRoles: [{ roleArn: target.deployRoleArn, sessionName: "registry-hub" }],
    allowedAccountIds: [target.accountId],
  });
}

/** Components that must run in a specific account refuse to fall back to a default provider. */
export function requireProvider(component: string, opts?: pulumi.ComponentResourceOptions): void {
  if (!opts?.provider && !opts?.providers) {
    throw new Error(`${component} needs an explicit provider for its account`);
  }
}
