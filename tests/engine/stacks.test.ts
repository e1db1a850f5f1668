// Both example stacks through the real Pulumi engine (.tools/bin/pulumi, built from
// github.com/pulumi/pulumi/pkg/v3) with strict stand-ins for the aws, eks and kubernetes plugins,
// a file:// backend and the policy pack under the CLI's own analyzer.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  editedStackFile,
  engineText,
  requirePulumiOrSkip,
  snapshotUrn,
  stackFileText,
} from "../../testing/engine/suite";
import { EngineResult, EngineWorkspace } from "../../testing/engine/workspace";

const REPOSITORY = "aws:ecr/repository:Repository";

function resourcesOf(result: EngineResult) {
  return result.deployment?.resources ?? [];
}

for (const stack of ["sandbox", "prod"] as const) {
  describe(`Pulumi.${stack}.yaml under the real engine`, function () {
    this.timeout(180_000);
    let workspace: EngineWorkspace;
    let deployed: EngineResult;

    before(function () {
      requirePulumiOrSkip(this);
      workspace = EngineWorkspace.create(stack, stackFileText(stack));
    });
    after(() => workspace?.dispose());

    it("pulumi preview with the policy pack plans every resource, nothing refused", async () => {
      const preview = await workspace.run("preview", { policyPacks: [workspace.policyPack] });
      assert.ok(preview.ok, engineText(preview));
      assert.ok((preview.summary?.create ?? 0) > 10, JSON.stringify(preview.summary));
      assert.deepEqual(Object.keys(preview.summary ?? {}), ["create"]);
      const checks = workspace.calls().filter((c) => c.op === "check");
      assert.ok(checks.length > 10, "the stand-ins checked the resources");
      assert.deepEqual(
        checks.filter((c) => (c.undeclared ?? []).length > 0),
        [],
        "no input the SDK does not declare",
      );
    });

    it("pulumi up with the policy pack creates them", async () => {
      workspace.clearCalls();
      deployed = await workspace.run("up", { policyPacks: [workspace.policyPack] });
      assert.ok(deployed.ok, engineText(deployed));
      const creates = workspace.calls().filter((c) => c.op === "create");
      assert.equal(
        creates.length,
        resourcesOf(deployed).filter((r) => r.custom && !r.type.startsWith("pulumi:providers:"))
          .length,
      );
      assert.deepEqual(Object.keys(deployed.outputs ?? {}).sort(), [
        "caches",
        "consumerPolicies",
        "registryId",
        "repositoryPolicyChars",
        "repositoryUrls",
      ]);
    });

    it("the engine's URNs are the recorded snapshot (tests/components/urns)", () => {
      const recorded = JSON.parse(
        fs.readFileSync(path.join(__dirname, "..", "components", "urns", `${stack}.json`), "utf8"),
      ) as string[];
      const engine = resourcesOf(deployed)
        // The engine's own: the stack and its built-in provider.
        .filter((r) => r.type !== "pulumi:pulumi:Stack" && r.type !== "pulumi:providers:pulumi")
        .map((r) => snapshotUrn(r.urn))
        .sort();
      assert.deepEqual(engine, recorded);
    });

    it("every created cluster is constructed by its account's explicit eks provider", () => {
      const resources = resourcesOf(deployed);
      const clusters = resources.filter((r) => r.type === "eks:index:Cluster");
      assert.ok(clusters.length > 0, "the stack creates a cluster");
      const constructs = workspace.calls().filter((c) => c.op === "construct");
      assert.deepEqual(
        constructs.map((c) => c.name).sort(),
        clusters.map((c) => c.urn.split("::").pop()).sort(),
      );
      for (const construct of constructs) assert.deepEqual(construct.undeclared, []);
      const eksProviders = resources.filter((r) => r.type === "pulumi:providers:eks");
      assert.ok(eksProviders.length > 0 && eksProviders.every((p) => !p.urn.endsWith("::default")));
    });

    it("repositories, cache buckets and what guards them are protected and retained in the engine's state", () => {
      const holding = resourcesOf(deployed).filter(
        (r) => r.type.startsWith("aws:ecr/repository") || r.type.startsWith("aws:s3/"),
      );
      assert.ok(holding.length > 6);
      for (const r of holding) assert.ok(r.protect && r.retainOnDelete, r.urn);
    });

    it("a second pulumi preview shows no changes", async () => {
      workspace.clearCalls();
      const again = await workspace.run("preview", { policyPacks: [workspace.policyPack] });
      assert.ok(again.ok, engineText(again));
      assert.deepEqual(Object.keys(again.summary ?? {}), ["same"], JSON.stringify(again.summary));
      assert.deepEqual(
        workspace.calls().filter((c) => c.op === "diff" && (c.changed ?? []).length > 0),
        [],
      );
    });

    it("removing a repository from the config deletes nothing: the engine refuses, the repository stays", async () => {
      const edited = editedStackFile(stack, (config) => {
        const repositories = config["registry-hub:repositories"] as { name: string }[];
        config["registry-hub:repositories"] = repositories.slice(0, -1);
      });
      workspace.writeStackFile(edited);
      workspace.clearCalls();
      const removed = await workspace.run("up");
      workspace.writeStackFile(stackFileText(stack));
      assert.equal(removed.ok, false, "the update must not succeed");
      assert.match(engineText(removed), /protected/);
      assert.deepEqual(
        workspace.calls().filter((c) => c.op === "delete"),
        [],
      );
      const before = resourcesOf(deployed)
        .filter((r) => r.type === REPOSITORY)
        .map((r) => r.urn);
      const after = resourcesOf(removed)
        .filter((r) => r.type === REPOSITORY)
        .map((r) => r.urn);
      assert.deepEqual(after.sort(), before.sort());
    });

    it("renaming a cluster with a cache moves its components' URNs: the engine refuses to delete its bucket", async () => {
      const edited = editedStackFile(stack, (config) => {
        const accounts = config["registry-hub:accounts"] as {
          clusters: Record<string, unknown>[];
        }[];
        const clusters = accounts.flatMap((a) => a.clusters).filter((c) => c.cache);
        const cluster = clusters.find((c) => c.nodeRoleArn) ?? clusters[0];
        const [from, to] = [String(cluster.name), `${String(cluster.name)}-renamed`];
        cluster.name = to;
        for (const repository of config["registry-hub:repositories"] as { clusters?: string[] }[]) {
          repository.clusters = repository.clusters?.map((name) => (name === from ? to : name));
        }
      });
      workspace.writeStackFile(edited);
      workspace.clearCalls();
      const renamed = await workspace.run("up");
      workspace.writeStackFile(stackFileText(stack));
      assert.equal(renamed.ok, false, "the update must not succeed");
      assert.match(engineText(renamed), /protected/);
      // What holds or guards data is never deleted; the rest of the old cluster's resources may be.
      assert.deepEqual(
        workspace.calls().filter((c) => c.op === "delete" && c.type?.startsWith("aws:s3/")),
        [],
      );
    });
  });
}
