/**
 * IAM simulator scenarios for both stack files, in every access mode: the policies come from
 * the program's own planAccess(), the decisions from the offline simulator (tools/simulate.ts).
 *
 * Who holds what identity policy in these scenarios:
 *   - node and cache roles: exactly the policy the program writes on them (plan.pullers);
 *   - pushers: only ecr:GetAuthorizationToken, so a push proves the repository policy grants it
 *     (and ecr:* where the point is that the repository policy denies despite it);
 *   - admins, the deploy role and unnamed registry-account roles: ecr:* (full access, as teams grant it);
 *   - unnamed roles of consumer or foreign accounts: ECR read on * (as node roles usually hold).
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { HubConfig, RepositoryModel } from "../../config/model";
import { AccessMode } from "../../config/schema";
import { readStackFile } from "../../config/stack-file";
import { prepare } from "../../prepare";
import { PolicyDocument, policyDocument, sortedUnique } from "../../iam/document";
import {
  GET_AUTHORIZATION_TOKEN,
  PULL_ACTIONS,
  PUSH_ACTIONS,
  PUSH_ONLY_ACTIONS,
} from "../../iam/ecr-actions";
import { repositoryPolicy } from "../../iam/ecr-repository";
import { AccessPlan, PullerPlan, RepositoryPlan, planAccess } from "../../plan/access";
import { Decision, SimulatedRequest, simulate } from "../../tools/simulate";
import { accountOfArn } from "../../naming/aws";

const ROOT = path.resolve(__dirname, "../..");
const ORG_ID = "o-registryhub01";
const OTHER_ORG_ID = "o-someotherorg1";
const FOREIGN_ACCOUNT = "999999999999";

const ecrFullAccess = policyDocument([{ Effect: "Allow", Action: "ecr:*", Resource: "*" }]);
const ecrReadEverywhere = policyDocument([
  { Effect: "Allow", Action: [...PULL_ACTIONS, GET_AUTHORIZATION_TOKEN], Resource: "*" },
]);
const tokenOnly = policyDocument([
  { Effect: "Allow", Action: GET_AUTHORIZATION_TOKEN, Resource: "*" },
]);

function configFor(stack: string, mode: AccessMode): HubConfig {
  const raw = readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`));
  raw.access = mode === "organization" ? { mode, organizationId: ORG_ID } : { mode };
  const validation = prepare(raw);
  if (!validation.ok)
    throw new Error(`Pulumi.${stack}.yaml in mode ${mode}: ${validation.problems.join("; ")}`);
  return validation.model;
}

/** Collects every decision that differs from the expectation, so one failure lists them all. */
class Expectations {
  private readonly pending: Promise<string | undefined>[] = [];

  expect(request: SimulatedRequest, expected: Decision, what = ""): void {
    this.pending.push(
      simulate(request).then((actual) =>
        actual === expected
          ? undefined
          : `${request.principalArn} ${request.action} on ${request.resourceArn}${what && ` (${what})`}: ${actual}, expected ${expected}`,
      ),
    );
  }

  /** The same expectation for each of `actions`. */
  expectAll(
    base: Omit<SimulatedRequest, "action">,
    actions: readonly string[],
    expected: Decision,
    what = "",
  ): void {
    for (const action of actions) this.expect({ ...base, action }, expected, what);
  }

  async verify(): Promise<void> {
    const mismatches = (await Promise.all(this.pending)).filter(
      (m): m is string => m !== undefined,
    );
    assert.deepEqual(
      mismatches,
      [],
      `${mismatches.length} of ${this.pending.length} decisions differ`,
    );
  }
}

function mayPull(repository: RepositoryModel, puller: PullerPlan): boolean {
  return repository.clusters === undefined || repository.clusters.includes(puller.cluster.name);
}

function role(accountId: string, name: string): string {
  return `arn:aws:iam::${accountId}:role/${name}`;
}

