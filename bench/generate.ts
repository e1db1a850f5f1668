/**
 * Synthetic stack configs for the benchmarks: the raw values of the `registry-hub:*` keys, in
 * the same shape as Pulumi.prod.yaml, so they go through `validateConfig` like a real stack.
 *
 * Deterministic: the same scale always gives the same config, so two runs (N clusters and
 * N+1) differ only in the cluster that was added.
 */
import { AccessMode } from "../config/schema";
import { RawConfig } from "../config/validate";

export interface Scale {
  repositories: number;
  clusters: number;
  /** Clusters are spread round-robin over this many consumer accounts. */
  accounts: number;
  mode: AccessMode;
  /** Give every cluster a pull-through cache (adopted clusters then need `eks`). */
  caches?: boolean;
}

export const REGISTRY_ACCOUNT = "999999999999";
export const ORGANIZATION_ID = "o-bench0000001";
export const REGION = "us-east-1";
const PUSHERS = ["ci", "release", "nightly"];

export function accountId(a: number): string {
  return String(100000000000 + (a + 1) * 111111111).padStart(12, "0");
}

export function accountName(a: number): string {
  return `team-${String(a).padStart(2, "0")}`;
}

export function clusterName(c: number): string {
  return `cluster-${String(c).padStart(4, "0")}`;
}

export function repositoryName(r: number): string {
  // Nested names, like real registries: <team>/<service>.
  return `team-${String(r % 17).padStart(2, "0")}/service-${String(r).padStart(4, "0")}`;
}

/** An adopted cluster: a node role named the way eksctl names them (about 60 characters). */
export function adoptedCluster(
  c: number,
  account: number,
  caches: boolean,
): Record<string, unknown> {
  const name = clusterName(c);
  const cluster: Record<string, unknown> = {
    name,
    nodeRoleArn: `arn:aws:iam::${accountId(account)}:role/eksctl-${name}-nodegroup-NodeInstanceRole`,
  };
  if (caches) {
    cluster.eks = {
      clusterName: name,
      oidcIssuer: `oidc.eks.${REGION}.amazonaws.com/id/${(c.toString(16).toUpperCase() + "B3A1C0FFEE").padEnd(32, "0")}`,
      kubernetesVersion: "1.31",
    };
    cluster.cache = { port: 20500 };
  }
  return cluster;
}

/**
 * Every 4th repository has pushers (every 12th two of them), every 20th is restricted to two
 * clusters, every 3rd expires untagged images (and so gets a lifecycle policy).
 */
export function generateRawConfig(scale: Scale): RawConfig {
  const { repositories, clusters, accounts, mode } = scale;
  const caches = scale.caches ?? false;
  const repositoryList = Array.from({ length: repositories }, (_, r) => {
    const repo: Record<string, unknown> = { name: repositoryName(r) };
    if (r % 4 === 1)
      repo.pushers =
        r % 12 === 1 ? [PUSHERS[0], PUSHERS[1 + (r % 2)]] : [PUSHERS[r % PUSHERS.length]];
    if (r % 20 === 3 && clusters >= 2)
      repo.clusters = [clusterName((r * 7) % clusters), clusterName((r * 7 + 1) % clusters)];
    if (r % 3 === 0) repo.untaggedExpiryDays = 14 + (r % 5) * 7;
    if (r % 10 === 7) repo.mutableTagPatterns = ["latest"];
    return repo;
  });
  const accountList = Array.from({ length: accounts }, (_, a) => ({
    name: accountName(a),
    accountId: accountId(a),
    deployRoleArn: `arn:aws:iam::${accountId(a)}:role/pulumi-deploy`,
    clusters: [] as Record<string, unknown>[],
  }));
  for (let c = 0; c < clusters; c++)
    accountList[c % accounts].clusters.push(adoptedCluster(c, c % accounts, caches));
  return {
    registry: {
      accountId: REGISTRY_ACCOUNT,
      region: REGION,
      deployRoleArn: `arn:aws:iam::${REGISTRY_ACCOUNT}:role/pulumi-deploy`,
      admins: [
        `arn:aws:iam::${REGISTRY_ACCOUNT}:role/registry-admin`,
        `arn:aws:iam::${REGISTRY_ACCOUNT}:role/break-glass`,
      ],
    },
    access: mode === "organization" ? { mode, organizationId: ORGANIZATION_ID } : { mode },
    pushers: PUSHERS.map((name) => ({
      name,
      principalArn: `arn:aws:iam::${REGISTRY_ACCOUNT}:role/${name}-pusher`,
    })),
    repositories: repositoryList,
    accounts: accountList,
  };
}

/**
 * The same config with one more cluster, appended to the first (existing) account. Nothing
 * else changes: no repository names it, so only the new cluster's own resources should appear.
 */
export function withOneMoreCluster(raw: RawConfig, scale: Scale): RawConfig {
  const copy = structuredClone(raw) as { accounts: { clusters: Record<string, unknown>[] }[] };
  copy.accounts[0].clusters.push(adoptedCluster(scale.clusters, 0, scale.caches ?? false));
  return copy;
}
