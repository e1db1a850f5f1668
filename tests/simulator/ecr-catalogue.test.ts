/**
 * Every repository-scoped ECR write in the IAM action catalogue, simulated against the
 * repository policies of both stack files in every access mode: granted only to the principals
 * the config names for it, denied explicitly to everyone else even holding ecr:*.
 */
import * as assert from "node:assert/strict";
import { HubConfig } from "../../config/model";
import { AccessMode, ACCESS_MODES } from "../../config/schema";
import { policyDocument, sortedUnique } from "../../iam/document";
import { PUSH_ONLY_ACTIONS } from "../../iam/ecr-actions";
import { planAccess } from "../../plan/access";
import { Decision, simulate } from "../../tools/simulate";
import { copy, rawStack, validConfig } from "../../testing/stacks";
import { ecrCatalogue, isRepositoryScoped, isWrite } from "../../testing/ecr-catalogue";

const ORG_ID = "o-registryhub01";
const ecrFullAccess = policyDocument([{ Effect: "Allow", Action: "ecr:*", Resource: "*" }]);

function configFor(stack: "prod" | "sandbox", mode: AccessMode): HubConfig {
  const raw = copy(rawStack(stack));
  raw.access = mode === "organization" ? { mode, organizationId: ORG_ID } : { mode };
  return validConfig(raw);
}

describe("simulator: every repository-scoped ECR write from the action catalogue", () => {
  let writes: string[] = [];
  before(async () => {
    const { actions } = await ecrCatalogue();
    writes = actions.filter((a) => isRepositoryScoped(a) && isWrite(a)).map((a) => a.action);
    assert.ok(writes.includes("ecr:UpdateImageStorageClass") && writes.length > 15);
  });

  for (const stack of ["prod", "sandbox"] as const) {
    for (const mode of ACCESS_MODES) {
      it(`${stack}, ${mode} mode: allowed to pushers (push), admins and the deploy role (changes) only`, async () => {
        const config = configFor(stack, mode);
        const plan = planAccess(config);
        const registry = config.registry.accountId;
        const pushers = sortedUnique(config.repositories.flatMap((r) => r.pusherArns));
        const pullers = plan.pullers.map((p) => p.principalArn);
        const outsiders = [
          `arn:aws:iam::${registry}:role/someone-else`,
          `arn:aws:iam::${registry}:role/aws-service-role/inspector2.amazonaws.com/AWSServiceRoleForAmazonInspector2`,
          ...config.accounts.map((a) => `arn:aws:iam::${a.accountId}:role/someone-else`),
        ];
        const isPush = (action: string) =>
          (PUSH_ONLY_ACTIONS as readonly string[]).includes(action);
        const checks: Promise<string | undefined>[] = [];
        for (const repo of plan.repositories) {
          const expected = (principal: string, action: string): Decision => {
            if (config.registry.admins.includes(principal)) return "Allowed";
            if (isPush(action))
              return repo.repository.pusherArns.includes(principal)
                ? "Allowed"
                : "ExplicitlyDenied";
            return principal === config.registry.deployRoleArn ? "Allowed" : "ExplicitlyDenied";
          };
          const principals = [
            ...config.registry.admins,
            config.registry.deployRoleArn,
            ...pushers,
            ...pullers,
            ...outsiders,
          ];
          for (const principalArn of principals) {
            for (const action of writes) {
              const want = expected(principalArn, action);
              checks.push(
                simulate({
                  principalArn,
                  identityPolicies: [ecrFullAccess],
                  action,
                  resourceArn: repo.repository.arn,
                  resourcePolicy: repo.policy,
                  principalOrgId: mode === "organization" ? ORG_ID : undefined,
                }).then((got) =>
                  got === want
                    ? undefined
                    : `${principalArn} ${action} on ${repo.repository.name}: ${got}, expected ${want}`,
                ),
              );
            }
          }
        }
        const mismatches = (await Promise.all(checks)).filter((m) => m !== undefined);
        assert.deepEqual(
          mismatches,
          [],
          `${mismatches.length} of ${checks.length} decisions differ`,
        );
      });
    }
  }
});
