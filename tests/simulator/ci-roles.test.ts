// What a pull request's code can reach: its OIDC subject is trusted by the CI preview role only,
// and that role can assume each account's preview role and no deploy role (simulated: the CI
// role's own policy and each account role's trust, as AWS evaluates a cross-account AssumeRole).
import * as assert from "node:assert/strict";
import {
  accountRoleTrust,
  ciRolePolicy,
  ciRoleTrust,
  ciSubject,
  GITHUB_OIDC_ISSUER,
} from "../../iam/ci-roles";
import { credentialTargets } from "../../plan/credentials";
import { stackConfig } from "../../testing/stacks";
import { simulate } from "../../tools/simulate";

const CI_ACCOUNT = "123456789012";
const REPOSITORY = "example/registry-hub";
const ciRole = (job: string) => `arn:aws:iam::${CI_ACCOUNT}:role/registry-hub-ci-${job}`;

describe("CI roles: a pull request never reaches a deploy role", () => {
  it("each CI role trusts exactly one OIDC subject, the pull request's only the preview role", () => {
    const subjectOf = (job: "preview" | "sandbox" | "prod") =>
      ciRoleTrust("aws", CI_ACCOUNT, REPOSITORY, job).Statement[0].Condition?.StringEquals[
        `${GITHUB_OIDC_ISSUER}:sub`
      ];
    assert.equal(subjectOf("preview"), `repo:${REPOSITORY}:pull_request`);
    assert.equal(subjectOf("sandbox"), `repo:${REPOSITORY}:ref:refs/heads/main`);
    assert.equal(subjectOf("prod"), `repo:${REPOSITORY}:environment:production`);
    const pullRequest = ciSubject(REPOSITORY, "preview");
    for (const job of ["sandbox", "prod"] as const) assert.notEqual(subjectOf(job), pullRequest);
  });

  for (const stack of ["sandbox", "prod"] as const) {
    const targets = credentialTargets(stackConfig(stack));
    const previewCi = ciRole("preview");
    const deployCi = ciRole(stack);
    const previewCiPolicy = ciRolePolicy(targets.map((t) => t.previewRoleArn!));
    const deployCiPolicy = ciRolePolicy(targets.map((t) => t.deployRoleArn));

    it(`${stack}: the CI preview role assumes every account's preview role and no deploy role`, async () => {
      for (const t of targets) {
        const assume = (
          roleArn: string,
          trustedCi: string,
          principal: string,
          policy = previewCiPolicy,
        ) =>
          simulate({
            principalArn: principal,
            identityPolicies: [policy],
            action: "sts:AssumeRole",
            resourceArn: roleArn,
            resourcePolicy: accountRoleTrust(trustedCi),
          });
        assert.equal(await assume(t.previewRoleArn!, previewCi, previewCi), "Allowed", t.name);
        assert.notEqual(await assume(t.deployRoleArn, deployCi, previewCi), "Allowed", t.name);
        // Even a CI preview role whose own policy allowed it is refused by the deploy role's trust.
        const widened = ciRolePolicy([t.deployRoleArn]);
        assert.notEqual(
          await assume(t.deployRoleArn, deployCi, previewCi, widened),
          "Allowed",
          t.name,
        );
        assert.equal(
          await assume(t.deployRoleArn, deployCi, deployCi, deployCiPolicy),
          "Allowed",
          t.name,
        );
      }
    });
  }

  it("the sandbox deploy role of CI cannot assume prod's deploy roles", async () => {
    const prod = credentialTargets(stackConfig("prod"));
    for (const t of prod) {
      const decision = await simulate({
        principalArn: ciRole("sandbox"),
        identityPolicies: [ciRolePolicy([t.deployRoleArn])],
        action: "sts:AssumeRole",
        resourceArn: t.deployRoleArn,
        resourcePolicy: accountRoleTrust(ciRole("prod")),
      });
      assert.notEqual(decision, "Allowed", t.name);
    }
  });
});
