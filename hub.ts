/** Creates the components for a validated config, each in its account's provider. */
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as pulumi from "@pulumi/pulumi";
import { CentralRegistry } from "./components/central-registry";
import { ConsumerAccess, ConsumerPolicy } from "./components/consumer-access";
import { EksCluster, adoptedKubeconfig } from "./components/eks-cluster";
import { accountProvider, accountTags } from "./components/providers";
import { awsProfileName } from "./naming/aws";
import { credentialTargets } from "./plan/credentials";
import { RegistryCache } from "./components/registry-cache";
import { RegistryGuardrail } from "./components/registry-guardrail";
import { ClusterModel, HubConfig } from "./config/model";
import { AccessPlan } from "./plan/access";

/** Takes the prepared model and plan as they are: nothing here checks or plans again. */
export function deployHub(config: HubConfig, plan: AccessPlan) {
  const stack = pulumi.getStack();
  const tagsFor = (account: string) => accountTags(config.tags, stack, account);
  const targets = new Map(credentialTargets(config).map((t) => [t.name, t]));
  const profileOf = (target: string) => awsProfileName(stack, target);
  const providerFor = (target: string, tags: Record<string, string>) => {
    const { accountId, region } = targets.get(target)!;
    return accountProvider(target, { accountId, region, profile: profileOf(target) }, tags);
  };
  // The guardrail lives in the management account but serves the registry account.
  const registryTags = tagsFor("registry");
  const registryProvider = providerFor("registry", registryTags);
  const registry = new CentralRegistry(
    "central",
    {
      registryId: config.registry.accountId,
      repositories: plan.repositories,
      encryption: config.registry.encryption,
      keyPolicyText: plan.registryKey?.policyText,
      scanning: config.registry.scanning,
    },
    { providers: { aws: registryProvider } },
  );

  if (config.organization && plan.guardrail) {
    const management = providerFor("organization", registryTags);
    new RegistryGuardrail(
      "registry-guardrail",
      { registryAccountId: config.registry.accountId, policyText: plan.guardrail.policyText },
      { providers: { aws: management } },
    );
  }

  // The caches' storage root ids; one explicit provider, made with the first cache.
  let randomIds: random.Provider | undefined;
  const randomProvider = () => (randomIds ??= new random.Provider("random"));
  const caches: Record<string, { endpoint: string; bucket: string; roleArn: string }> = {};
  const consumerPolicies: Record<string, Record<string, ConsumerPolicy>> = {};
  for (const account of config.accounts) {
    const target = `account-${account.name}`;
    const provider = providerFor(target, tagsFor(account.name));
    // A created cluster's node role: its pull policy waits for the role, not for the cluster.
    const createdNodeRoleNames: Record<string, pulumi.Output<string>> = {};
    // The eks plugin constructs eks.Cluster; one explicit instance per account that creates any.
    const eksProvider = account.clusters.some((c) => c.kind === "created")
      ? new eks.Provider(`account-${account.name}-eks`)
      : undefined;
    for (const cluster of account.clusters) {
      const created =
        cluster.kind === "created" && eksProvider
          ? new EksCluster(
              cluster.name,
              {
                cluster,
                registryHost: config.registry.host,
                awsProfile: profileOf(target),
              },
              { providers: { aws: provider, eks: eksProvider } },
            )
          : undefined;
      if (created) createdNodeRoleNames[cluster.name] = created.nodeRoleName;
      const { cache } = cluster;
      if (!cache) continue;
      const { kubeconfig, oidcIssuer } =
        created ?? adoptedCluster(cluster, profileOf(target), provider);
      const kubernetes = new k8s.Provider(`${cluster.name}-k8s`, { kubeconfig });
      const cacheRole = plan.pullers.find((p) => p.kind === "cache" && p.cluster === cluster);
      const registryCache = new RegistryCache(
        `${cluster.name}-cache`,
        {
          cluster: { ...cluster, cache },
          rolePolicyText: cacheRole!.policyText,
          deniedRepositories: cacheRole!.deniedRepositories,
          oidcIssuer,
          registryHost: config.registry.host,
          registryRegion: config.registry.region,
          deployRoleArn: account.deployRoleArn,
          nextDeployRoleArn: account.nextDeployRoleArn,
        },
        { providers: { aws: provider, kubernetes, random: randomProvider() } },
      );
      caches[cluster.name] = {
        endpoint: registryCache.endpoint,
        bucket: registryCache.bucketName,
        roleArn: registryCache.roleArn,
      };
    }
    const nodeRoles = plan.pullers.filter(
      (p) => p.kind === "nodes" && p.cluster.accountName === account.name,
    );
    const consumer = new ConsumerAccess(
      `account-${account.name}`,
      { nodeRoles, createdNodeRoleNames },
      { providers: { aws: provider } },
    );
    consumerPolicies[account.name] = { ...consumer.policies };
  }

  return {
    registryId: registry.registryId,
    repositoryUrls: registry.repositoryUrls,
    repositoryPolicyChars: Object.fromEntries(
      plan.repositories.map((r) => [r.repository.name, r.policyText.length]),
    ),
    caches,
    consumerPolicies,
  };
}

/** How the program reaches a cluster it did not create: through the `eks` settings of its config. */
function adoptedCluster(cluster: ClusterModel, awsProfile: string, provider: aws.Provider) {
  if (cluster.kind !== "adopted" || !cluster.eks)
    throw new Error(`${cluster.configPath}: an adopted cluster with a cache needs eks`);
  const { clusterName, oidcIssuer } = cluster.eks;
  return {
    kubeconfig: adoptedKubeconfig(clusterName, cluster.region, awsProfile, provider),
    oidcIssuer,
  };
}
