import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HUB_TAG_PREFIX } from "../config/schema";

export interface AccountTarget {
  accountId: string;
  region: string;
  /** The AWS profile that holds the credentials for the account (naming/aws.ts awsProfileName). */
  profile: string;
}

/** The hub's own tag keys, next to the config's tags on every taggable resource. */
export const HUB_TAGS = {
  stack: `${HUB_TAG_PREFIX}stack`,
  account: `${HUB_TAG_PREFIX}account`,
  cluster: `${HUB_TAG_PREFIX}cluster`,
} as const;

/**
 * The tags every resource of one provider carries: the config's, the stack's name, and the
 * account the resources serve (its name in the config, or `registry` for the central registry).
 */
export function accountTags(
  configTags: Record<string, string>,
  stack: string,
  account: string,
): Record<string, string> {
  return { ...configTags, [HUB_TAGS.stack]: stack, [HUB_TAGS.account]: account };
}

/** The tag that marks a resource as serving one cluster only. */
export function clusterTag(cluster: string): Record<string, string> {
  return { [HUB_TAGS.cluster]: cluster };
}

/**
 * One provider per account: it acts through the account's AWS profile (which assumes the deploy
 * role on deploys and the read-only preview role in pull-request previews, see
 * tools/aws-profiles.ts), refuses any other account, and tags everything it creates
 * (defaultTags, so no resource can forget them).
 */
export function accountProvider(
  name: string,
  target: AccountTarget,
  tags: Record<string, string>,
): aws.Provider {
  return new aws.Provider(name, {
    region: target.region as aws.Region,
    profile: target.profile,
    allowedAccountIds: [target.accountId],
    defaultTags: { tags },
  });
}

/** The providers a component can be given, by package, in `opts.providers`. */
export interface ComponentProviders {
  aws: pulumi.ProviderResource;
  eks: pulumi.ProviderResource;
  kubernetes: pulumi.ProviderResource;
  random: pulumi.ProviderResource;
}

/**
 * The one convention of every component here: it runs in one account (or cluster), so it refuses
 * to start without an explicit provider for each package it creates resources of, given as
 * `opts.providers` by package (`{ aws }`, `{ aws, kubernetes }`). Its children are created with
 * `{ parent: this }` and inherit them; nothing can fall back to a default provider.
 */
export function requireProviders<K extends keyof ComponentProviders>(
  component: string,
  opts: pulumi.ComponentResourceOptions | undefined,
  packages: readonly K[],
): Pick<ComponentProviders, K> {
  const given = opts?.providers;
  if (Array.isArray(given))
    throw new Error(`${component}: give its providers by package, { ${packages.join(", ")} }`);
  const byPackage = (given ?? {}) as Partial<Record<string, pulumi.ProviderResource>>;
  const missing = packages.filter((pkg) => !byPackage[pkg]);
  if (missing.length > 0) {
    throw new Error(
      `${component} needs an explicit provider for its account: opts.providers.${missing.join(", opts.providers.")}`,
    );
  }
  return Object.fromEntries(packages.map((pkg) => [pkg, byPackage[pkg]])) as Pick<
    ComponentProviders,
    K
  >;
}

/**
 * The options of everything that holds data (repositories, the cache bucket, the registry's KMS
 * key) and of what guards it or goes with it (a repository's policy and lifecycle policy, the
 * bucket's policy, public access block, ownership, encryption and lifecycle). The engine refuses
 * to delete any of them, so removing or renaming one in the config fails the update before a
 * single one is deleted (tests/engine); `pulumi state unprotect` then lets it leave the state
 * while it stays in AWS.
 */
export const KEEPS_DATA = { protect: true, retainOnDelete: true } as const;
