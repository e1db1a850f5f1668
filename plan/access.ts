/**
 * Who may pull and push what, rendered as the policy documents the program deploys.
 * Pure: the components, the access report, the benchmarks and the tests all call this.
 */
import { ClusterModel, HubConfig, RepositoryModel, allClusters } from "../config/model";
import { AccessMode } from "../config/schema";
import { PolicyDocument, accountOfArn, renderPolicy, sortedUnique } from "../policies/document";
import { cacheRolePolicy } from "../policies/cache-storage";
import { consumerPullPolicy } from "../policies/ecr-consumer";
import { untaggedExpiryPolicy } from "../policies/ecr-lifecycle";
import { repositoryPolicy } from "../policies/ecr-repository";

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
}

export interface AccessPlan {
  mode: AccessMode;
  repositories: RepositoryPlan[];
  pullers: PullerPlan[];
}

export const POLICY_SIZE_LIMIT = 10_240;

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
      organizationId: config.access.organizationId,
      registryAccountId: config.registry.accountId,
      pullerArns,
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
    return {
      repository,
      ...render(repository),
      lifecyclePolicyText:
        repository.untaggedExpiryDays === undefined
          ? undefined
          : JSON.stringify(untaggedExpiryPolicy(repository.untaggedExpiryDays)),
    };
  });
  return {
    mode,
    repositories,
    pullers: pullers.map((puller): PullerPlan => {
      const pull = {
        partition: config.registry.partition,
        registryRegion: config.registry.region,
        registryAccountId: config.registry.accountId,
        excludedRepositoryArns: config.repositories
          .filter((r) => !mayPull(r, puller.cluster))
          .map((r) => r.arn),
      };
      const { cache } = puller.cluster;
      const policy =
        puller.kind === "cache" && cache
          ? cacheRolePolicy(cache.bucketName, pull)
          : consumerPullPolicy(pull);
      return { ...puller, policy, policyText: renderPolicy(policy) };
    }),
  };
}
