/** Values for the twuni docker-registry chart that runs a cluster's cache. */
import { CacheModel } from "../config/model";
import { CacheRegistryConfig, REGISTRY_PORT } from "./registry-config";
import { REFRESHER_PATH, SCRIPTS_DIR, TOKEN_DIR, TOKEN_FILE } from "./token-refresh";

export const CHART = { name: "docker-registry", version: "3.0.0", repo: "https://helm.twun.io" };
/** distribution v3: 2.8 cannot proxy ECR's Basic challenge and has no IRSA. */
export const REGISTRY_IMAGE = { repository: "registry", tag: "3.1.1" };
export const AWS_CLI_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.22.35";
/** A Service whose name starts with "registry" injects REGISTRY_* variables the registry reads as config. */
export const RELEASE_NAME = "ecr-cache";
export const SCRIPTS_CONFIGMAP = "ecr-cache-scripts";

export interface CacheValuesInput {
  cache: CacheModel;
  registryConfig: CacheRegistryConfig;
  /** Region of the central registry, where the token is fetched. */
  registryRegion: string;
  /** Pinned so pods do not roll on every update; a generated secret, never plain config. */
  haSharedSecret: unknown;
}

export function cacheHelmValues(input: CacheValuesInput) {
  const { cache, registryConfig } = input;
  const { s3 } = registryConfig.storage;
  return {
    image: REGISTRY_IMAGE,
    replicaCount: cache.replicas,
    // The chart turns these into REGISTRY_STORAGE_S3_* variables; they repeat configData's values.
    storage: "s3",
    s3: {
      region: s3.region,
      bucket: s3.bucket,
      rootdirectory: s3.rootdirectory,
      encrypt: s3.encrypt,
      secure: s3.secure,
    },
    // IRSA, not keys: an empty s3 secret keeps the chart from rendering key variables (twuni#71).
    secrets: { s3: {}, haSharedSecret: input.haSharedSecret },
    configData: registryConfig,
    // The chart's proxy block reads a static password once at start; configData's proxy.exec refreshes.
    proxy: { enabled: false },
    service: { type: "NodePort", port: REGISTRY_PORT, nodePort: cache.nodePort },
    serviceAccount: {
      create: true,
      name: cache.serviceAccount,
      annotations: { "eks.amazonaws.com/role-arn": cache.roleArn },
    },
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
    podDisruptionBudget: { maxUnavailable: 1 },
    initContainers: [
      {
        // A native sidecar: the registry starts once its startup probe sees a token.
        name: "ecr-token-refresher",
        image: AWS_CLI_IMAGE,
        restartPolicy: "Always",
        command: ["/bin/sh", REFRESHER_PATH],
        env: [
          { name: "ECR_REGION", value: input.registryRegion },
          { name: "HOME", value: "/tmp" },
        ],
        startupProbe: {
          exec: { command: ["test", "-s", TOKEN_FILE] },
          periodSeconds: 2,
          failureThreshold: 90,
        },
        resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        volumeMounts: [
          { name: "ecr-token", mountPath: TOKEN_DIR },
          { name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true },
        ],
      },
    ],
    extraVolumes: [
      { name: "ecr-token", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
      { name: "scripts", configMap: { name: SCRIPTS_CONFIGMAP, defaultMode: 0o555 } },
    ],
    extraVolumeMounts: [
      { name: "ecr-token", mountPath: TOKEN_DIR, readOnly: true },
      { name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true },
    ],
  };
}
