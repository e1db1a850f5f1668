/**
 * The registry's and repositories' day-2 options under the mock runtime: what each setting of
 * the config becomes on the ECR resources, and that encryption never touches a repository that
 * already exists.
 */
import * as assert from "node:assert/strict";
import { HubConfig } from "../../config/model";
import { deployHub } from "../../hub";
import { planAccess } from "../../plan/access";
import { deployPlanned, everyOptionRaw, stackConfig, validConfig } from "../../testing/stacks";
import { Registered, collect, installMocks } from "../../testing/mock-runtime";

installMocks();

const ofType = (resources: Registered[], type: string) => resources.filter((r) => r.type === type);
const repositoryNamed = (resources: Registered[], name: string) =>
  ofType(resources, "aws:ecr/repository:Repository").find((r) => r.inputs.name === name)!;

describe("repository options (mock runtime)", () => {
  let config: HubConfig;
  let resources: Registered[];

  before(async () => {
    config = validConfig(everyOptionRaw());
    resources = await collect(() => deployHub(config, planAccess(config)));
  });

  it("makes a repository with mutable tag patterns IMMUTABLE_WITH_EXCLUSION, with one WILDCARD filter each", () => {
    const microservice = repositoryNamed(resources, "microservice");
    assert.equal(microservice.inputs.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
    assert.deepEqual(microservice.inputs.imageTagMutabilityExclusionFilters, [
      { filter: "latest", filterType: "WILDCARD" },
      { filter: "dev-*", filterType: "WILDCARD" },
    ]);
    const app = repositoryNamed(resources, "team/app");
    assert.equal(app.inputs.imageTagMutability, "IMMUTABLE");
    assert.equal(app.inputs.imageTagMutabilityExclusionFilters, undefined);
  });

  it("writes the lifecycle policy the builder renders, protected patterns before the rules", () => {
    const lifecycle = ofType(resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy").find(
      (l) => l.inputs.repository === "microservice",
    )!;
    const planned = planAccess(config).repositories.find(
      (r) => r.repository.name === "microservice",
    )!;
    assert.equal(lifecycle.inputs.policy, planned.lifecyclePolicyText);
    const rules = (
      JSON.parse(lifecycle.inputs.policy as string) as {
        rules: { rulePriority: number; description: string }[];
      }
    ).rules;
    assert.deepEqual(
      rules.map((r) => [r.rulePriority, r.description]),
      [
        [1, "Expire untagged images 14 days after push"],
        [100, "Never expire images tagged v*"],
        [101, "Never expire images tagged release-*"],
        [200, "Keep the 20 most recent images with a tag starting main-"],
        [201, "Expire images tagged pr-* 14 days after push"],
      ],
    );
  });

  it("creates a protected, rotated KMS key with the planned key policy, in the registry account", () => {
    const [key] = ofType(resources, "aws:kms/key:Key");
    assert.ok(key, "no KMS key");
    assert.equal(key.provider?.split("::")[3], "registry");
    assert.equal(key.inputs.policy, planAccess(config).registryKey?.policyText);
    assert.equal(key.inputs.enableKeyRotation, true);
    assert.equal(key.inputs.deletionWindowInDays, 30);
  });

  it("encrypts repositories with the key, and never changes an existing repository's encryption", () => {
    for (const repo of ofType(resources, "aws:ecr/repository:Repository")) {
      assert.deepEqual(repo.inputs.encryptionConfigurations, [
        { encryptionType: "KMS", kmsKey: "arn:aws:kms:us-east-1:333333333333:key/central-key" },
      ]);
      assert.deepEqual(repo.ignoreChanges, ["encryptionConfigurations"], repo.name);
    }
  });

  it("uses a given key ARN as it is, and creates no key", async () => {
    const raw = everyOptionRaw();
    const keyArn = "arn:aws:kms:us-east-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    (raw.registry as Record<string, unknown>).encryption = { kmsKeyArn: keyArn };
    const own = await collect(() => deployPlanned(validConfig(raw)));
    assert.deepEqual(ofType(own, "aws:kms/key:Key"), []);
    for (const repo of ofType(own, "aws:ecr/repository:Repository")) {
      assert.deepEqual(repo.inputs.encryptionConfigurations, [
        { encryptionType: "KMS", kmsKey: keyArn },
      ]);
    }
  });

  it("configures registry scanning in the registry account, filters as WILDCARD", () => {
    const scanning = ofType(
      resources,
      "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
    );
    assert.equal(scanning.length, 1);
    assert.equal(scanning[0].provider?.split("::")[3], "registry");
    assert.equal(scanning[0].inputs.scanType, "ENHANCED");
    assert.deepEqual(scanning[0].inputs.rules, [
      {
        scanFrequency: "CONTINUOUS_SCAN",
        repositoryFilters: [{ filter: "base/*", filterType: "WILDCARD" }],
      },
      {
        scanFrequency: "SCAN_ON_PUSH",
        repositoryFilters: [{ filter: "*", filterType: "WILDCARD" }],
      },
    ]);
  });

  for (const stack of ["prod", "sandbox"] as const) {
    it(`leaves Pulumi.${stack}.yaml's repositories AES256 and IMMUTABLE, with no key and no registry scanning`, async () => {
      const plain = await collect(() => deployPlanned(stackConfig(stack)));
      for (const repo of ofType(plain, "aws:ecr/repository:Repository")) {
        assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE");
        assert.deepEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "AES256" }]);
      }
      assert.deepEqual(
        plain.filter((r) => /kms|registryScanningConfiguration/.test(r.type)).map((r) => r.type),
        [],
      );
    });
  }
});
