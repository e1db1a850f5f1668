/**
 * Principals the repository policies match by condition rather than by name: pushers, the
 * registry account's service-linked roles, and AWS service principals (requests that carry no
 * aws:PrincipalArn, on which every negated condition operator matches).
 */
import * as assert from "node:assert/strict";
import { HubConfig } from "../../config/model";
import { AccessMode, ACCESS_MODES } from "../../config/schema";
import { PolicyDocument, policyDocument } from "../../iam/document";
import {
  CHANGE_ACTIONS,
  GET_AUTHORIZATION_TOKEN,
  PULL_ACTIONS,
  PUSH_ACTIONS,
  PUSH_ONLY_ACTIONS,
} from "../../iam/ecr-actions";
import { planAccess } from "../../plan/access";
import { Decision, SimulatedRequest, simulate } from "../../tools/simulate";
import { copy, rawStack, validConfig } from "../../testing/stacks";

const ORG_ID = "o-registryhub01";
const ecrFullAccess = policyDocument([{ Effect: "Allow", Action: "ecr:*", Resource: "*" }]);
const tokenOnly = policyDocument([
  { Effect: "Allow", Action: GET_AUTHORIZATION_TOKEN, Resource: "*" },
]);
/** The ECR reads of AmazonInspector2ServiceRolePolicy (abridged): what enhanced scanning uses. */
const inspectorReads = policyDocument([
  {
    Effect: "Allow",
    Action: [
      "ecr:BatchGetImage",
      "ecr:DescribeImages",
      "ecr:DescribeRepositories",
      "ecr:GetAuthorizationToken",
      "ecr:GetDownloadUrlForLayer",
      "ecr:ListImages",
    ],
    Resource: "*",
  },
]);
/** Services that pull as themselves, not through a role, when given an image URI. */
const SERVICE_PRINCIPALS = ["lambda.amazonaws.com", "codebuild.amazonaws.com"];

function configFor(stack: "prod" | "sandbox", mode: AccessMode): HubConfig {
  const raw = copy(rawStack(stack));
  raw.access = mode === "organization" ? { mode, organizationId: ORG_ID } : { mode };
  return validConfig(raw);
}

async function mismatches(
  cases: { request: SimulatedRequest; expected: Decision }[],
): Promise<string[]> {
  const results = await Promise.all(
    cases.map(async ({ request, expected }) => {
      const got = await simulate(request);
      return got === expected
        ? undefined
        : `${request.principalArn} ${request.action} on ${request.resourceArn}: ${got}, expected ${expected}`;
    }),
  );
  return results.filter((m): m is string => m !== undefined);
}

