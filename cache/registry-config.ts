/**
 * The distribution (v3) configuration of a cluster's pull-through cache. The chart in
 * charts/registry-cache renders exactly this object as config.yml (it merges no defaults of
 * its own); the integration tests render the chart with Helm and run the real registry on
 * what comes out.
 */
import { CREDENTIAL_HELPER_PATH, HELPER_LIFETIME_SECONDS } from "./token-refresh";

export interface CacheRegistrySettings {
  /** Region and name of the cache bucket. */
  region: string;
  bucket: string;
  /** The central registry, e.g. 333333333333.dkr.ecr.us-east-1.amazonaws.com */
  upstreamHost: string;
  /** The port on the node's 127.0.0.1. */
  port: number;
  /** The id of the cluster's current storage root (see storageRootKeepers). */
  rootId: string;
  /** How long the registry caches the credential helper's answer. */
  helperLifetimeSeconds?: number;
  /** Serve Prometheus metrics on 127.0.0.1:<port + 1>, for the metrics proxy. */
  metrics: boolean;
}

/** The registry's debug listener: loopback only, since it serves pprof and expvar besides /metrics. */
export function debugAddress(port: number): string {
  return `127.0.0.1:${port + 1}`;
}

/** Every cache root lives under this prefix, which the bucket's expiry rule covers. */
export const ROOT_PREFIX = "cache/";

/**
 * What decides a cluster's storage root: the repositories it may not pull. The root's id is a
 * random id with these keepers (components/registry-cache.ts), so it is replaced, by one never
 * used before, whenever they change. The proxy serves what it stored even when the upstream
 * refuses it now, so a root must never be reused once it may have held a repository the
 * cluster was later denied: a root derived from the denied set alone came back after a grant
 * and a revoke, holding what pods still on it had fetched while the repository was granted.
 * A new repository the cluster may pull leaves the keepers, the root and its content in place.
 */
export function storageRootKeepers(deniedRepositories: readonly string[]): Record<string, string> {
  return { deniedRepositories: [...deniedRepositories].sort().join("\n") };
}

export function storageRoot(rootId: string): string {
  return `/${ROOT_PREFIX}${rootId}`;
}
/**
 * S3 accepts no ACL but this one on a bucket with BucketOwnerEnforced ownership
 * (AccessControlListNotSupported); v3 sends `private` by default and refuses an empty value.
 */
export const OBJECT_ACL = "bucket-owner-full-control";

export function cacheRegistryConfig(settings: CacheRegistrySettings) {
  return {
    version: "0.1",
    log: { level: "info", formatter: "json" },
    // Loopback only: containerd on the same node is the one client (hostNetwork pod).
    http: {
      addr: `127.0.0.1:${settings.port}`,
      headers: { "X-Content-Type-Options": ["nosniff"] },
      ...(settings.metrics && {
        debug: {
          addr: debugAddress(settings.port),
          prometheus: { enabled: true, path: "/metrics" },
        },
      }),
    },
    storage: {
      // No regionendpoint: on AWS it sends the IRSA STS call to S3, which answers 405.
      s3: {
        region: settings.region,
        bucket: settings.bucket,
        rootdirectory: storageRoot(settings.rootId),
        encrypt: true,
        secure: true,
        objectacl: OBJECT_ACL,
      },
      // Blob GETs answer 307 to a presigned S3 URL: layer bytes go S3 -> node, not through the pod.
      redirect: { disable: false },
      // No in-memory blob descriptor cache: the bucket's lifecycle rule deletes blobs under
      // every node's cache, and a stale "exists" would redirect to a deleted object.
    },
    // A storage failure turns every answer into 503, which containerd skips at once.
    health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
    proxy: {
      remoteurl: `https://${settings.upstreamHost}`,
      // Every node runs a cache on the same bucket; v3's TTL scheduler keeps one shared
      // scheduler-state.json that each instance would overwrite. "0s" turns it off and the
      // bucket's lifecycle rule expires cached content instead (same rule: age since fetch).
      ttl: "0s",
      exec: {
        command: CREDENTIAL_HELPER_PATH,
        lifetime: `${settings.helperLifetimeSeconds ?? HELPER_LIFETIME_SECONDS}s`,
      },
    },
  };
}

export type CacheRegistryConfig = ReturnType<typeof cacheRegistryConfig>;
