import * as assert from "node:assert/strict";
import { planAccess } from "../../plan/access";
import { ACCESS_MODES, AccessMode } from "../../config/schema";
import { RawConfig } from "../../config/validate";
import { copy, rawStack, validConfig } from "../../testing/stacks";

/** Policy texts keyed by what they are attached to. */
function rendered(raw: RawConfig, mode: AccessMode) {
  const config = copy(raw);
  config.access = { mode, organizationId: "o-abcdefghij" };
  const plan = planAccess(validConfig(config));
  return {
    repositories: new Map(plan.repositories.map((r) => [r.repository.name, r.policyText])),
    identities: new Map(plan.pullers.map((p) => [p.principalArn, p.policyText])),
  };
}

function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after.keys()].filter((key) => before.get(key) !== after.get(key)).sort();
}

describe("adding a cluster to an existing account is one list entry", () => {
  const before = rawStack("prod");
  const after = copy(before) as any;
  const newRole = "arn:aws:iam::222222222222:role/nodes.gamma.k8s.invalid";
  after.accounts[1].clusters.push({ name: "gamma", nodeRoleArn: newRole });

  for (const mode of ACCESS_MODES) {
    it(`${mode} mode: ${mode === "roles" ? "its identity policy and the repository policies that name it" : "its identity policy and no repository policy"} change`, () => {
      const old = rendered(before, mode);
      const next = rendered(after, mode);
      assert.deepEqual(changedKeys(old.identities, next.identities), [newRole]);
      const changedRepositories = changedKeys(old.repositories, next.repositories);
      if (mode === "roles") {
        // microservice is restricted to beta and prod, so its policy must not name gamma.
        assert.deepEqual(changedRepositories, [
          "base/python",
          "team/app",
          "team/worker",
          "tools/debug",
        ]);
        for (const name of changedRepositories)
          assert.ok(next.repositories.get(name)!.includes(newRole));
        assert.ok(!next.repositories.get("microservice")!.includes(newRole));
      } else {
        assert.deepEqual(changedRepositories, []);
      }
    });
  }
});
