import * as assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { installMocks, collect } from "../../testing/mock-runtime";
import { stackConfig } from "../../testing/stacks";
import { CentralRegistry } from "../../components/central-registry";
import { AdoptedClusterModel, CreatedClusterModel } from "../../config/model";
import { RegistryCache } from "../../components/registry-cache";
import { ConsumerAccess } from "../../components/consumer-access";
import { EksCluster } from "../../components/eks-cluster";
import { RegistryGuardrail } from "../../components/registry-guardrail";
import { planAccess } from "../../plan/access";

installMocks();

interface SeenOptions {
  type: string;
  protect?: boolean;
  retainOnDelete?: boolean;
}

/** Records the options every child resource ends up with. */
function recorder(seen: SeenOptions[]): pulumi.ResourceTransformation {
  return ({ type, opts }) => {
    seen.push({ type, protect: opts.protect, retainOnDelete: opts.retainOnDelete });
    return undefined;
  };
}

describe("what holds data is protected", () => {
  const config = stackConfig("prod");
  /** The prod stack's adopted cluster with a cache, as hub.ts would hand it to RegistryCache. */
  const betaCacheArgs = () => {
    const cluster = config.accounts[1].clusters.find(
      (c): c is AdoptedClusterModel => c.kind === "adopted" && c.cache !== undefined,
    )!;
    return {
      cluster: { ...cluster, cache: cluster.cache! },
      rolePolicyText: "{}",
      deniedRepositories: [],
      oidcIssuer: cluster.eks!.oidcIssuer,
      registryHost: config.registry.host,
      registryRegion: config.registry.region,
      deployRoleArn: config.accounts[1].deployRoleArn,
    };
  };
  const plan = planAccess(config);

  it("protects and retains every repository, so leaving the config never deletes images", async () => {
    const seen: SeenOptions[] = [];
    await collect(
      () =>
        new CentralRegistry(
          "central",
          { registryId: config.registry.accountId, repositories: plan.repositories },
          {
            providers: { aws: new aws.Provider("registry-p", { region: "us-east-1" }) },
            transformations: [recorder(seen)],
          },
        ),
    );
    const repos = seen.filter((s) => s.type === "aws:ecr/repository:Repository");
    assert.equal(repos.length, config.repositories.length);
    for (const repo of repos)
      assert.deepEqual(repo, { ...repo, protect: true, retainOnDelete: true });
    // Unprotected, the engine deleted a removed repository's policy before it refused to
    // delete the repository (tests/engine/stacks.test.ts): the images stayed, their guard went.
    const guards = seen.filter(
      (s) =>
        s.type === "aws:ecr/repositoryPolicy:RepositoryPolicy" ||
        s.type === "aws:ecr/lifecyclePolicy:LifecyclePolicy",
    );
    assert.ok(guards.length >= config.repositories.length);
    for (const guard of guards)
      assert.deepEqual(guard, { ...guard, protect: true, retainOnDelete: true });
  });

  it("protects and retains the cache bucket", async () => {
    const seen: SeenOptions[] = [];
    await collect(
      () =>
        new RegistryCache("beta-cache", betaCacheArgs(), {
          providers: {
            aws: new aws.Provider("acct-p", { region: "us-east-1" }),
            kubernetes: new k8s.Provider("k8s-p", {}),
            random: new random.Provider("random-p"),
          },
          transformations: [recorder(seen)],
        }),
    );
    const bucketAndSettings = seen.filter((s) => s.type.startsWith("aws:s3/"));
    assert.deepEqual(bucketAndSettings.map((s) => s.type).sort(), [
      "aws:s3/bucket:Bucket",
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
      "aws:s3/bucketPolicy:BucketPolicy",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    ]);
    for (const resource of bucketAndSettings)
      assert.deepEqual(resource, { ...resource, protect: true, retainOnDelete: true });
  });

  it("components that must run in one account refuse to start without a provider", () => {
    assert.throws(
      () =>
        new CentralRegistry("no-provider", { registryId: "333333333333", repositories: [] }, {}),
      /explicit provider/,
    );
    assert.throws(
      () => new ConsumerAccess("no-provider", { nodeRoles: [] }, {}),
      /explicit provider/,
    );
  });

  it("every component takes its providers by package in opts.providers, and names what is missing", () => {
    const awsOnly = { providers: { aws: new aws.Provider("only-aws", { region: "us-east-1" }) } };
    assert.throws(
      () => new RegistryCache("no-k8s", betaCacheArgs(), awsOnly),
      /RegistryCache needs an explicit provider for its account: opts\.providers\.kubernetes, opts\.providers\.random$/,
    );
    assert.throws(
      () => new RegistryGuardrail("no-provider", { registryAccountId: "1", policyText: "{}" }, {}),
      /RegistryGuardrail needs an explicit provider/,
    );
    const created = config.accounts
      .flatMap((a) => a.clusters)
      .find((c): c is CreatedClusterModel => c.kind === "created")!;
    assert.throws(
      () =>
        new EksCluster(
          "no-provider",
          {
            cluster: created,
            registryHost: config.registry.host,
            awsProfile: "registry-hub-test-account-x",
          },
          // A single `provider` is not the convention: components take `providers` by package.
          { provider: awsOnly.providers.aws },
        ),
      /EksCluster needs an explicit provider/,
    );
    assert.throws(
      () =>
        new EksCluster(
          "aws-only",
          {
            cluster: created,
            registryHost: config.registry.host,
            awsProfile: "registry-hub-test-account-x",
          },
          awsOnly,
        ),
      /EksCluster needs an explicit provider for its account: opts\.providers\.eks$/,
    );
  });
});