for (const stack of ["prod", "sandbox"] as const) {
  for (const mode of ACCESS_MODES) {
    describe(`simulator: principals matched by condition, stack ${stack}, ${mode} mode`, () => {
      const config = configFor(stack, mode);
      const plan = planAccess(config);
      const registry = config.registry.accountId;
      const orgId = mode === "organization" ? ORG_ID : undefined;
      const slr = `arn:aws:iam::${registry}:role/aws-service-role/inspector2.amazonaws.com/AWSServiceRoleForAmazonInspector2`;
      const each = (
        principalArn: string,
        identityPolicies: PolicyDocument[],
        actions: readonly string[],
        expected: (repo: (typeof plan.repositories)[number], action: string) => Decision,
        resourcePolicy?: (repo: (typeof plan.repositories)[number]) => PolicyDocument,
      ) =>
        plan.repositories.flatMap((repo) =>
          actions.map((action) => ({
            request: {
              principalArn,
              identityPolicies,
              action,
              resourceArn: repo.repository.arn,
              resourcePolicy: resourcePolicy ? resourcePolicy(repo) : repo.policy,
              principalOrgId: orgId,
            },
            expected: expected(repo, action),
          })),
        );

      it("each pusher pushes its repositories holding only the registry token; a same-named role elsewhere cannot", async () => {
        const cases = [];
        for (const pusher of new Set(config.repositories.flatMap((r) => r.pusherArns))) {
          cases.push(
            ...each(pusher, [tokenOnly], PUSH_ACTIONS, (repo) =>
              repo.repository.pusherArns.includes(pusher) ? "Allowed" : "ExplicitlyDenied",
            ),
          );
          const name = pusher.split(":role/")[1];
          for (const account of config.accounts) {
            const lookalike = `arn:aws:iam::${account.accountId}:role/${name}`;
            cases.push(
              ...each(lookalike, [ecrFullAccess], PUSH_ONLY_ACTIONS, () => "ExplicitlyDenied"),
            );
          }
          const other = `arn:aws:iam::${registry}:role/${name}-2`;
          cases.push(...each(other, [tokenOnly], PUSH_ONLY_ACTIONS, () => "ExplicitlyDenied"));
        }
        assert.ok(cases.length > 0);
        assert.deepEqual(await mismatches(cases), []);
      });

      it("the registry account's service-linked roles pull (Inspector's enhanced scanning) but cannot push or change", async () => {
        const cases = [
          ...each(
            slr,
            [inspectorReads],
            PULL_ACTIONS.filter((a) => a !== "ecr:BatchCheckLayerAvailability"),
            () => "Allowed",
          ),
          ...each(
            slr,
            [ecrFullAccess],
            [...PUSH_ONLY_ACTIONS, ...CHANGE_ACTIONS],
            () => "ExplicitlyDenied",
          ),
        ];
        assert.deepEqual(await mismatches(cases), []);
      });

      it("roles outside the aws-service-role path, or service-linked roles of other accounts, get no such exemption", async () => {
        const lookalikes = [
          `arn:aws:iam::${registry}:role/aws-service-role-scanner`,
          `arn:aws:iam::${registry}:role/team/aws-service-role/inspector2.amazonaws.com/Scanner`,
        ];
        const cases = lookalikes.flatMap((arn) =>
          each(arn, [ecrFullAccess], PULL_ACTIONS, () => "ExplicitlyDenied"),
        );
        // Cross-account it needs a grant like any role: roles mode names none for it.
        if (mode === "roles") {
          for (const account of config.accounts) {
            const foreignSlr = slr.replace(`::${registry}:`, `::${account.accountId}:`);
            cases.push(
              ...each(
                foreignSlr,
                [inspectorReads],
                ["ecr:BatchGetImage"],
                () => "ImplicitlyDenied",
              ),
            );
          }
        }
        assert.deepEqual(await mismatches(cases), []);
      });

      it("AWS service principals: pulls are not granted but not denied; every push and change is denied", async () => {
        const cases = SERVICE_PRINCIPALS.flatMap((service) => [
          // Not granted: no statement names a service principal.
          ...each(service, [], PULL_ACTIONS, () => "ImplicitlyDenied"),
          // Not denied either: the pull deny needs aws:PrincipalAccount, which such a request
          // lacks, so a grant added for the service would work.
          ...each(
            service,
            [],
            PULL_ACTIONS,
            () => "Allowed",
            (repo) =>
              policyDocument([
                ...repo.policy.Statement,
                { Effect: "Allow", Principal: { Service: service }, Action: [...PULL_ACTIONS] },
              ]),
          ),
          // ArnNotEquals on a missing aws:PrincipalArn matches: the push and change denies hit.
          ...each(
            service,
            [],
            [...PUSH_ONLY_ACTIONS, ...CHANGE_ACTIONS],
            () => "ExplicitlyDenied",
            (repo) =>
              policyDocument([
                ...repo.policy.Statement,
                {
                  Effect: "Allow",
                  Principal: { Service: service },
                  Action: [...PUSH_ONLY_ACTIONS, ...CHANGE_ACTIONS],
                },
              ]),
          ),
        ]);
        assert.deepEqual(await mismatches(cases), []);
      });
    });
  }
}
