// Revocation that holds: a cluster's cache root is replaced whenever its denied repositories
// change, by a root never used before, so a grant and a revoke never return the pods to a root
// that pods fetched the granted repository into (the random id's replacement, under the engine).
import * as assert from "node:assert/strict";
import {
  editedStackFile,
  engineText,
  requirePulumiOrSkip,
  stackFileText,
} from "../../testing/engine/suite";
import { EngineResult, EngineWorkspace } from "../../testing/engine/workspace";

/** beta's storage root, as its Helm release's values give it to the registry. */
function betaRoot(result: EngineResult): string {
  const release = result.deployment?.resources?.find(
    (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.urn.endsWith("::beta-cache-release"),
  );
  const values = release?.inputs?.values as
    { registryConfig?: { storage?: { s3?: { rootdirectory?: string } } } } | undefined;
  const root = values?.registryConfig?.storage?.s3?.rootdirectory;
  assert.ok(root, "beta's release has a storage root");
  return root;
}

/** Pulumi.prod.yaml with team/worker restricted to the prod cluster: beta may not pull it. */
const revoked = () =>
  editedStackFile("prod", (config) => {
    const repositories = config["registry-hub:repositories"] as {
      name: string;
      clusters?: string[];
    }[];
    repositories.find((r) => r.name === "team/worker")!.clusters = ["prod"];
  });

describe("the cache's storage root under the real engine", function () {
  this.timeout(300_000);
  let workspace: EngineWorkspace;

  before(function () {
    requirePulumiOrSkip(this);
    workspace = EngineWorkspace.create("prod", revoked());
  });
  after(() => workspace?.dispose());

  it("denied, granted, denied again: three roots, the last never an earlier one", async () => {
    const roots: string[] = [];
    for (const stackFile of [revoked(), stackFileText("prod"), revoked()]) {
      workspace.writeStackFile(stackFile);
      const up = await workspace.run("up");
      assert.ok(up.ok, engineText(up));
      roots.push(betaRoot(up));
    }
    assert.equal(new Set(roots).size, 3, `roots: ${roots.join(", ")}`);
  });

  it("a new repository the cluster may pull keeps the root and its content", async () => {
    const before = betaRoot(await workspace.run("export"));
    workspace.writeStackFile(
      editedStackFile("prod", (config) => {
        const repositories = config["registry-hub:repositories"] as {
          name: string;
          clusters?: string[];
        }[];
        repositories.find((r) => r.name === "team/worker")!.clusters = ["prod"];
        repositories.push({ name: "team/new" });
      }),
    );
    const up = await workspace.run("up");
    assert.ok(up.ok, engineText(up));
    assert.equal(betaRoot(up), before);
  });
});
