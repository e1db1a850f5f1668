import * as assert from "node:assert/strict";
import { installMocks, collect, Registered } from "./mocks";
import { stackConfig } from "../helpers";
import { deployHub } from "../../hub";
import { planAccess } from "../../plan/access";
import { CHART, RELEASE_NAME } from "../../cache/helm-values";
import { CREDENTIAL_HELPER_PATH, TOKEN_FILE } from "../../cache/token-refresh";
import { mirrorUserData } from "../../cache/containerd";

installMocks();

describe("the cache of each cluster (prod: beta adopted, prod created; mock runtime)", () => {
  const config = stackConfig("prod");
  const clusters = config.accounts.flatMap((a) => a.clusters).filter((c) => c.cache);
  let resources: Registered[];
  const named = (type: string, name: string) =>
    resources.find((r) => r.type === type && r.name === name);

  before(async () => {
    resources = await collect(() => deployHub(config));
  });

  it("covers one adopted and one created cluster", () => {
    assert.deepEqual(
      clusters.map((c) => [c.name, Boolean(c.create)]),
      [
        ["beta", false],
        ["prod", true],
      ],
    );
  });

  for (const name of ["beta", "prod"]) {
    describe(`cluster ${name}`, () => {
      const cluster = clusters.find((c) => c.name === name)!;
      const cache = cluster.cache!;
      const accountProvider = `account-${cluster.accountName}`;
      const providerOf = (r: Registered | undefined) => r?.provider?.split("::")[3];

      it("has a bucket in its account: no public access, owner enforced, encrypted, TLS only, uploads cleaned", () => {
        const bucket = named("aws:s3/bucket:Bucket", `${name}-cache-bucket`);
        assert.equal(bucket?.inputs.bucket, cache.bucketName);
        assert.equal(bucket?.inputs.forceDestroy, false);
        assert.equal(providerOf(bucket), accountProvider);
        const block = named(
          "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
          `${name}-cache-bucket`,
        );
        assert.deepEqual(
          [
            block?.inputs.blockPublicAcls,
            block?.inputs.blockPublicPolicy,
            block?.inputs.ignorePublicAcls,
            block?.inputs.restrictPublicBuckets,
          ],
          [true, true, true, true],
        );
        const ownership = named(
          "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
          `${name}-cache-bucket`,
        );
        assert.equal(ownership?.inputs.rule.objectOwnership, "BucketOwnerEnforced");
        const sse = named(
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          `${name}-cache-bucket`,
        );
        assert.equal(
          sse?.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
          "AES256",
        );
        const policy = JSON.parse(
          named("aws:s3/bucketPolicy:BucketPolicy", `${name}-cache-bucket`)?.inputs.policy,
        );
        assert.deepEqual(policy.Statement[0].Condition, {
          Bool: { "aws:SecureTransport": "false" },
        });
        assert.equal(policy.Statement[0].Effect, "Deny");
        const lifecycle = named(
          "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
          `${name}-cache-bucket`,
        );
        assert.equal(
          lifecycle?.inputs.rules[0].abortIncompleteMultipartUpload.daysAfterInitiation,
          7,
        );
      });

      it("has an IRSA role trusted by exactly its service account and audience", () => {
        const role = named("aws:iam/role:Role", `${name}-cache-role`);
        assert.equal(role?.inputs.name, cache.roleName);
        assert.equal(providerOf(role), accountProvider);
        const issuer =
          cluster.eks?.oidcIssuer ??
          `oidc.eks.us-east-1.amazonaws.com/id/CREATED${name.toUpperCase()}`;
        const trust = JSON.parse(role?.inputs.assumeRolePolicy);
        assert.deepEqual(trust.Statement, [
          {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::${cluster.accountId}:oidc-provider/${issuer}` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                [`${issuer}:aud`]: "sts.amazonaws.com",
                [`${issuer}:sub`]: `system:serviceaccount:${cache.namespace}:${cache.serviceAccount}`,
              },
            },
          },
        ]);
      });

      it("gives the role the planned storage and pull policy", () => {
        const rolePolicy = named("aws:iam/rolePolicy:RolePolicy", `${name}-cache-role`);
        const planned = planAccess(config).pullers.find(
          (p) => p.kind === "cache" && p.cluster.name === name,
        )!;
        assert.equal(rolePolicy?.inputs.policy, planned.policyText);
        const statements = JSON.parse(rolePolicy?.inputs.policy).Statement;
        assert.deepEqual(
          statements.map((s: { Sid: string; Resource: string }) => [s.Sid, s.Resource]).slice(0, 2),
          [
            ["RegistryBucket", `arn:aws:s3:::${cache.bucketName}`],
            ["RegistryObjects", `arn:aws:s3:::${cache.bucketName}/*`],
          ],
        );
      });

      it("installs the pinned chart with the v3 registry through the cluster's own Kubernetes provider", () => {
        const release = named("kubernetes:helm.sh/v3:Release", `${name}-cache-release`)!;
        assert.equal(release.inputs.chart, CHART.name);
        assert.equal(release.inputs.version, "3.0.0");
        assert.equal(release.inputs.repositoryOpts.repo, "https://helm.twun.io");
        assert.equal(release.inputs.name, RELEASE_NAME);
        assert.ok(
          !RELEASE_NAME.startsWith("registry"),
          "a registry* Service injects REGISTRY_* variables",
        );
        assert.equal(release.inputs.namespace, cache.namespace);
        assert.equal(providerOf(release), `${name}-k8s`);
        const values = release.inputs.values;
        assert.match(values.image.tag, /^3\./);
        assert.equal(values.storage, "s3");
        assert.equal(values.configData.storage.redirect.disable, false);
        assert.equal(values.configData.storage.s3.regionendpoint, undefined);
        assert.equal(values.s3.regionEndpoint, undefined);
        assert.equal(values.configData.proxy.remoteurl, `https://${config.registry.host}`);
        assert.equal(values.configData.proxy.exec.command, CREDENTIAL_HELPER_PATH);
        assert.equal(values.proxy.enabled, false);
        assert.deepEqual(values.service, {
          type: "NodePort",
          port: 5000,
          nodePort: cache.nodePort,
        });
        assert.equal(
          values.serviceAccount.annotations["eks.amazonaws.com/role-arn"],
          cache.roleArn,
        );
        assert.equal(values.serviceAccount.name, cache.serviceAccount);
        assert.equal(values.secrets.haSharedSecret, "generated-ha-shared-secret");
        assert.deepEqual(values.secrets.s3, {});
        assert.ok(values.podDisruptionBudget.maxUnavailable >= 1);
        assert.ok(values.resources.requests.memory);
        assert.equal(
          values.securityContext,
          undefined,
          "the chart's non-root security context is kept",
        );
        const [sidecar] = values.initContainers;
        assert.equal(sidecar.restartPolicy, "Always");
        assert.deepEqual(sidecar.startupProbe.exec.command, ["test", "-s", TOKEN_FILE]);
      });

      it("sends the kubeconfig of the right cluster to its Kubernetes provider", () => {
        const provider = named("pulumi:providers:kubernetes", `${name}-k8s`);
        assert.ok(provider?.inputs.kubeconfig.includes(cluster.eks?.clusterName ?? name));
      });
    });
  }

  it("configures containerd on created clusters' nodes to pull the central registry through the cache", () => {
    const eks = resources.find((r) => r.type === "eks:index:Cluster" && r.inputs.name === "prod")!;
    assert.equal(eks.inputs.nodeUserData, mirrorUserData(config.registry.host, 30500));
    assert.match(
      eks.inputs.nodeUserData,
      /certs\.d\/333333333333\.dkr\.ecr\.us-east-1\.amazonaws\.com\/hosts\.toml/,
    );
  });
});
