/**
 * The distribution (v3) configuration of a cluster's pull-through cache. The Helm release
 * deploys exactly this object; the integration tests run the real registry with it.
 */
import { CREDENTIAL_HELPER_PATH, HELPER_LIFETIME_SECONDS } from "./token-refresh";

export interface CacheRegistrySettings {
  /** Region and name of the cache bucket. */
  region: string;
  bucket: string;
  /** The central registry, e.g. 333333333333.dkr.ecr.us-east-1.amazonaws.com */
  upstreamHost: string;
  ttlHours: number;
}

export const REGISTRY_PORT = 5000;
export const ROOT_DIRECTORY = "/cache";

export function cacheRegistryConfig(settings: CacheRegistrySettings) {
  return {
    version: "0.1",
    log: { level: "info", formatter: "json" },
    http: { addr: `:${REGISTRY_PORT}`, headers: { "X-Content-Type-Options": ["nosniff"] } },
    storage: {
      // No regionendpoint: on AWS it sends the IRSA STS call to S3, which answers 405 (seed 004).
      s3: {
        region: settings.region,
        bucket: settings.bucket,
        rootdirectory: ROOT_DIRECTORY,
        encrypt: true,
        secure: true,
      },
      // Blob GETs answer 307 to a presigned S3 URL: layer bytes go S3 -> node, not through the pod.
      redirect: { disable: false },
      // The proxy's TTL expiry deletes blobs.
      delete: { enabled: true },
      cache: { blobdescriptor: "inmemory" },
    },
    health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
    proxy: {
      remoteurl: `https://${settings.upstreamHost}`,
      ttl: `${settings.ttlHours}h`,
      exec: { command: CREDENTIAL_HELPER_PATH, lifetime: `${HELPER_LIFETIME_SECONDS}s` },
    },
  };
}

export type CacheRegistryConfig = ReturnType<typeof cacheRegistryConfig>;
