/** Creates the components for a validated config, each in its account's provider. */
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CentralRegistry } from "./components/central-registry";
import { ConsumerAccess } from "./components/consumer-access";
import { EksCluster, adoptedKubeconfig } from "./components/eks-cluster";
import { accountProvider, accountTags } from "./components/providers";
import { RegistryCache } from "./components/registry-cache";
import { RegistryGuardrail } from "./components/registry-guardrail";
import { AdoptedClusterModel, HubConfig } from "./config/model";
import { AccessPlan } from "./plan/access";

/** Takes the prepared model and plan as they are: nothing here checks or plans again. */
export function deployHub(config: HubConfig, plan: AccessPlan) {
  const tagsFor = (account: string) => accountTags(config.tags, pulumi.getStack(), account);
  // The guardrail lives in the management account but serves the registry account.
  const registryTags = tagsFor("registry");
  const registryProvider = accountProvider("registry", config.registry, registryTags);
  const registry = new CentralRegistry(
    "central",
    {
      repositories: plan.repositories,
      encryption: config.registry.encryption,
      keyPolicyText: plan.registryKey?.policyText,
      scanning: config.registry.scanning,
    },
    { provider: registryProvider },
  );

  if (config.organization && plan.guardrail) {
    const management = accountProvider(
      "organization",
      {
        accountId: config.organization.managementAccountId,
        region: config.registry.region,
        deployRoleArn: config.organization.deployRoleArn,
      },
      registryTags,
    );
    new RegistryGuardrail(
      "registry-guardrail",
      { registryAccountId: config.registry.accountId, policyText: plan.guardrail.policyText },
      { provider: management },
    );
  }

  const caches: Record<
    string,
    { endpoint: string; bucket: pulumi.Output<string>; roleArn: pulumi.Output<string> }
  > = {};
  for (const account of config.accounts) {
    const provider = accountProvider(`account-${account.name}`, account, tagsFor(account.name));
    const createdClusters: EksCluster[] = [];
    for (const cluster of account.clusters) {
      const created =
        cluster.kind === "created"
          ? new EksCluster(
              cluster.name,
              {
                cluster,
                registryHost: config.registry.host,
                deployRoleArn: account.deployRoleArn,
              },
              { provider },
            )
          : undefined;
      if (created) createdClusters.push(created);
      const { cache } = cluster;
      if (!cache) continue;
      const { kubeconfig, oidcIssuer } =
        cluster.kind === "created"
          ? created!
          : adoptedCluster(cluster, account.deployRoleArn, provider);
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
        },
        { aws: provider, kubernetes },
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
    new ConsumerAccess(
      `account-${account.name}`,
      { nodeRoles },
      { provider, dependsOn: createdClusters },
    );
  }

  return {
    registryId: registry.registryId,
    repositoryUrls: registry.repositoryUrls,
    repositoryPolicyChars: Object.fromEntries(
      plan.repositories.map((r) => [r.repository.name, r.policyText.length]),
    ),
    caches,
  };
}

/** How the program reaches a cluster it did not create: through the `eks` settings of its config. */
function adoptedCluster(
  cluster: AdoptedClusterModel,
  deployRoleArn: string,
  provider: aws.Provider,
) {
  if (!cluster.eks)
    throw new Error(`${cluster.configPath}: an adopted cluster with a cache needs eks`);
  const { clusterName, oidcIssuer } = cluster.eks;
  return {
    kubeconfig: adoptedKubeconfig(clusterName, cluster.region, deployRoleArn, provider),
    oidcIssuer,
  };
}
