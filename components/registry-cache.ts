import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHART_PATH, RELEASE_NAME, cacheChartValues } from "../cache/chart-values";
import { ROOT_PREFIX, cacheRegistryConfig } from "../cache/registry-config";
import { ClusterModel } from "../config/model";
import { renderPolicy } from "../iam/document";
import { cacheBucketPolicy, serviceAccountTrustPolicy } from "../iam/cache-storage";
import { clusterTag } from "./providers";

export interface RegistryCacheArgs {
  cluster: ClusterModel & { cache: NonNullable<ClusterModel["cache"]> };
  /** The cache role's identity policy from the access plan. */
  rolePolicyText: string;
  /** Repositories the cluster may not pull, from the access plan: they key the storage root. */
  deniedRepositories: readonly string[];
  oidcIssuer: pulumi.Input<string>;
  registryHost: string;
  registryRegion: string;
  /** The account's deploy role, the only principal that may change the bucket policy. */
  deployRoleArn: string;
}

export interface RegistryCacheProviders {
  aws: aws.Provider;
  kubernetes: k8s.Provider;
}

/** A cluster's pull-through cache: S3 bucket, IRSA role, and the registry's Helm release. */
export class RegistryCache extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly endpoint: string;

  constructor(
    name: string,
    args: RegistryCacheArgs,
    providers: RegistryCacheProviders,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super(
      "registry-hub:cache:RegistryCache",
      name,
      {},
      { ...opts, providers: [providers.aws, providers.kubernetes] },
    );
    const { cluster } = args;
    const { cache } = cluster;
    const inAccount = { parent: this, provider: providers.aws };

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { bucket: cache.bucketName, forceDestroy: false, tags: clusterTag(cluster.name) },
      // Cached layers are data too; removing the cache from config keeps the bucket.
      { ...inAccount, protect: true, retainOnDelete: true },
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
      inAccount,
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-bucket`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      inAccount,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-bucket`,
      {
        bucket: bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      },
      inAccount,
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
          }),
        ),
      },
      inAccount,
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
      inAccount,
    );

    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: cache.roleName,
        tags: clusterTag(cluster.name),
        assumeRolePolicy: pulumi.output(args.oidcIssuer).apply((oidcIssuer) =>
          renderPolicy(
            serviceAccountTrustPolicy({
              partition: cluster.partition,
              accountId: cluster.accountId,
              oidcIssuer,
              namespace: cache.namespace,
              serviceAccount: cache.serviceAccount,
            }),
          ),
        ),
      },
      inAccount,
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-role`,
      { role: role.name, name: "registry-hub-cache", policy: args.rolePolicyText },
      inAccount,
    );

    const inCluster = { parent: this, provider: providers.kubernetes };
    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: cache.namespace,
          // The cache runs on the host network, which the baseline Pod Security level forbids.
          labels: { "pod-security.kubernetes.io/enforce": "privileged" },
        },
      },
      inCluster,
    );
    const release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: RELEASE_NAME,
        namespace: namespace.metadata.name,
        chart: CHART_PATH,
        values: cacheChartValues({
          cache,
          registryConfig: cacheRegistryConfig({
            region: cluster.region,
            bucket: cache.bucketName,
            upstreamHost: args.registryHost,
            port: cache.port,
            deniedRepositories: args.deniedRepositories,
            metrics: cache.metrics.enabled,
          }),
          registryRegion: args.registryRegion,
        }),
      },
      { ...inCluster, dependsOn: [rolePolicy, bucket] },
    );

    this.bucketName = bucket.bucket;
    this.roleArn = role.arn;
    this.endpoint = `http://127.0.0.1:${cache.port} on every node`;
    this.registerOutputs({
      bucketName: this.bucketName,
      roleArn: this.roleArn,
      endpoint: this.endpoint,
      release: release.status,
    });
  }
}
