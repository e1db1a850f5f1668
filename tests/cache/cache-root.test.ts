import * as assert from "node:assert/strict";
import { ROOT_PREFIX, storageRoot } from "../../cache/registry-config";
import { planAccess } from "../../plan/access";
import { copy, rawStack, validConfig } from "../../testing/stacks";

type Raw = { repositories: Array<{ name: string; clusters?: string[] }> };
const betaCacheRoot = (edit: (raw: Raw) => void) => {
  const raw = copy(rawStack("prod")) as unknown as Raw;
  edit(raw);
  const plan = planAccess(validConfig(raw));
  const cache = plan.pullers.find((p) => p.kind === "cache" && p.cluster.name === "beta")!;
  return storageRoot(cache.deniedRepositories);
};

describe("the cache's storage root", () => {
  const today = betaCacheRoot(() => {});

  it("lives under the prefix the bucket's expiry rule covers", () => {
    assert.ok(today.startsWith(`/${ROOT_PREFIX}`), today);
  });

  it("moves when a repository is taken from the cluster", () => {
    const shrunk = betaCacheRoot((raw) => {
      raw.repositories.find((r) => r.name === "team/worker")!.clusters = ["prod"];
    });
    assert.notEqual(shrunk, today);
  });

  it("stays when the cluster gains a repository, so its cached content stays useful", () => {
    assert.equal(
      betaCacheRoot((raw) => raw.repositories.push({ name: "team/new" })),
      today,
    );
  });

  it("depends on the set of denied repositories, not their order", () => {
    assert.equal(storageRoot(["b", "a"]), storageRoot(["a", "b"]));
    assert.notEqual(storageRoot(["a"]), storageRoot(["a", "b"]));
  });
});
