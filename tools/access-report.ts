/**
 * The access report: every policy the program would deploy, and what the IAM simulator
 * decides for the principals that matter, named ones and outsiders.
 */
import { HubConfig } from "../config/model";
import { AccessMode } from "../config/schema";
import { GET_AUTHORIZATION_TOKEN, PULL_ACTIONS, PUSH_ACTIONS } from "../iam/ecr-actions";
import { PolicyDocument, policyDocument, sortedUnique } from "../iam/document";
import { display } from "../config/display";
import {
  AccessPlan,
  POLICY_SIZE_LIMIT,
  Puller,
  RepositoryPlan,
  mayPull,
  planAccess,
} from "../plan/access";
import { Decision, simulate } from "./simulate";
import { roleArn } from "../naming/aws";

export interface ReportPrincipal {
  arn: string;
  /** Who this is, for people reading the matrix. */
  role: string;
  identityPolicies: PolicyDocument[];
  orgId?: string;
  /** Set when the principal is one cluster's puller and nothing else (see decide()). */
  puller?: Puller;
}

/**
 * What the simulator decided. One row of decisions per principal and repository would be
 * billions at 5,000 repositories and 1,000 clusters, so each cell holds the index of a
 * distinct outcome: the decisions on one repository, one per PUSH_ACTIONS entry.
 */
export interface DecisionTable {
  /** Per principal: ecr:GetAuthorizationToken on "*". */
  token: Decision[];
  outcomes: Decision[][];
  /** cells[principal * repositories + repository] indexes outcomes. */
  cells: Uint32Array;
}

export interface AccessReport {
  stack: string;
  accessMode: AccessMode;
  principals: { arn: string; role: string }[];
  repositories: { name: string; arn: string; policy: PolicyDocument; policyChars: number }[];
  identityPolicies: { principalArn: string; accountId: string; policy: PolicyDocument }[];
  decisions: DecisionTable;
}

/** One row of --json's decisions list. */
export interface DecisionRow {
  principal: string;
  repository: string;
  action: string;
  decision: Decision;
}

/** An account that is not in the config, for the "other accounts get nothing" row. */
function foreignAccountId(config: HubConfig): string {
  const used = new Set([config.registry.accountId, ...config.accounts.map((a) => a.accountId)]);
  let id = 999_999_999_999;
  while (used.has(String(id))) id--;
  return String(id);
}
const FOREIGN_ORG_ID = "o-foreignorg00";

/** What broad identity policies people really attach: ecr:* on the registry account, ECR read on * on node roles. */
const ecrFullAccess = policyDocument([{ Effect: "Allow", Action: "ecr:*", Resource: "*" }]);
const ecrReadEverywhere = policyDocument([
  { Effect: "Allow", Action: [...PULL_ACTIONS, GET_AUTHORIZATION_TOKEN], Resource: "*" },
]);

