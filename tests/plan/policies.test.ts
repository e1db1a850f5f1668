// The policies the plan renders for both stack files, and what it adds up per role.
import * as assert from "node:assert/strict";
import { PolicyStatement } from "../../iam/document";
import { inlinePoliciesByRole, planAccess } from "../../plan/access";
import { policySizeProblems } from "../../plan/limits";
import { validateConfig } from "../../config/validate";
import { prepare } from "../../prepare";
import { SCP_SIZE_LIMIT } from "../../iam/registry-guardrail";
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

describe("the registry account's service control policy and its size", () => {
  type Raw = {
    organization?: { managementAccountId: string; deployRoleArn: string };
    pushers: { name: string; principalArn: string }[];
    repositories: { pushers?: string[] }[];
  };
  /** The prod stack with the guardrail and `pushers` more pushers, spread over its repositories. */
  const withGuardrail = (pushers: number) => {
    const raw = copy(rawStack("prod")) as unknown as Raw;
    raw.organization = {
      managementAccountId: "999900000001",
      deployRoleArn: "arn:aws:iam::999900000001:role/pulumi-deploy",
    };
    for (let i = 0; i < pushers; i++) {
      const name = `ci-${i}`;
      raw.pushers.push({ name, principalArn: `arn:aws:iam::333333333333:role/ci/pusher-${i}` });
      const repository = raw.repositories[i % raw.repositories.length];
      repository.pushers = [...(repository.pushers ?? []), name];
    }
    // Checked without prepare()'s size limits, which are what is under test.
    const validation = validateConfig(raw);
    assert.ok(validation.ok);
    return validation.config;
  };

  it("names every admin, the deploy role and every repository's pusher as the roles it guards", () => {
    const config = withGuardrail(0);
    const guarded = planAccess(config).guardrail!.policy.Statement.find(
      (s) => s.Sid === "DenyChangingExemptRolesExceptAdmins",
    )!;
    const pushers = config.repositories.flatMap((r) => r.pusherArns);
    assert.deepEqual(
      ([] as string[]).concat(guarded.Resource!),
      [...new Set([...config.registry.admins, config.registry.deployRoleArn, ...pushers])].sort(),
    );
  });

  it("fits Organizations' 5,120 characters for the prod stack, and an SCP that would not is refused by config path", () => {
    const fits = planAccess(withGuardrail(0));
    assert.ok(fits.guardrail!.policyText.length <= SCP_SIZE_LIMIT);
    assert.deepEqual(policySizeProblems(withGuardrail(0), fits), []);
    const many = withGuardrail(80);
    const problems = policySizeProblems(many, planAccess(many));
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(
      problems[0],
      /^registry-hub:organization: the registry account's service control policy would be \d,\d{3} characters, over AWS Organizations' 5,120 limit; /,
    );
  });
});

describe("a consumer account's nextDeployRoleArn (rotating its deploy role)", () => {
  const withNext = (next: string) => {
    const raw = copy(rawStack("prod")) as unknown as {
      accounts: { accountId: string; nextDeployRoleArn?: string }[];
    };
    raw.accounts[1].nextDeployRoleArn = next.replace("<account>", raw.accounts[1].accountId);
    return prepare(raw);
  };

  it("takes another role of the account, and refuses one of another account, partition, or the deploy role itself", () => {
    assert.ok(withNext("arn:aws:iam::<account>:role/pulumi-deploy-2").ok);
    const refused = (next: string) => {
      const prepared = withNext(next);
      return prepared.ok ? [] : prepared.problems;
    };
    assert.deepEqual(refused("arn:aws:iam::999900000009:role/pulumi-deploy-2"), [
      "registry-hub:accounts[1].nextDeployRoleArn: must be a role of account 222222222222",
    ]);
    assert.deepEqual(refused("arn:aws-cn:iam::<account>:role/pulumi-deploy-2"), [
      "registry-hub:accounts[1].nextDeployRoleArn: must be in the partition of deployRoleArn",
    ]);
    assert.deepEqual(refused("arn:aws:iam::<account>:role/pulumi-deploy"), [
      "registry-hub:accounts[1].nextDeployRoleArn: is deployRoleArn itself; set it only to the role that will replace it",
    ]);
  });
});
