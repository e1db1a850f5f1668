import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as pulumi from "@pulumi/pulumi";
import {
  CHART_PATH,
  NAMESPACE_LABELS,
  RELEASE_NAME,
  cacheChartValues,
} from "../cache/chart-values";
import { ROOT_PREFIX, cacheRegistryConfig, storageRootKeepers } from "../cache/registry-config";
import { ClusterModel } from "../config/model";
import { renderPolicy } from "../iam/document";
import { cacheBucketPolicy, serviceAccountTrustPolicy } from "../iam/cache-storage";
import { KEEPS_DATA, clusterTag, requireProviders } from "./providers";

export interface RegistryCacheArgs {
  /** The cluster's model, with its cache settings. */
  readonly cluster: ClusterModel & { cache: NonNullable<ClusterModel["cache"]> };
  /** The cache role's identity policy from the access plan. */
  readonly rolePolicyText: string;
  /** Repositories the cluster may not pull, from the access plan: the storage root's keepers. */
  readonly deniedRepositories: readonly string[];
  /** The cluster's OIDC issuer (no scheme): from config when adopted, from the cluster when created. */
  readonly oidcIssuer: pulumi.Input<string>;
  /** The central registry's host, the cache's upstream. */
  readonly registryHost: string;
  /** The central registry's region, where the cache asks for ECR tokens. */
  readonly registryRegion: string;
  /** The account's deploy role, the only principal that may change the bucket policy. */
  readonly deployRoleArn: string;
  /** The role about to replace the deploy role, admitted like it during a rotation. */
  readonly nextDeployRoleArn?: string;
}

/**
 * A cluster's pull-through cache: S3 bucket, IRSA role, and the registry's Helm release.
 * Needs `opts.providers.aws` (the cluster's account), `opts.providers.kubernetes` (the cluster)
 * and `opts.providers.random` (for the storage root's id).
 */
export class RegistryCache extends pulumi.ComponentResource {
  /** The bucket's name, from config (the bucket is created with exactly this name). */
  readonly bucketName: string;
  /** The IRSA role's ARN, from config (the role is created with exactly this name). */
  readonly roleArn: string;
  /** Where nodes reach the cache. */
  readonly endpoint: string;

  constructor(name: string, args: RegistryCacheArgs, opts: pulumi.ComponentResourceOptions) {
    requireProviders("RegistryCache", opts, ["aws", "kubernetes", "random"]);
    super("registry-hub:cache:RegistryCache", name, {}, opts);
    const { cluster } = args;
    const { cache } = cluster;
    const trustPolicy = (oidcIssuer: string) =>
      renderPolicy(
        serviceAccountTrustPolicy({
          partition: cluster.partition,
          accountId: cluster.accountId,
          oidcIssuer,
          namespace: cache.namespace,
          serviceAccount: cache.serviceAccount,
        }),
      );

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { bucket: cache.bucketName, forceDestroy: false, tags: clusterTag(cluster.name) },
      // Cached layers are data too; removing the cache from config keeps the bucket.
      { parent: this, ...KEEPS_DATA },
    );
    new aws.s3.BucketPublicAccessBlock(
      `${name}-bucket`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      { parent: this, ...KEEPS_DATA },
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-bucket`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this, ...KEEPS_DATA },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-bucket`,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      },
      { parent: this, ...KEEPS_DATA },
    );
    new aws.s3.BucketPolicy(
      `${name}-bucket`,
      {
        bucket: bucket.id,
        policy: renderPolicy(
          cacheBucketPolicy({
            partition: cluster.partition,
            bucket: cache.bucketName,
            cacheRoleArn: cache.roleArn,
            deployRoleArn: args.deployRoleArn,
            nextDeployRoleArn: args.nextDeployRoleArn,
          }),
        ),
      },
      { parent: this, ...KEEPS_DATA },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-bucket`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "abort-incomplete-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
          {
            // The cache's expiry: the registry's own TTL is off (see cache/registry-config.ts).
            id: "expire-cached-content",
            status: "Enabled",
            filter: { prefix: ROOT_PREFIX },
            expiration: { days: cache.expiryDays },
          },
        ],
      },
      { parent: this, ...KEEPS_DATA },
    );

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: cache.roleName,
        tags: clusterTag(cluster.name),
        // Known from config for an adopted cluster; a created cluster's comes from the cluster.
        assumeRolePolicy:
          typeof args.oidcIssuer === "string"
            ? trustPolicy(args.oidcIssuer)
            : pulumi.output(args.oidcIssuer).apply(trustPolicy),
      },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-role`,
      { role: role.name, name: "registry-hub-cache", policy: args.rolePolicyText },
      { parent: this },
    );

    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: { name: cache.namespace, labels: { ...NAMESPACE_LABELS } },
      },
      { parent: this },
    );
    // A new storage root, never an old one, whenever the denied repositories change.
    const root = new random.RandomId(
      `${name}-root`,
      { byteLength: 8, keepers: storageRootKeepers(args.deniedRepositories) },
      { parent: this },
    );
    const release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: RELEASE_NAME,
        namespace: namespace.metadata.name,
        chart: CHART_PATH,
        values: root.hex.apply((rootId) =>
          cacheChartValues({
            cache,
            registryConfig: cacheRegistryConfig({
              region: cluster.region,
              bucket: cache.bucketName,
              upstreamHost: args.registryHost,
              port: cache.port,
              rootId,
              metrics: cache.metrics.enabled,
            }),
            registryRegion: args.registryRegion,
          }),
        ),
      },
      { parent: this, dependsOn: [rolePolicy, bucket] },
    );

    this.bucketName = cache.bucketName;
    this.roleArn = cache.roleArn;
    this.endpoint = `http://127.0.0.1:${cache.port} on every node`;
    this.registerOutputs({
      bucketName: this.bucketName,
      roleArn: this.roleArn,
      endpoint: this.endpoint,
      release: release.status,
    });
  }
}
