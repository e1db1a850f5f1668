/**
 * The validated config with everything derived from it filled in: ARNs, names and URLs
 * that the plan, the components and the tools all read from one place.
 */
import { EncryptionSettings, LifecycleSettings, ScanningSettings } from "./repository-options";
import { AccessMode, CacheSettings, CreateClusterSettings, HubConfigInput } from "./schema";
import {
  CACHE_SERVICE_ACCOUNT,
  cacheBucketName,
  cacheRoleName,
  createdNodeRoleName,
  partitionOf,
  registryHost,
  repositoryArn,
  roleArn,
  roleNameOfArn,
} from "../naming/aws";

export interface CacheModel extends CacheSettings {
  bucketName: string;
  roleName: string;
  roleArn: string;
  serviceAccount: string;
}

interface ClusterBase {
  name: string;
  /** Where in the stack config this cluster was written, for messages. */
  configPath: string;
  accountName: string;
  accountId: string;
  region: string;
  partition: string;
  nodeRoleArn: string;
  nodeRoleName: string;
  cache?: CacheModel;
}

/** A cluster the program creates, with a node role it names up front. */
export interface CreatedClusterModel extends ClusterBase {
  kind: "created";
  create: CreateClusterSettings;
}

/** An existing cluster, known by its node role; `eks` says how its cache reaches it. */
export interface AdoptedClusterModel extends ClusterBase {
  kind: "adopted";
  eks?: { clusterName: string; oidcIssuer: string; kubernetesVersion?: string };
}

export type ClusterModel = CreatedClusterModel | AdoptedClusterModel;

export interface AccountModel {
  name: string;
  accountId: string;
  region: string;
  deployRoleArn: string;
  /** The read-only role pull-request previews assume; unset, the account has none. */
  previewRoleArn?: string;
  /** Only during a rotation: the role about to replace deployRoleArn (docs/operations.md). */
  nextDeployRoleArn?: string;
  clusters: ClusterModel[];
}

export interface RepositoryModel {
  name: string;
  configPath: string;
  arn: string;
  url: string;
  pusherArns: string[];
  /** Cluster names allowed to pull; undefined means every cluster. */
  clusters?: string[];
  untaggedExpiryDays?: number;
  /** Tags that may be pushed again; empty when every tag is immutable. */
  mutableTagPatterns: string[];
  lifecycle: LifecycleSettings;
}

export interface HubConfig {
  /** The config's tags, sorted by key: every provider's defaultTags start from them. */
  tags: Record<string, string>;
  registry: {
    accountId: string;
    region: string;
    partition: string;
    deployRoleArn: string;
    previewRoleArn?: string;
    admins: string[];
    /** The registry endpoint, e.g. 333333333333.dkr.ecr.us-east-1.amazonaws.com */
    host: string;
    /** The KMS key new repositories are encrypted with; unset: AES256. */
    encryption?: EncryptionSettings;
    scanning?: ScanningSettings;
  };
  access: { mode: AccessMode; organizationId?: string };
  /** Set when the config names the management account: the registry account gets an SCP. */
  organization?: { managementAccountId: string; deployRoleArn: string; previewRoleArn?: string };
  repositories: RepositoryModel[];
  accounts: AccountModel[];
}

/** Builds the model from config that passed the schema; cross-references are checked elsewhere. */
export function buildModel(input: HubConfigInput): HubConfig {
  const { registry } = input;
  const partition = partitionOf(registry.region);
  const host = registryHost(registry.accountId, registry.region, partition);
  const pusherArn = new Map(input.pushers.map((p) => [p.name, p.principalArn]));
  return {
    tags: Object.fromEntries(
      Object.entries(input.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
    registry: { ...registry, partition, host, admins: [...registry.admins].sort() },
    access: { ...input.access },
    organization: input.organization && { ...input.organization },
    repositories: input.repositories.map((repo, i) => ({
      name: repo.name,
      configPath: `repositories[${i}]`,
      arn: repositoryArn(partition, registry.region, registry.accountId, repo.name),
      url: `${host}/${repo.name}`,
      pusherArns: repo.pushers.flatMap((name) => pusherArn.get(name) ?? []),
      clusters: repo.clusters,
      untaggedExpiryDays: repo.untaggedExpiryDays,
      mutableTagPatterns: repo.mutableTagPatterns ?? [],
      lifecycle: repo.lifecycle ?? { protectedTagPatterns: [], rules: [] },
    })),
    accounts: input.accounts.map((account, a) => {
      const region = account.region ?? registry.region;
      const accountPartition = partitionOf(region);
      return {
        name: account.name,
        accountId: account.accountId,
        region,
        deployRoleArn: account.deployRoleArn,
        previewRoleArn: account.previewRoleArn,
        nextDeployRoleArn: account.nextDeployRoleArn,
        clusters: account.clusters.map((cluster, c): ClusterModel => {
          const cacheRole = cacheRoleName(cluster.name);
          const nodeRoleArn =
            cluster.nodeRoleArn ??
            roleArn(accountPartition, account.accountId, createdNodeRoleName(cluster.name));
          const base: ClusterBase = {
            name: cluster.name,
            configPath: `accounts[${a}].clusters[${c}]`,
            accountName: account.name,
            accountId: account.accountId,
            region,
            partition: accountPartition,
            nodeRoleArn,
            nodeRoleName: roleNameOfArn(nodeRoleArn),
            cache: cluster.cache && {
              ...cluster.cache,
              bucketName: cacheBucketName(cluster.name, account.accountId),
              roleName: cacheRole,
              roleArn: roleArn(accountPartition, account.accountId, cacheRole),
              serviceAccount: CACHE_SERVICE_ACCOUNT,
            },
          };
          // The schema allows exactly one of create and nodeRoleArn.
          return cluster.create
            ? { ...base, kind: "created", create: cluster.create }
            : { ...base, kind: "adopted", eks: cluster.eks };
        }),
      };
    }),
  };
}

export function allClusters(config: HubConfig): ClusterModel[] {
  return config.accounts.flatMap((account) => account.clusters);
}
