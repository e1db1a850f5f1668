// What only the real engine finds: default providers disabled for a remote component, a planted
// policy violation under the CLI's analyzer, an input the provider's schema does not have.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { engineText, requirePulumiOrSkip, stackFileText } from "../../testing/engine/suite";
import { EngineWorkspace } from "../../testing/engine/workspace";

const fixture = (name: string) => path.join(__dirname, "fixtures", `${name}.ts`);

describe("the real engine refuses what the mock runtime lets through", function () {
  this.timeout(120_000);
  let workspace: EngineWorkspace;

  before(function () {
    requirePulumiOrSkip(this);
    workspace = EngineWorkspace.create("prod", stackFileText("prod"));
  });
  after(() => workspace?.dispose());

  it("eks.Cluster with only an aws provider: default provider for eks disabled", async () => {
    const result = await workspace.run("preview", {
      program: fixture("eks-cluster-aws-provider-only"),
    });
    assert.equal(result.ok, false);
    assert.match(engineText(result), /Default provider for 'eks' disabled/);
    assert.deepEqual(
      workspace.calls().filter((c) => c.op === "construct"),
      [],
    );
  });

  it("a planted violation fails the preview under the policy pack", async () => {
    const result = await workspace.run("preview", {
      program: fixture("mutable-repository"),
      policyPacks: [workspace.policyPack],
    });
    assert.equal(result.ok, false);
    assert.match(engineText(result), /ecr-repository-immutable-tags/);
    assert.match(engineText(result), /mandatory/);
  });

  it("an input the SDK does not declare fails the preview at the stand-in's Check", async () => {
    const result = await workspace.run("preview", { program: fixture("misspelled-input") });
    assert.equal(result.ok, false);
    assert.match(
      engineText(result),
      /imageTagMutabilty is not an input of aws:ecr\/repository:Repository/,
    );
  });
});
