/** The guardrail's IAM role action lists against the IAM action catalogue. */
import * as assert from "node:assert/strict";
import {
  ECR_SERVICE_NAMES,
  ROLE_CHANGE_ACTIONS,
  SERVICE_LINKED_ROLE_ACTIONS,
  registryGuardrailPolicy,
} from "../../iam/registry-guardrail";
import { renderPolicy } from "../../iam/document";
import { CatalogueAction, actionCatalogue, isWrite } from "../../testing/ecr-catalogue";

describe("IAM role actions of the guardrail against the IAM action catalogue", () => {
  let actions: CatalogueAction[] = [];
  let version = "";
  before(async () => ({ version, actions } = await actionCatalogue("iam")));

  it("every IAM write on a role is a role change the guardrail denies, or acts on service-linked roles only", () => {
    const roleWrites = actions
      .filter((a) => a.resourceTypes.includes("role") && isWrite(a))
      .map((a) => a.action);
    assert.ok(roleWrites.includes("iam:UpdateAssumeRolePolicy"), `iam-data ${version}`);
    assert.deepEqual(
      [...ROLE_CHANGE_ACTIONS, ...SERVICE_LINKED_ROLE_ACTIONS].sort(),
      roleWrites,
      `iam-data ${version}: place each IAM role write in ROLE_CHANGE_ACTIONS or SERVICE_LINKED_ROLE_ACTIONS`,
    );
  });

  it("keeps the lists sorted, so the SCP renders the same bytes", () => {
    for (const list of [ROLE_CHANGE_ACTIONS, SERVICE_LINKED_ROLE_ACTIONS, ECR_SERVICE_NAMES])
      assert.deepEqual([...list], [...list].sort());
    const guardrail = {
      adminArns: ["arn:aws:iam::333333333333:role/b", "arn:aws:iam::333333333333:role/a"],
      deployRoleArn: "arn:aws:iam::333333333333:role/pulumi-deploy",
      pusherArns: ["arn:aws:iam::333333333333:role/ci"],
    };
    assert.equal(
      renderPolicy(registryGuardrailPolicy(guardrail)),
      renderPolicy(
        registryGuardrailPolicy({ ...guardrail, adminArns: [...guardrail.adminArns].reverse() }),
      ),
    );
  });
});
