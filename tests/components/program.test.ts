import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import { installMocks, collect, Registered } from "../../testing/mock-runtime";
import { stackConfig } from "../../testing/stacks";
import { deployHub } from "../../hub";
import { inlinePoliciesByRole, planAccess } from "../../plan/access";
import { accountOfArn } from "../../naming/aws";
import { CreatedClusterModel, HubConfig } from "../../config/model";

installMocks();

/** The provider resource a resource was registered with, e.g. "registry" or "account-prod". */
function providerName(resource: Registered): string | undefined {
  return resource.provider?.split("::")[3];
}

function ofType(resources: Registered[], type: string): Registered[] {
  return resources.filter((r) => r.type === type);
}

for (const stack of ["prod", "sandbox"] as const) {
  describe(`the program for stack ${stack} (mock runtime)`, () => {
    let config: HubConfig;
    let resources: Registered[];

    before(async () => {
      config = stackConfig(stack);
      resources = await collect(() => deployHub(config, planAccess(config)));
    });

    it("creates one provider per account that acts through the account's AWS profile and allows only that account", () => {
      const providers = ofType(resources, "pulumi:providers:aws");
      const expected = [
        { ...config.registry, name: "registry" },
        ...config.accounts.map((a) => ({ ...a, name: `account-${a.name}` })),
      ];
      assert.deepEqual(providers.map((p) => p.name).sort(), expected.map((e) => e.name).sort());
      for (const e of expected) {
        const provider = providers.find((p) => p.name === e.name)!;
        assert.deepEqual(JSON.parse(provider.inputs.allowedAccountIds), [e.accountId]);
        // Which role the profile assumes is the job's (tools/aws-profiles.ts): no role in the
        // provider's inputs, so a preview with the preview role diffs nothing against a deploy.
        assert.equal(provider.inputs.profile, `registry-hub-${pulumi.getStack()}-${e.name}`);
        assert.equal(provider.inputs.assumeRoles, undefined);
      }
    });

    it("creates every repository in the registry account, scanned, immutable, encrypted, never force-deleted", () => {
      const repos = ofType(resources, "aws:ecr/repository:Repository");
      assert.deepEqual(
        repos.map((r) => r.inputs.name).sort(),
        config.repositories.map((r) => r.name).sort(),
      );
      for (const repo of repos) {
        assert.equal(providerName(repo), "registry");
        assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE");
        assert.deepEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
        assert.equal(repo.inputs.encryptionConfigurations[0].encryptionType, "AES256");
        assert.equal(repo.inputs.forceDelete, false);
      }
    });

    it("writes the planned repository policy and lifecycle policy on each repository", () => {
      const plan = planAccess(config);
      const policies = ofType(resources, "aws:ecr/repositoryPolicy:RepositoryPolicy");
      const lifecycles = ofType(resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
      for (const repo of plan.repositories) {
        const policy = policies.find((p) => p.inputs.repository === repo.repository.name);
        assert.ok(policy, `no policy for ${repo.repository.name}`);
        assert.equal(policy.inputs.policy, repo.policyText);
        assert.equal(providerName(policy), "registry");
        const lifecycle = lifecycles.find((p) => p.inputs.repository === repo.repository.name);
        assert.equal(lifecycle?.inputs.policy, repo.lifecyclePolicyText);
      }
      assert.equal(
        lifecycles.length,
        config.repositories.filter((r) => r.untaggedExpiryDays).length,
      );
    });

    it("writes each node role's pull policy in the node role's own account", () => {
      const plan = planAccess(config);
      const rolePolicies = ofType(resources, "aws:iam/rolePolicy:RolePolicy").filter(
        (p) => p.inputs.name === "registry-hub-central-ecr-pull",
      );
      const nodeRoles = plan.pullers.filter((p) => p.kind === "nodes");
      assert.equal(rolePolicies.length, nodeRoles.length);
      for (const puller of nodeRoles) {
        const policy = rolePolicies.find((p) => p.inputs.role === puller.cluster.nodeRoleName);
        assert.ok(policy, `no pull policy on ${puller.cluster.nodeRoleName}`);
        assert.equal(policy.inputs.policy, puller.policyText);
        assert.equal(providerName(policy), `account-${puller.cluster.accountName}`);
      }
    });

    it("the size check counts every inline policy the program writes on each role, and nothing else", () => {
      const accountOf = (resource: Registered) =>
        config.accounts.find((a) => `account-${a.name}` === providerName(resource))?.accountId;
      const written = new Map<string, string[]>();
      for (const policy of ofType(resources, "aws:iam/rolePolicy:RolePolicy")) {
        const key = `${accountOf(policy)}/${policy.inputs.role}`;
        written.set(key, [...(written.get(key) ?? []), policy.inputs.policy].sort());
      }
      const counted = new Map(
        inlinePoliciesByRole(planAccess(config)).map((role) => [
          `${accountOfArn(role.roleArn)}/${role.roleArn.split("/").pop()}`,
          [...role.policyTexts].sort(),
        ]),
      );
      assert.deepEqual(written, counted);
    });

    it("creates the clusters the config asks for in their account, with the node role the policies name, assumable by EC2 only", () => {
      const created = config.accounts
        .flatMap((a) => a.clusters)
        .filter((c): c is CreatedClusterModel => c.kind === "created");
      const clusters = ofType(resources, "eks:index:Cluster");
      assert.deepEqual(
        clusters.map((c) => c.inputs.name).sort(),
        created.map((c) => c.name).sort(),
      );
      for (const cluster of created) {
        const eks = clusters.find((c) => c.inputs.name === cluster.name)!;
        // eks.Cluster is constructed by the eks plugin: with default providers disabled the
        // engine refuses it without an explicit eks provider (tests/engine shows the refusal).
        assert.equal(
          providerName(eks),
          `account-${cluster.accountName}-eks`,
          "eks.Cluster is constructed by its account's explicit eks provider",
        );
        assert.equal(eks.inputs.createOidcProvider, true);
        assert.equal(eks.inputs.version, cluster.create.version);
        const role = ofType(resources, "aws:iam/role:Role").find(
          (r) => r.inputs.name === cluster.nodeRoleName,
        );
        assert.ok(role, "the node role is created with the name the policies use");
        assert.equal(providerName(role), `account-${cluster.accountName}`);
        assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy), {
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "ec2.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
          ],
        });
      }
    });

    it("puts no token, key or password into any resource input", () => {
      const suspicious = resources.flatMap((r) =>
        secretLookingEntries(r.inputs).map((entry) => `${r.type} ${r.name}: ${entry}`),
      );
      assert.deepEqual(suspicious, []);
    });
  });
}

/** Paths of keys that name credentials, and of long base64 strings that look like tokens. */
function secretLookingEntries(value: unknown, path = ""): string[] {
  if (typeof value === "string") {
    return /^[A-Za-z0-9+/=]{100,}$/.test(value) || /AKIA[0-9A-Z]{16}/.test(value)
      ? [path.slice(1)]
      : [];
  }
  if (Array.isArray(value))
    return value.flatMap((v, i) => secretLookingEntries(v, `${path}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, v]) =>
      /password|secret$|secretkey|accesskey|username|token$/i.test(key) && typeof v === "string"
        ? [`${path}.${key}`.slice(1)]
        : secretLookingEntries(v, `${path}.${key}`),
    );
  }
  return [];
}
