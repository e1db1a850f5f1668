import * as assert from "node:assert/strict";
import { installMocks, collect, Registered } from "../../testing/mock-runtime";
import { copy, deployPlanned, rawStack, stackConfig, validConfig } from "../../testing/stacks";
import { deployHub } from "../../hub";
import { planAccess } from "../../plan/access";
import { CHART_PATH, RELEASE_NAME } from "../../cache/chart-values";
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
    resources = await collect(() => deployHub(config, planAccess(config)));
  });

  it("covers one adopted and one created cluster", () => {
    assert.deepEqual(
      clusters.map((c) => [c.name, c.kind === "created"]),
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
          (cluster.kind === "adopted" ? cluster.eks?.oidcIssuer : undefined) ??
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

      it("installs the repository's own chart on every node, loopback only, through the cluster's own Kubernetes provider", () => {
        const release = named("kubernetes:helm.sh/v3:Release", `${name}-cache-release`)!;
        assert.equal(release.inputs.chart, CHART_PATH);
        assert.ok(!CHART_PATH.startsWith("/"), "no machine path in the release's inputs");
        assert.equal(release.inputs.name, RELEASE_NAME);
        assert.equal(release.inputs.namespace, cache.namespace);
        assert.equal(providerOf(release), `${name}-k8s`);
        const namespace = named("kubernetes:core/v1:Namespace", `${name}-cache-ns`)!;
        assert.equal(
          namespace.inputs.metadata.labels["pod-security.kubernetes.io/enforce"],
          "privileged",
          "hostNetwork pods need a namespace that allows them",
        );
        const values = release.inputs.values;
        assert.match(values.images.registry, /\/registry:3\.1\.1@sha256:[0-9a-f]{64}$/);
        assert.match(values.images.tokenRefresher, /@sha256:[0-9a-f]{64}$/);
        assert.ok(
          !/docker\.io|^registry:/.test(values.images.registry),
          "not pulled anonymously from Docker Hub",
        );
        const registry = values.registryConfig;
        assert.equal(registry.http.addr, `127.0.0.1:${cache.port}`);
        assert.equal(registry.http.debug, undefined, "no debug listener (pprof)");
        assert.equal(registry.storage.s3.objectacl, "bucket-owner-full-control");
        assert.equal(registry.storage.redirect.disable, false);
        assert.equal(registry.storage.s3.regionendpoint, undefined);
        assert.equal(registry.proxy.remoteurl, `https://${config.registry.host}`);
        assert.equal(registry.proxy.ttl, "0s", "one bucket, many instances: no shared scheduler");
        assert.equal(registry.proxy.exec.command, CREDENTIAL_HELPER_PATH);
        assert.deepEqual(values.serviceAccount, {
          name: cache.serviceAccount,
          roleArn: cache.roleArn,
        });
        assert.equal(values.probes.liveness.httpGet.host, "127.0.0.1");
        assert.equal(values.probes.liveness.httpGet.port, cache.port);
        assert.deepEqual(values.registryEnv, [{ name: "OTEL_TRACES_EXPORTER", value: "none" }]);
        assert.equal(values.podSecurityContext.runAsNonRoot, true);
        assert.equal(values.paths.tokenFile, TOKEN_FILE);
      });

      it("expires cached content by bucket lifecycle after expiryDays", () => {
        const lifecycle = named(
          "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
          `${name}-cache-bucket`,
        )!;
        const rule = lifecycle.inputs.rules.find(
          (r: { id: string }) => r.id === "expire-cached-content",
        );
        assert.deepEqual(rule.filter, { prefix: "cache/" });
        assert.deepEqual(rule.expiration, { days: cache.expiryDays });
      });

      it("sends the kubeconfig of the right cluster to its Kubernetes provider", () => {
        const provider = named("pulumi:providers:kubernetes", `${name}-k8s`);
        const eksName = cluster.kind === "adopted" ? cluster.eks?.clusterName : undefined;
        assert.ok(provider?.inputs.kubeconfig.includes(eksName ?? name));
      });
    });
  }

  it("configures containerd on created clusters' nodes to pull the central registry through the cache", () => {
    const eks = resources.find((r) => r.type === "eks:index:Cluster" && r.inputs.name === "prod")!;
    assert.equal(eks.inputs.nodeUserData, mirrorUserData(config.registry.host, 20500));
    assert.match(
      eks.inputs.nodeUserData,
      /certs\.d\/333333333333\.dkr\.ecr\.us-east-1\.amazonaws\.com\/hosts\.toml/,
    );
  });
});

describe("a consumer account's deploy role being rotated (mock runtime)", () => {
  it("the program's cache bucket policies admit accounts[].nextDeployRoleArn like the deploy role", async () => {
    const raw = copy(rawStack("prod"));
    const accounts = raw.accounts as { nextDeployRoleArn?: string }[];
    const next = "arn:aws:iam::222222222222:role/pulumi-deploy-2027";
    accounts[1].nextDeployRoleArn = next;
    const withNext = await collect(() => deployPlanned(validConfig(raw)));
    const without = await collect(() => deployPlanned(stackConfig("prod")));
    const policies = (resources: Registered[]) =>
      resources
        .filter((r) => r.type === "aws:s3/bucketPolicy:BucketPolicy")
        .map((r) => r.inputs.policy as string);
    assert.ok(policies(withNext).length > 0);
    for (const policy of policies(withNext)) assert.ok(policy.includes(next));
    for (const policy of policies(without)) assert.ok(!policy.includes(next));
  });
});
