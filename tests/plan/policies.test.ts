// The policies the plan renders for both stack files, and what it adds up per role.
import * as assert from "node:assert/strict";
import { PolicyStatement } from "../../iam/document";
import { inlinePoliciesByRole, planAccess } from "../../plan/access";
import { ACCESS_MODES } from "../../config/schema";
import { copy, rawStack, stackConfig, validConfig } from "../../testing/stacks";

function actions(s: PolicyStatement): string[] {
  return ([] as string[]).concat(s.Action);
}

describe("every policy the stacks render", () => {
  for (const stack of ["prod", "sandbox"] as const) {
    for (const mode of ACCESS_MODES) {
      it(`${stack} in ${mode} mode grants no wildcard action and no Resource * except GetAuthorizationToken`, () => {
        const raw = copy(rawStack(stack));
        raw.access = { mode, organizationId: "o-abcdefghij" };
        const plan = planAccess(validConfig(raw));
        const documents = [
          ...plan.repositories.map((r) => r.policy),
          ...plan.pullers.map((p) => p.policy),
        ];
        for (const s of documents.flatMap((d) => d.Statement).filter((s) => s.Effect === "Allow")) {
          for (const action of actions(s)) assert.doesNotMatch(action, /\*/, JSON.stringify(s));
          if (s.Resource === "*") assert.deepEqual(s.Action, "ecr:GetAuthorizationToken");
        }
      });
    }
  }

  for (const stack of ["prod", "sandbox"] as const) {
    for (const mode of ACCESS_MODES) {
      it(`${stack} in ${mode} mode names no role as a repository policy principal (ECR refuses a deleted one)`, () => {
        const raw = copy(rawStack(stack));
        raw.access = { mode, organizationId: "o-abcdefghij" };
        for (const { policy } of planAccess(validConfig(raw)).repositories) {
          for (const s of policy.Statement) {
            const principals =
              s.Principal === "*" ? [] : ([] as string[]).concat(s.Principal?.AWS ?? []);
            for (const p of principals)
              assert.match(p, /^\d{12}$/, `${s.Sid} names ${p} as a principal`);
          }
        }
      });
    }
  }

  it("renders byte-identical policies whatever the order of the config's lists", () => {
    const raw = rawStack("prod");
    const shuffled = copy(raw) as any;
    shuffled.accounts.reverse();
    for (const account of shuffled.accounts) account.clusters.reverse();
    shuffled.registry.admins.reverse();
    const render = (r: unknown) => {
      const plan = planAccess(validConfig(r as any));
      const byName = Object.fromEntries(
        plan.repositories.map((p) => [p.repository.name, p.policyText]),
      );
      const byRole = Object.fromEntries(plan.pullers.map((p) => [p.principalArn, p.policyText]));
      return { byName, byRole };
    };
    assert.deepEqual(render(shuffled), render(raw));
    assert.equal(JSON.stringify(render(raw)), JSON.stringify(render(copy(raw))));
  });
});

describe("inline policies by role", () => {
  it("adds up every policy written on one role and leaves whitespace out, as IAM counts", () => {
    const plan = planAccess(stackConfig("prod"));
    const [first] = plan.pullers;
    const twice = {
      ...plan,
      pullers: [first, { ...first, kind: "cache" as const, policyText: ` ${first.policyText}\n` }],
    };
    const [role] = inlinePoliciesByRole(twice);
    assert.equal(role.roleArn, first.principalArn);
    assert.equal(role.policyTexts.length, 2);
    assert.equal(role.size, 2 * first.policyText.replace(/\s/g, "").length);
  });
});