/** The repository half without this puller: what the policy would be if the config left it out. */
function policyNotNaming(
  config: HubConfig,
  repo: RepositoryPlan,
  plan: AccessPlan,
  left: PullerPlan,
): PolicyDocument {
  const pullerArns = plan.pullers
    .filter((p) => p.principalArn !== left.principalArn && mayPull(repo.repository, p))
    .map((p) => p.principalArn);
  return repositoryPolicy({
    mode: plan.mode,
    partition: config.registry.partition,
    // In organization mode the policy names the org, not roles: leaving the role out means another org.
    organizationId: OTHER_ORG_ID,
    registryAccountId: config.registry.accountId,
    // Also leave the puller's account out, else accounts mode would still name it.
    pullerArns: pullerArns.filter((arn) => accountOfArn(arn) !== accountOfArn(left.principalArn)),
    pullerAccountIds: sortedUnique(pullerArns.map(accountOfArn)).filter(
      (a) => a !== accountOfArn(left.principalArn),
    ),
    restrictedToClusters: repo.repository.clusters !== undefined,
    pusherArns: repo.repository.pusherArns,
    adminArns: config.registry.admins,
    deployRoleArn: config.registry.deployRoleArn,
  });
}

const STACKS = ["prod", "sandbox"] as const;
const MODES: AccessMode[] = ["roles", "accounts", "organization"];