function reportPrincipals(config: HubConfig, plan: AccessPlan): ReportPrincipal[] {
  const { registry, access } = config;
  const orgId = access.organizationId;
  const someoneElse = (accountId: string) => roleArn(registry.partition, accountId, "someone-else");
  const pusherArns = sortedUnique(config.repositories.flatMap((r) => r.pusherArns));
  const listed: ReportPrincipal[] = [
    ...plan.pullers.map((p) => ({
      arn: p.principalArn,
      role: `${p.kind === "nodes" ? "node role" : "cache role"} of cluster ${p.cluster.name}`,
      identityPolicies: [p.policy],
      orgId,
      puller: p,
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
      arn: someoneElse(foreignAccountId(config)),
      role: "role in an account outside the config (holds ECR read on *)",
      identityPolicies: [ecrReadEverywhere],
      orgId: FOREIGN_ORG_ID,
    },
  ];
  return withoutRepeats(listed);
}

/**
 * A role listed twice in one capacity is asked about once (an admin listed 4,000 times is one
 * row). A role listed in two capacities keeps a row for each, as the config says.
 */
function withoutRepeats(listed: ReportPrincipal[]): ReportPrincipal[] {
  const seen = new Set<string>();
  return listed.filter((principal) => {
    const key = `${principal.arn} ${principal.role}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** How many grouped cells are simulated again one by one, to catch a grouping gone wrong. */
export const VERIFIED_SAMPLES = 48;

/**
 * The simulator costs about 0.05 ms per request and a report asks principals x repositories x
 * 7 actions, so it is asked once per group of equivalent requests:
 *
 * - repositories with the same rendered policy and the same `clusters` list: their policies
 *   are the same text and name no repository, and every identity policy here names
 *   repositories only through the puller's exclusion list, which `clusters` decides;
 * - for one such group, the pullers (node and cache roles) of one kind, account and
 *   organization that the group lets pull, or that it does not: their identity policies
 *   differ only in which other repositories they exclude, and a roles-mode repository policy
 *   names exactly the roles it lets pull. Every other principal is asked on its own.
 *
 * A sample of grouped cells is then asked again with their own principal and repository,
 * and any difference stops the report rather than print a wrong matrix.
 */
async function decide(plan: AccessPlan, principals: ReportPrincipal[]): Promise<DecisionTable> {
  const repositories = plan.repositories;
  const outcomeIds = new Map<string, number>();
  const outcomes: Decision[][] = [];
  const outcomeOf = (decisions: Decision[]) => {
    const key = decisions.join(" ");
    let id = outcomeIds.get(key);
    if (id === undefined) {
      id = outcomes.length;
      outcomeIds.set(key, id);
      outcomes.push(decisions);
    }
    return id;
  };
  const ask = async (principal: ReportPrincipal, repository: RepositoryPlan) => {
    const decisions: Decision[] = [];
    for (const action of PUSH_ACTIONS) {
      decisions.push(
        await simulate({
          principalArn: principal.arn,
          identityPolicies: principal.identityPolicies,
          principalOrgId: principal.orgId,
          action,
          resourceArn: repository.repository.arn,
          resourcePolicy: repository.policy,
        }),
      );
    }
    return decisions;
  };

  const token: Decision[] = [];
  for (const principal of principals) {
    token.push(
      await simulate({
        principalArn: principal.arn,
        identityPolicies: principal.identityPolicies,
        principalOrgId: principal.orgId,
        action: GET_AUTHORIZATION_TOKEN,
        resourceArn: "*",
      }),
    );
  }

  const groups = new Map<string, number[]>();
  repositories.forEach((repository, r) => {
    const key = `${JSON.stringify(repository.repository.clusters ?? null)}\n${repository.policyText}`;
    const members = groups.get(key);
    if (members) members.push(r);
    else groups.set(key, [r]);
  });

  const cells = new Uint32Array(principals.length * repositories.length);
  const grouped: { principal: number; repository: number }[] = [];
  for (const members of groups.values()) {
    const representative = repositories[members[0]];
    const classes = new Map<string, number[]>();
    principals.forEach((principal, p) => {
      const { puller } = principal;
      const key = puller
        ? [
            puller.kind,
            puller.cluster.accountId,
            principal.orgId ?? "",
            mayPull(representative.repository, puller.cluster),
          ].join(" ")
        : `#${p}`;
      const same = classes.get(key);
      if (same) same.push(p);
      else classes.set(key, [p]);
    });
    for (const same of classes.values()) {
      const outcome = outcomeOf(await ask(principals[same[0]], representative));
      for (const p of same) for (const r of members) cells[p * repositories.length + r] = outcome;
      if (same.length > 1 || members.length > 1)
        grouped.push({ principal: same[same.length - 1], repository: members[members.length - 1] });
    }
  }

  const stride = Math.max(1, Math.ceil(grouped.length / VERIFIED_SAMPLES));
  for (let i = 0; i < grouped.length; i += stride) {
    const { principal: p, repository: r } = grouped[i];
    const expected = outcomes[cells[p * repositories.length + r]];
    const actual = await ask(principals[p], repositories[r]);
    if (actual.join(" ") !== expected.join(" ")) {
      throw new Error(
        `the access report grouped ${principals[p].arn} on ${repositories[r].repository.name} ` +
          `with requests the simulator decides differently (${actual.join(", ")} against ` +
          `${expected.join(", ")}): the grouping in tools/access-report.ts no longer holds`,
      );
    }
  }
  return { token, outcomes, cells };
}

/** `plan` is the one prepare() made; tests may leave it to be planned here. */
export async function buildAccessReport(
  stack: string,
  config: HubConfig,
  plan: AccessPlan = planAccess(config),
): Promise<AccessReport> {
  const principals = reportPrincipals(config, plan);
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
    decisions: await decide(plan, principals),
  };
}

/** The base of a --diff when the file is new at the ref: nobody can do anything. */
export function emptyReport(like: AccessReport): AccessReport {
  return {
    ...like,
    principals: [],
    repositories: [],
    identityPolicies: [],
    decisions: { token: [], outcomes: [], cells: new Uint32Array(0) },
  };
}

