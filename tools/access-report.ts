/**
 * The access report: every policy the program would deploy, and what the IAM simulator
 * decides for the principals that matter, named ones and outsiders.
 */
import { HubConfig, roleArn } from "../config/model";
import { AccessMode } from "../config/schema";
import { GET_AUTHORIZATION_TOKEN, PULL_ACTIONS, PUSH_ACTIONS } from "../policies/ecr-actions";
import { PolicyDocument, policyDocument, sortedUnique } from "../policies/document";
import { AccessPlan, POLICY_SIZE_LIMIT, planAccess } from "../plan/access";
import { Decision, simulate } from "./simulate";

export interface ReportPrincipal {
  arn: string;
  /** Who this is, for people reading the matrix. */
  role: string;
  identityPolicies: PolicyDocument[];
  orgId?: string;
}

export interface AccessReport {
  stack: string;
  accessMode: AccessMode;
  principals: { arn: string; role: string }[];
  repositories: { name: string; arn: string; policy: PolicyDocument; policyChars: number }[];
  identityPolicies: { principalArn: string; accountId: string; policy: PolicyDocument }[];
  decisions: { principal: string; repository: string; action: string; decision: Decision }[];
}

/** An account that is not in the config, for the "other accounts get nothing" row. */
const FOREIGN_ACCOUNT_ID = "999999999999";
const FOREIGN_ORG_ID = "o-foreignorg00";

/** What broad identity policies people really attach: seed 002's ecr:* and seed 003's read on *. */
const ecrFullAccess = policyDocument([{ Effect: "Allow", Action: "ecr:*", Resource: "*" }]);
const ecrReadEverywhere = policyDocument([
  { Effect: "Allow", Action: [...PULL_ACTIONS, GET_AUTHORIZATION_TOKEN], Resource: "*" },
]);

function reportPrincipals(config: HubConfig, plan: AccessPlan): ReportPrincipal[] {
  const { registry, access } = config;
  const orgId = access.organizationId;
  const someoneElse = (accountId: string) => roleArn(registry.partition, accountId, "someone-else");
  const pusherArns = sortedUnique(config.repositories.flatMap((r) => r.pusherArns));
  return [
    ...plan.pullers.map((p) => ({
      arn: p.principalArn,
      role: `${p.kind === "nodes" ? "node role" : "cache role"} of cluster ${p.cluster.name}`,
      identityPolicies: [p.policy],
      orgId,
    })),
    ...pusherArns.map((arn) => ({
      arn,
      role: "pusher (holds only ecr:GetAuthorizationToken)",
      identityPolicies: [
        policyDocument([{ Effect: "Allow", Action: GET_AUTHORIZATION_TOKEN, Resource: "*" }]),
      ],
    })),
    ...registry.admins.map((arn) => ({
      arn,
      role: "admin (holds ecr:*)",
      identityPolicies: [ecrFullAccess],
    })),
    {
      arn: registry.deployRoleArn,
      role: "deploy role (holds ecr:*)",
      identityPolicies: [ecrFullAccess],
    },
    {
      arn: someoneElse(registry.accountId),
      role: "unnamed role in the registry account (holds ecr:*)",
      identityPolicies: [ecrFullAccess],
    },
    ...config.accounts.map((account) => ({
      arn: someoneElse(account.accountId),
      role: `unnamed role in account ${account.name} (holds ECR read on *)`,
      identityPolicies: [ecrReadEverywhere],
      orgId,
    })),
    {
      arn: someoneElse(FOREIGN_ACCOUNT_ID),
      role: "role in an account outside the config (holds ECR read on *)",
      identityPolicies: [ecrReadEverywhere],
      orgId: FOREIGN_ORG_ID,
    },
  ];
}

export async function buildAccessReport(stack: string, config: HubConfig): Promise<AccessReport> {
  const plan = planAccess(config);
  const principals = reportPrincipals(config, plan);
  const decisions: AccessReport["decisions"] = [];
  for (const principal of principals) {
    const base = {
      principalArn: principal.arn,
      identityPolicies: principal.identityPolicies,
      principalOrgId: principal.orgId,
    };
    decisions.push({
      principal: principal.arn,
      repository: "*",
      action: GET_AUTHORIZATION_TOKEN,
      decision: await simulate({ ...base, action: GET_AUTHORIZATION_TOKEN, resourceArn: "*" }),
    });
    for (const repo of plan.repositories) {
      // Push needs every pull action too, so this covers both capabilities.
      for (const action of PUSH_ACTIONS) {
        const decision = await simulate({
          ...base,
          action,
          resourceArn: repo.repository.arn,
          resourcePolicy: repo.policy,
        });
        decisions.push({
          principal: principal.arn,
          repository: repo.repository.name,
          action,
          decision,
        });
      }
    }
  }
  return {
    stack,
    accessMode: plan.mode,
    principals: principals.map(({ arn, role }) => ({ arn, role })),
    repositories: plan.repositories.map((r) => ({
      name: r.repository.name,
      arn: r.repository.arn,
      policy: r.policy,
      policyChars: r.policyText.length,
    })),
    identityPolicies: plan.pullers.map((p) => ({
      principalArn: p.principalArn,
      accountId: p.cluster.accountId,
      policy: p.policy,
    })),
    decisions,
  };
}

export type Capability = "pull" | "push";

/** A principal can pull (push) a repository when every action pull (push) needs is allowed. */
export function capabilities(
  report: AccessReport,
  principal: string,
  repository: string,
): Capability[] {
  const allowed = new Set(
    report.decisions
      .filter(
        (d) =>
          d.principal === principal &&
          (d.repository === repository || d.repository === "*") &&
          d.decision === "Allowed",
      )
      .map((d) => d.action),
  );
  const can = (actions: readonly string[]) =>
    [GET_AUTHORIZATION_TOKEN, ...actions].every((a) => allowed.has(a));
  const result: Capability[] = [];
  if (can(PULL_ACTIONS)) result.push("pull");
  if (can(PUSH_ACTIONS)) result.push("push");
  return result;
}

export function formatReport(report: AccessReport): string {
  const repos = report.repositories.map((r) => r.name);
  const header = ["principal", ...repos];
  const rows = report.principals.map((p) => [
    `${p.arn}\n  ${p.role}`,
    ...repos.map((repo) => capabilities(report, p.arn, repo).join("+") || "-"),
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => Math.max(...r[i].split("\n").map((l) => l.length)))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  const body = rows.flatMap((row) => {
    const [first, second] = row[0].split("\n");
    return [line([first, ...row.slice(1)]), line([second, ...row.slice(1).map(() => "")])];
  });
  const sizes = report.repositories.map(
    (r) =>
      `  ${r.name.padEnd(Math.max(...repos.map((n) => n.length)))}  ${String(r.policyChars).padStart(6)} / ${POLICY_SIZE_LIMIT} characters`,
  );
  return [
    `Stack ${report.stack}, access mode ${report.accessMode}: who can pull and push (IAM simulator, both accounts' halves)`,
    "",
    line(header),
    ...body,
    "",
    "Repository policy sizes:",
    ...sizes,
  ].join("\n");
}
