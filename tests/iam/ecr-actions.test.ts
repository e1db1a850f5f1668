/** The program's ECR action lists against the IAM action catalogue. */
import * as assert from "node:assert/strict";
import {
  CHANGE_ACTIONS,
  PULL_ACTIONS,
  PUSH_ONLY_ACTIONS,
  REGISTRY_ACTIONS,
} from "../../iam/ecr-actions";
import {
  CatalogueAction,
  ecrCatalogue,
  isRepositoryScoped,
  isWrite,
} from "../../testing/ecr-catalogue";

describe("ECR action lists against the IAM action catalogue", () => {
  let actions: CatalogueAction[] = [];
  let version = "";
  before(async () => ({ version, actions } = await ecrCatalogue()));

  it("the catalogue lists ECR's repository-scoped actions (so the checks below check something)", () => {
    assert.ok(actions.length > 40, `only ${actions.length} ECR actions in iam-data ${version}`);
    assert.ok(actions.filter((a) => isRepositoryScoped(a) && isWrite(a)).length > 15);
  });

  it("every repository-scoped action that is not a read is pushed by pushers or denied as a change", () => {
    const covered = new Set<string>([...PUSH_ONLY_ACTIONS, ...CHANGE_ACTIONS]);
    const uncovered = actions
      .filter((a) => isRepositoryScoped(a) && isWrite(a) && !covered.has(a.action))
      .map((a) => a.action);
    assert.deepEqual(
      uncovered,
      [],
      `iam-data ${version} lists repository-scoped ECR writes that no repository policy statement names: ` +
        "add each to PUSH_ONLY_ACTIONS (pushers may) or CHANGE_ACTIONS (only admins and the deploy role may)",
    );
  });

  it("names only catalogue actions with the repository resource type, each in one list", () => {
    const byName = new Map(actions.map((a) => [a.action, a]));
    const named = [...PULL_ACTIONS, ...PUSH_ONLY_ACTIONS, ...CHANGE_ACTIONS];
    assert.equal(new Set(named).size, named.length, "an action is in two lists");
    for (const action of named) {
      const found = byName.get(action);
      assert.ok(found, `${action} is not in iam-data ${version}`);
      assert.ok(isRepositoryScoped(found), `${action} is not repository-scoped`);
    }
    for (const action of PULL_ACTIONS) assert.ok(!isWrite(byName.get(action)!), action);
    for (const action of [...PUSH_ONLY_ACTIONS, ...CHANGE_ACTIONS])
      assert.ok(isWrite(byName.get(action)!), `${action} is a read: it needs no deny`);
  });

  it("REGISTRY_ACTIONS is every ECR write without a resource type (what only an SCP reaches)", () => {
    const registryWrites = actions
      .filter((a) => a.resourceTypes.length === 0 && isWrite(a))
      .map((a) => a.action);
    assert.deepEqual([...REGISTRY_ACTIONS], registryWrites, `iam-data ${version}`);
  });

  it("keeps the lists sorted, so policies render the same bytes", () => {
    for (const list of [PULL_ACTIONS, PUSH_ONLY_ACTIONS, CHANGE_ACTIONS, REGISTRY_ACTIONS])
      assert.deepEqual([...list], [...list].sort());
  });
});