/** The decisions as --json lists them: per principal, the token, then each repository's actions. */
export function* decisionRows(report: AccessReport): Generator<DecisionRow> {
  const { token, outcomes, cells } = report.decisions;
  const count = report.repositories.length;
  for (const [p, principal] of report.principals.entries()) {
    yield {
      principal: principal.arn,
      repository: "*",
      action: GET_AUTHORIZATION_TOKEN,
      decision: token[p],
    };
    for (const [r, repository] of report.repositories.entries()) {
      const outcome = outcomes[cells[p * count + r]];
      for (const [a, action] of PUSH_ACTIONS.entries()) {
        yield {
          principal: principal.arn,
          repository: repository.name,
          action,
          decision: outcome[a],
        };
      }
    }
  }
}

export type Capability = "pull" | "push";

const PULL_INDEXES = PULL_ACTIONS.map((a) => PUSH_ACTIONS.indexOf(a));

/** A principal can pull (push) a repository when every action pull (push) needs is allowed. */
function capabilitiesOf(token: Decision, outcome: Decision[]): Capability[] {
  if (token !== "Allowed") return [];
  const result: Capability[] = [];
  if (PULL_INDEXES.every((i) => outcome[i] === "Allowed")) result.push("pull");
  if (outcome.every((d) => d === "Allowed")) result.push("push");
  return result;
}

/** Every principal's capabilities on every repository, by index: capabilityMatrix(report)(p, r). */
export function capabilityMatrix(report: AccessReport): (p: number, r: number) => Capability[] {
  const { token, outcomes, cells } = report.decisions;
  const count = report.repositories.length;
  const cache = [new Map<number, Capability[]>(), new Map<number, Capability[]>()];
  return (p, r) => {
    const allowed = token[p] === "Allowed" ? 1 : 0;
    const outcome = cells[p * count + r];
    let result = cache[allowed].get(outcome);
    if (!result) {
      result = capabilitiesOf(token[p], outcomes[outcome]);
      cache[allowed].set(outcome, result);
    }
    return result;
  };
}

/** Writes and waits when the stream asks to: a report of 5,000 repositories is hundreds of MB. */
class Output {
  private buffered: string[] = [];
  private size = 0;
  constructor(private readonly stream: NodeJS.WritableStream) {}

  async add(text: string): Promise<void> {
    this.buffered.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    const chunk = this.buffered.join("");
    this.buffered = [];
    this.size = 0;
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => this.stream.once("drain", () => resolve()));
    }
  }
}

/** The report as text (the matrix) or as one JSON document, with the shape README.md gives. */
export async function writeReport(
  stream: NodeJS.WritableStream,
  report: AccessReport,
  json: boolean,
): Promise<void> {
  const out = new Output(stream);
  if (json) await writeJson(out, report);
  else await writeText(out, report);
  await out.flush();
}

async function writeJson(out: Output, report: AccessReport): Promise<void> {
  const { stack, accessMode, principals, repositories, identityPolicies } = report;
  const head = JSON.stringify(
    { stack, accessMode, principals, repositories, identityPolicies },
    null,
    2,
  );
  // The same bytes JSON.stringify(whole, null, 2) would give, without one string that big.
  await out.add(`${head.slice(0, -2)},\n  "decisions": [`);
  let first = true;
  for (const row of decisionRows(report)) {
    const text = JSON.stringify(row, null, 2).replace(/\n/g, "\n    ");
    await out.add(`${first ? "" : ","}\n    ${text}`);
    first = false;
  }
  await out.add(first ? "]\n}\n" : "\n  ]\n}\n");
}

async function writeText(out: Output, report: AccessReport): Promise<void> {
  const repos = report.repositories.map((r) => r.name);
  const can = capabilityMatrix(report);
  const cell = (p: number, r: number) => can(p, r).join("+") || "-";
  const widths = [
    Math.max(
      "principal".length,
      ...report.principals.map((p) => Math.max(p.arn.length, `  ${p.role}`.length)),
    ),
    ...repos.map((name, r) => {
      let width = name.length;
      for (let p = 0; p < report.principals.length; p++) width = Math.max(width, cell(p, r).length);
      return width;
    }),
  ];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  await out.add(
    `Stack ${display(report.stack)}, access mode ${report.accessMode}: who can pull and push (IAM simulator, both accounts' halves)\n\n`,
  );
  await out.add(`${line(["principal", ...repos])}\n`);
  for (const [p, principal] of report.principals.entries()) {
    await out.add(`${line([principal.arn, ...repos.map((_, r) => cell(p, r))])}\n`);
    await out.add(`${line([`  ${principal.role}`, ...repos.map(() => "")])}\n`);
  }
  const nameWidth = Math.max(0, ...repos.map((n) => n.length));
  await out.add("\nRepository policy sizes:\n");
  for (const r of report.repositories) {
    await out.add(
      `  ${r.name.padEnd(nameWidth)}  ${String(r.policyChars).padStart(6)} / ${POLICY_SIZE_LIMIT} characters\n`,
    );
  }
}
