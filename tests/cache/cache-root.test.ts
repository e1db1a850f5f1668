import * as assert from "node:assert/strict";
import { ROOT_PREFIX, storageRoot, storageRootKeepers } from "../../cache/registry-config";
import { planAccess } from "../../plan/access";
import { copy, rawStack, validConfig } from "../../testing/stacks";

type Raw = { repositories: Array<{ name: string; clusters?: string[] }> };
/** The keepers of beta's storage root id once `edit` is applied to Pulumi.prod.yaml. */
const betaRootKeepers = (edit: (raw: Raw) => void) => {
  const raw = copy(rawStack("prod")) as unknown as Raw;
  edit(raw);
  const plan = planAccess(validConfig(raw));
  const cache = plan.pullers.find((p) => p.kind === "cache" && p.cluster.name === "beta")!;
  return storageRootKeepers(cache.deniedRepositories);
};

// That a change of keepers gives a root never used before is the random id's replacement,
// shown under the real engine in tests/engine/cache-root.test.ts.
describe("the cache's storage root", () => {
  const today = betaRootKeepers(() => {});

  it("lives under the prefix the bucket's expiry rule covers", () => {
    assert.equal(storageRoot("0123456789abcdef"), `/${ROOT_PREFIX}0123456789abcdef`);
  });

  it("is replaced when a repository is taken from the cluster", () => {
    const shrunk = betaRootKeepers((raw) => {
      raw.repositories.find((r) => r.name === "team/worker")!.clusters = ["prod"];
    });
    assert.notDeepEqual(shrunk, today);
  });

  it("stays when the cluster gains a repository, so its cached content stays useful", () => {
    assert.deepEqual(
      betaRootKeepers((raw) => raw.repositories.push({ name: "team/new" })),
      today,
    );
  });

  it("depends on the set of denied repositories, not their order", () => {
    assert.deepEqual(storageRootKeepers(["b", "a"]), storageRootKeepers(["a", "b"]));
    assert.notDeepEqual(storageRootKeepers(["a"]), storageRootKeepers(["a", "b"]));
  });
});
