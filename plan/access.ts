/**
 * Who may pull and push what, rendered as the policy documents the program deploys.
 * Pure: the components, the access report, the benchmarks and the tests all call this.
 */
import { ClusterModel, HubConfig, RepositoryModel, allClusters } from "../config/model";
import { AccessMode } from "../config/schema";
import { PolicyDocument, renderPolicy, sortedUnique } from "../iam/document";
import { cacheRolePolicy } from "../iam/cache-storage";
import { consumerPullPolicy } from "../iam/ecr-consumer";
import { lifecyclePolicy } from "../iam/ecr-lifecycle";
import { repositoryPolicy } from "../iam/ecr-repository";
import { registryKeyPolicy } from "../iam/kms-key";
import { registryGuardrailPolicy } from "../iam/registry-guardrail";
import { accountOfArn } from "../naming/aws";

/** A role that pulls from the central registry: a cluster's node role or its cache's role. */
export interface Puller {
  principalArn: string;
  kind: "nodes" | "cache";
  cluster: ClusterModel;
}

export interface RepositoryPlan {
  repository: RepositoryModel;
  policy: PolicyDocument;
  policyText: string;
  lifecyclePolicyText?: string;
}

export interface PullerPlan extends Puller {
  /** The consumer half: the identity policy written on the puller's role in its own account. */
  policy: PolicyDocument;
  policyText: string;
  /** Names of the repositories its cluster may not pull. */
  deniedRepositories: string[];
}

export interface AccessPlan {
  mode: AccessMode;
  repositories: RepositoryPlan[];
  pullers: PullerPlan[];
  /** The registry account's service control policy, when the config names the organization. */
  guardrail?: { policy: PolicyDocument; policyText: string };
  /** The key policy of the KMS key the program creates for the repositories, if it does. */
  registryKey?: { policy: PolicyDocument; policyText: string };
}

export const POLICY_SIZE_LIMIT = 10_240;

/** Everything the program writes inline on one role; IAM limits their total size. */
export interface RoleInlinePolicies {
  roleArn: string;
  /** Where in the stack config the role comes from, for messages. */
  configPath: string;
  policyTexts: string[];
  /** As IAM counts it against the limit: all the role's inline policies, whitespace left out. */
  size: number;
}

function pullersOf(cluster: ClusterModel): Puller[] {
  const pullers: Puller[] = [{ principalArn: cluster.nodeRoleArn, kind: "nodes", cluster }];
  if (cluster.cache) pullers.push({ principalArn: cluster.cache.roleArn, kind: "cache", cluster });
  return pullers;
}

export function mayPull(repository: RepositoryModel, cluster: ClusterModel): boolean {
  return repository.clusters === undefined || repository.clusters.includes(cluster.name);
}

/** Renders every policy for `mode` (default: the configured mode; the config check tries others). */
export function planAccess(config: HubConfig, mode: AccessMode = config.access.mode): AccessPlan {
  const pullers = allClusters(config).flatMap(pullersOf);
  // A repository's policy names neither the repository nor anything but its pushers and the
  // clusters it allows, so repositories alike share one rendering: thousands of repositories
  // that each name a thousand node roles would otherwise hold a thousand copies of one list.
  const rendered = new Map<string, { policy: PolicyDocument; policyText: string }>();
  const render = (repository: RepositoryModel) => {
    const key = JSON.stringify([repository.pusherArns, repository.clusters ?? null]);
    const known = rendered.get(key);
    if (known) return known;
    const pullerArns = pullers
      .filter((p) => mayPull(repository, p.cluster))
      .map((p) => p.principalArn);
    const policy = repositoryPolicy({
      mode,
      partition: config.registry.partition,
      organizationId: config.access.organizationId,
      registryAccountId: config.registry.accountId,
      pullerArns,
      restrictedToClusters: repository.clusters !== undefined,
      pullerAccountIds: sortedUnique(pullerArns.map(accountOfArn)),
      pusherArns: repository.pusherArns,
      adminArns: config.registry.admins,
      deployRoleArn: config.registry.deployRoleArn,
    });
    const result = { policy, policyText: renderPolicy(policy) };
    rendered.set(key, result);
    return result;
  };
  const repositories = config.repositories.map((repository): RepositoryPlan => {
    const lifecycle = lifecyclePolicy({
      untaggedExpiryDays: repository.untaggedExpiryDays,
      ...repository.lifecycle,
    });
    return {
      repository,
      ...render(repository),
      lifecyclePolicyText: lifecycle && JSON.stringify(lifecycle),
    };
  });
  const guardrail =
    config.organization &&
    registryGuardrailPolicy({
      adminArns: config.registry.admins,
      deployRoleArn: config.registry.deployRoleArn,
      pusherArns: sortedUnique(config.repositories.flatMap((r) => r.pusherArns)),
    });
  const registryKey =
    config.registry.encryption &&
    "createKey" in config.registry.encryption &&
    registryKeyPolicy({
      registryAccountId: config.registry.accountId,
      region: config.registry.region,
      adminArns: config.registry.admins,
      deployRoleArn: config.registry.deployRoleArn,
    });
  return {
    mode,
    repositories,
    ...(guardrail && { guardrail: { policy: guardrail, policyText: renderPolicy(guardrail) } }),
    ...(registryKey && {
      registryKey: { policy: registryKey, policyText: renderPolicy(registryKey) },
    }),
    pullers: pullers.map((puller): PullerPlan => {
      const denied = config.repositories.filter((r) => !mayPull(r, puller.cluster));
      const pull = {
        partition: config.registry.partition,
        registryRegion: config.registry.region,
        registryAccountId: config.registry.accountId,
        excludedRepositoryArns: denied.map((r) => r.arn),
      };
      const { cache } = puller.cluster;
      const policy =
        puller.kind === "cache" && cache
          ? cacheRolePolicy({ name: cache.bucketName, accountId: puller.cluster.accountId }, pull)
          : consumerPullPolicy(pull);
      return {
        ...puller,
        policy,
        policyText: renderPolicy(policy),
        deniedRepositories: denied.map((r) => r.name),
      };
    }),
  };
}

/**
 * The inline policies of each role the plan writes on, grouped by role ARN: a node role gets
 * the consumer pull policy, a cache role its storage-and-pull policy, and a role listed twice
 * would carry both.
 */
export function inlinePoliciesByRole(plan: AccessPlan): RoleInlinePolicies[] {
  const roles = new Map<string, RoleInlinePolicies>();
  for (const puller of plan.pullers) {
    const role = roles.get(puller.principalArn) ?? {
      roleArn: puller.principalArn,
      configPath: `${puller.cluster.configPath}${puller.kind === "cache" ? ".cache" : ""}`,
      policyTexts: [],
      size: 0,
    };
    role.policyTexts.push(puller.policyText);
    role.size += puller.policyText.replace(/\s/g, "").length;
    roles.set(puller.principalArn, role);
  }
  return [...roles.values()].sort((a, b) => a.roleArn.localeCompare(b.roleArn));
}