describe("simulator: both stack files in every access mode", () => {
  it("prod's microservice is restricted to beta and prod, sandbox's to trial (the scenarios below rely on it)", () => {
    const microservice = (stack: string) =>
      configFor(stack, "roles").repositories.find((r) => r.name === "microservice");
    assert.deepEqual(microservice("prod")?.clusters, ["beta", "prod"]);
    assert.deepEqual(microservice("sandbox")?.clusters, ["trial"]);
  });

  for (const stack of STACKS) {
    for (const mode of MODES) {
      describe(`stack ${stack}, access mode ${mode}`, () => {
        const config = configFor(stack, mode);
        const plan = planAccess(config);
        const orgId = mode === "organization" ? ORG_ID : undefined;
        const registryAccount = config.registry.accountId;
        const pusherArns = sortedUnique(config.repositories.flatMap((r) => r.pusherArns));
        const asPuller = (p: PullerPlan) => ({
          principalArn: p.principalArn,
          identityPolicies: [p.policy],
          principalOrgId: orgId,
        });
        const on = (repo: RepositoryPlan) => ({
          resourceArn: repo.repository.arn,
          resourcePolicy: repo.policy,
        });

        it("has node and cache roles, pushers and a restricted repository to test", () => {
          assert.equal(plan.mode, mode);
          assert.ok(
            plan.pullers.some((p) => p.kind === "nodes") &&
              plan.pullers.some((p) => p.kind === "cache"),
          );
          assert.ok(pusherArns.length > 0);
          assert.ok(
            plan.pullers.some((p) => plan.repositories.some((r) => !mayPull(r.repository, p))),
          );
        });

        it("every node and cache role pulls every repository it is allowed, and gets a registry token", async () => {
          const e = new Expectations();
          for (const puller of plan.pullers) {
            e.expect(
              { ...asPuller(puller), action: GET_AUTHORIZATION_TOKEN, resourceArn: "*" },
              "Allowed",
            );
            for (const repo of plan.repositories.filter((r) => mayPull(r.repository, puller))) {
              e.expectAll({ ...asPuller(puller), ...on(repo) }, PULL_ACTIONS, "Allowed");
            }
          }
          await e.verify();
        });

        it("no node or cache role can push: the repository policy denies it explicitly", async () => {
          const e = new Expectations();
          for (const puller of plan.pullers) {
            for (const repo of plan.repositories) {
              e.expectAll(
                { ...asPuller(puller), ...on(repo) },
                PUSH_ONLY_ACTIONS,
                "ExplicitlyDenied",
              );
              // Even holding ecr:* on its own side.
              e.expectAll(
                { ...asPuller(puller), identityPolicies: [ecrFullAccess], ...on(repo) },
                PUSH_ONLY_ACTIONS,
                "ExplicitlyDenied",
                "ecr:*",
              );
            }
          }
          await e.verify();
        });

        it("a node or cache role cannot pull a repository whose clusters list leaves its cluster out", async () => {
          const e = new Expectations();
          let excluded = 0;
          for (const puller of plan.pullers) {
            for (const repo of plan.repositories.filter((r) => !mayPull(r.repository, puller))) {
              excluded++;
              // The identity policy's Deny makes it explicit in every mode.
              e.expectAll({ ...asPuller(puller), ...on(repo) }, PULL_ACTIONS, "ExplicitlyDenied");
            }
          }
          assert.ok(excluded > 0);
          await e.verify();
        });

        if (stack === "prod") {
          it("microservice: dev and sandbox nodes are denied, beta and prod nodes and caches pull", async () => {
            const microservice = plan.repositories.find(
              (r) => r.repository.name === "microservice",
            )!;
            const e = new Expectations();
            for (const puller of plan.pullers) {
              const allowed = ["beta", "prod"].includes(puller.cluster.name);
              e.expectAll(
                { ...asPuller(puller), ...on(microservice) },
                PULL_ACTIONS,
                allowed ? "Allowed" : "ExplicitlyDenied",
              );
            }
            assert.deepEqual(
              sortedUnique(
                plan.pullers.filter((p) => p.kind === "cache").map((p) => p.cluster.name),
              ),
              ["beta", "prod"],
            );
            await e.verify();
          });
        }

        if (mode === "roles" || mode === "organization") {
          it(`${mode} mode: the repository policy alone also keeps excluded clusters out (without the identity Deny)`, async () => {
            const e = new Expectations();
            for (const puller of plan.pullers) {
              for (const repo of plan.repositories.filter((r) => !mayPull(r.repository, puller))) {
                e.expectAll(
                  { ...asPuller(puller), identityPolicies: [ecrReadEverywhere], ...on(repo) },
                  PULL_ACTIONS,
                  "ImplicitlyDenied",
                );
              }
            }
            await e.verify();
          });
        }

        it("pushers push (and pull) their repositories only", async () => {
          const e = new Expectations();
          for (const pusher of pusherArns) {
            e.expect(
              {
                principalArn: pusher,
                identityPolicies: [tokenOnly],
                action: GET_AUTHORIZATION_TOKEN,
                resourceArn: "*",
              },
              "Allowed",
            );
            for (const repo of plan.repositories) {
              const base = { principalArn: pusher, identityPolicies: [tokenOnly], ...on(repo) };
              if (repo.repository.pusherArns.includes(pusher)) {
                e.expectAll(base, PUSH_ACTIONS, "Allowed");
              } else {
                // Not even ecr:* in its own account lets it push or read another repository.
                const full = { ...base, identityPolicies: [ecrFullAccess] };
                e.expectAll(
                  full,
                  [...PUSH_ONLY_ACTIONS, ...PULL_ACTIONS],
                  "ExplicitlyDenied",
                  "ecr:*",
                );
              }
            }
          }
          await e.verify();
        });

        if (stack === "prod") {
          it("prod: ci pushes four repositories and tools/debug has no pusher", () => {
            const pushed = plan.repositories
              .filter((r) => r.repository.pusherArns.length > 0)
              .map((r) => r.repository.name);
            assert.deepEqual(pushed, ["microservice", "team/app", "team/worker", "base/python"]);
          });
        }

        it("an unnamed role of the registry account holding ecr:* cannot pull or push", async () => {
          const e = new Expectations();
          const base = {
            principalArn: role(registryAccount, "someone-else"),
            identityPolicies: [ecrFullAccess],
            principalOrgId: orgId,
          };
          for (const repo of plan.repositories) {
            e.expectAll(
              { ...base, ...on(repo) },
              [...PULL_ACTIONS, ...PUSH_ONLY_ACTIONS],
              "ExplicitlyDenied",
            );
            e.expectAll(
              { ...base, ...on(repo) },
              ["ecr:SetRepositoryPolicy", "ecr:BatchDeleteImage", "ecr:DeleteRepository"],
              "ExplicitlyDenied",
            );
          }
          await e.verify();
        });

        it("admins are not locked out: they read, set and delete the repository policy, and push and pull", async () => {
          const e = new Expectations();
          for (const admin of config.registry.admins) {
            for (const repo of plan.repositories) {
              const base = { principalArn: admin, identityPolicies: [ecrFullAccess], ...on(repo) };
              e.expectAll(
                base,
                [
                  "ecr:GetRepositoryPolicy",
                  "ecr:SetRepositoryPolicy",
                  "ecr:DeleteRepositoryPolicy",
                ],
                "Allowed",
              );
              e.expectAll(base, ["ecr:BatchDeleteImage", "ecr:PutLifecyclePolicy"], "Allowed");
              e.expectAll(base, PUSH_ACTIONS, "Allowed");
            }
          }
          await e.verify();
        });

        it("the deploy role can read and set the repository policy, but not read images", async () => {
          const e = new Expectations();
          for (const repo of plan.repositories) {
            const base = {
              principalArn: config.registry.deployRoleArn,
              identityPolicies: [ecrFullAccess],
              ...on(repo),
            };
            e.expectAll(
              base,
              ["ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy", "ecr:PutLifecyclePolicy"],
              "Allowed",
            );
            e.expectAll(base, [...PULL_ACTIONS, ...PUSH_ONLY_ACTIONS], "ExplicitlyDenied");
          }
          await e.verify();
        });

        it("pushers and node/cache roles cannot set the repository policy or delete images, even with ecr:*", async () => {
          const e = new Expectations();
          const principals = [
            ...pusherArns.map((arn) => ({ principalArn: arn, principalOrgId: orgId })),
            ...plan.pullers.map((p) => ({ principalArn: p.principalArn, principalOrgId: orgId })),
          ];
          for (const principal of principals) {
            for (const repo of plan.repositories) {
              // With ecr:* on their own side; an explicit deny then holds for any weaker policy.
              e.expectAll(
                { ...principal, identityPolicies: [ecrFullAccess], ...on(repo) },
                [
                  "ecr:SetRepositoryPolicy",
                  "ecr:BatchDeleteImage",
                  "ecr:DeleteRepositoryPolicy",
                  "ecr:DeleteRepository",
                ],
                "ExplicitlyDenied",
              );
            }
          }
          await e.verify();
        });

        it("cross-account pull needs both halves: no identity policy, or a repository policy not naming the role, denies", async () => {
          const e = new Expectations();
          for (const puller of plan.pullers) {
            for (const repo of plan.repositories.filter((r) => mayPull(r.repository, puller))) {
              // Control: both halves.
              e.expectAll(
                { ...asPuller(puller), ...on(repo) },
                PULL_ACTIONS,
                "Allowed",
                "both halves",
              );
              // Identity half missing: the node role has no identity policy at all.
              e.expectAll(
                { ...asPuller(puller), identityPolicies: [], ...on(repo) },
                PULL_ACTIONS,
                "ImplicitlyDenied",
                "no identity policy",
              );
              // Repository half missing: a repository policy that does not name the role ...
              const without = policyNotNaming(config, repo, plan, puller);
              e.expectAll(
                { ...asPuller(puller), resourceArn: repo.repository.arn, resourcePolicy: without },
                PULL_ACTIONS,
                "ImplicitlyDenied",
                "repository policy not naming the role",
              );
              // ... or no repository policy at all.
              e.expectAll(
                { ...asPuller(puller), resourceArn: repo.repository.arn },
                PULL_ACTIONS,
                "ImplicitlyDenied",
                "no repository policy",
              );
            }
            e.expect(
              {
                ...asPuller(puller),
                identityPolicies: [],
                action: GET_AUTHORIZATION_TOKEN,
                resourceArn: "*",
              },
              "ImplicitlyDenied",
            );
          }
          await e.verify();
        });

        // The documented trade-off of the modes: roles names exact roles; accounts and
        // organization trust whatever the consumer account's own IAM allows.
        for (const account of config.accounts) {
          it(`an unnamed role of consumer account ${account.name}: ${
            mode === "roles"
              ? "denied even with ECR read on *"
              : "allowed with ECR read on *, denied without"
          }`, async () => {
            const e = new Expectations();
            const stranger = {
              principalArn: role(account.accountId, "someone-else"),
              principalOrgId: orgId,
            };
            for (const repo of plan.repositories) {
              const accountNamed = config.accounts
                .find((a) => a.accountId === account.accountId)!
                .clusters.some(
                  (c) =>
                    repo.repository.clusters === undefined ||
                    repo.repository.clusters.includes(c.name),
                );
              const withRead: Decision =
                (mode === "organization" && repo.repository.clusters === undefined) ||
                (mode === "accounts" && accountNamed)
                  ? "Allowed"
                  : "ImplicitlyDenied";
              e.expectAll(
                { ...stranger, identityPolicies: [ecrReadEverywhere], ...on(repo) },
                PULL_ACTIONS,
                withRead,
                "ECR read on *",
              );
              e.expectAll(
                { ...stranger, identityPolicies: [], ...on(repo) },
                PULL_ACTIONS,
                "ImplicitlyDenied",
                "no identity policy",
              );
              e.expectAll(
                { ...stranger, identityPolicies: [ecrFullAccess], ...on(repo) },
                PUSH_ONLY_ACTIONS,
                "ExplicitlyDenied",
                "ecr:*",
              );
            }
            await e.verify();
          });
        }

        it(`a role of an account outside the config is denied${mode === "organization" ? " when it is in another organization" : ""}`, async () => {
          const e = new Expectations();
          const outsider = role(FOREIGN_ACCOUNT, "someone-else");
          for (const repo of plan.repositories) {
            const base = { principalArn: outsider, ...on(repo) };
            e.expectAll(
              { ...base, identityPolicies: [ecrReadEverywhere], principalOrgId: OTHER_ORG_ID },
              PULL_ACTIONS,
              "ImplicitlyDenied",
            );
            e.expectAll(
              { ...base, identityPolicies: [ecrReadEverywhere] },
              PULL_ACTIONS,
              "ImplicitlyDenied",
              "no organization",
            );
            e.expectAll(
              { ...base, identityPolicies: [ecrFullAccess], principalOrgId: OTHER_ORG_ID },
              PUSH_ONLY_ACTIONS,
              "ExplicitlyDenied",
            );
          }
          await e.verify();
        });

        if (mode === "organization") {
          it("organization mode: a role of an account outside the config but in the organization pulls (new accounts need no policy edit)", async () => {
            const e = new Expectations();
            for (const repo of plan.repositories.filter((r) => !r.repository.clusters)) {
              const base = {
                principalArn: role(FOREIGN_ACCOUNT, "nodes"),
                principalOrgId: ORG_ID,
                ...on(repo),
              };
              e.expectAll(
                { ...base, identityPolicies: [ecrReadEverywhere] },
                PULL_ACTIONS,
                "Allowed",
              );
              e.expectAll(
                { ...base, identityPolicies: [] },
                PULL_ACTIONS,
                "ImplicitlyDenied",
                "no identity policy",
              );
            }
            await e.verify();
          });

          it("organization mode: a repository that lists clusters is not pulled by the rest of the organization", async () => {
            const e = new Expectations();
            const restricted = plan.repositories.filter((r) => r.repository.clusters);
            assert.ok(restricted.length > 0);
            const strangers = [
              role(FOREIGN_ACCOUNT, "nodes"),
              ...config.accounts.map((a) => role(a.accountId, "someone-else")),
            ];
            for (const repo of restricted) {
              for (const principalArn of strangers) {
                e.expectAll(
                  {
                    principalArn,
                    identityPolicies: [ecrReadEverywhere],
                    principalOrgId: ORG_ID,
                    ...on(repo),
                  },
                  PULL_ACTIONS,
                  "ImplicitlyDenied",
                );
              }
            }
            await e.verify();
          });

          it("organization mode: a node role whose account is in another organization is denied", async () => {
            const e = new Expectations();
            for (const puller of plan.pullers) {
              for (const repo of plan.repositories.filter((r) => mayPull(r.repository, puller))) {
                e.expectAll(
                  { ...asPuller(puller), principalOrgId: OTHER_ORG_ID, ...on(repo) },
                  PULL_ACTIONS,
                  "ImplicitlyDenied",
                );
              }
            }
            await e.verify();
          });
        }
      });
    }
  }
});
