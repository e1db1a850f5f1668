/** Values for charts/registry-cache, the chart that runs a cluster's cache on every node. */
import { CacheModel } from "../config/model";
import {
  METRICS_PROXY_CONFIG_KEY,
  METRICS_PROXY_START_KEY,
  metricsProxyConfig,
  metricsProxyStartScript,
} from "./metrics-proxy";
import { CacheRegistryConfig } from "./registry-config";
import {
  CREDENTIAL_HELPER_SCRIPT,
  REFRESHER_PATH,
  REFRESHER_SCRIPT,
  SCRIPTS_DIR,
  TOKEN_DIR,
  TOKEN_FILE,
} from "./token-refresh";

/** Relative to the project directory, where `pulumi` runs the program: no machine path in state. */
export const CHART_PATH = "./charts/registry-cache";
export const RELEASE_NAME = "registry-cache";
export const CONFIG_DIR = "/etc/registry-cache";
/** The cache runs on the host network, which the baseline Pod Security level forbids. */
export const NAMESPACE_LABELS = { "pod-security.kubernetes.io/enforce": "privileged" } as const;

/**
 * The liveness probe lists the cache's storage (`_catalog?n=1` is one S3 ListObjects), so a
 * registry that hangs, or whose S3 calls hang, stops answering it. After `failureThreshold`
 * misses the kubelet stops the container and the port closes: containerd's next connection is
 * refused and it goes to ECR at once.
 */
export const LIVENESS_PROBE = {
  path: "/v2/_catalog?n=1",
  periodSeconds: 5,
  timeoutSeconds: 2,
  failureThreshold: 3,
};
export const TERMINATION_GRACE_SECONDS = 3;

/**
 * Longest a hung cache keeps its port open: a hang that starts just after a good probe is
 * seen by the next `failureThreshold` probes, each waiting its timeout, then the kubelet's
 * SIGTERM is followed by SIGKILL after the grace period. A pull waiting on it ends then.
 */
export function hungCacheClosedWithinSeconds(): number {
  const { periodSeconds, timeoutSeconds, failureThreshold } = LIVENESS_PROBE;
  return periodSeconds * failureThreshold + timeoutSeconds + TERMINATION_GRACE_SECONDS;
}

export interface CacheChartInput {
  cache: CacheModel;
  registryConfig: CacheRegistryConfig;
  /** Region of the central registry, where the token is fetched. */
  registryRegion: string;
}

export function cacheChartValues(input: CacheChartInput) {
  const { cache, registryConfig } = input;
  const httpGet = {
    host: "127.0.0.1",
    port: cache.port,
    path: LIVENESS_PROBE.path,
  };
  const { periodSeconds, timeoutSeconds, failureThreshold } = LIVENESS_PROBE;
  return {
    images: cache.images,
    port: cache.port,
    serviceAccount: { name: cache.serviceAccount, roleArn: cache.roleArn },
    registryConfig,
    metrics: {
      ...cache.metrics,
      configKey: METRICS_PROXY_CONFIG_KEY,
      startScript: METRICS_PROXY_START_KEY,
      proxyConfig: metricsProxyConfig(cache.port, cache.metrics.port),
    },
    scripts: {
      "ecr-credential-helper": CREDENTIAL_HELPER_SCRIPT,
      "ecr-token-refresher": REFRESHER_SCRIPT,
      [METRICS_PROXY_START_KEY]: metricsProxyStartScript(CONFIG_DIR),
    },
    paths: {
      configDir: CONFIG_DIR,
      scriptsDir: SCRIPTS_DIR,
      tokenDir: TOKEN_DIR,
      tokenFile: TOKEN_FILE,
      refresher: REFRESHER_PATH,
    },
    // v3 exports request traces to localhost:4318 by default: on the host network that is
    // whatever else listens there on the node.
    registryEnv: [{ name: "OTEL_TRACES_EXPORTER", value: "none" }],
    refresherEnv: [
      { name: "ECR_REGION", value: input.registryRegion },
      { name: "HOME", value: "/tmp" },
    ],
    probes: {
      liveness: { httpGet, periodSeconds, timeoutSeconds, failureThreshold },
      readiness: { httpGet, periodSeconds, timeoutSeconds, failureThreshold: 1 },
    },
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    // A node without its cache pulls from ECR, so a rollout may take a tenth of them at once.
    maxUnavailable: "10%",
    podSecurityContext: {
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containerSecurityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    },
    resources: {
      registry: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
      refresher: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
      metricsProxy: { requests: { cpu: "5m", memory: "16Mi" }, limits: { memory: "64Mi" } },
    },
  };
}

export type CacheChartValues = ReturnType<typeof cacheChartValues>;
