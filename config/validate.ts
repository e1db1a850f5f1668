/**
 * Checks a stack's `registry-hub:*` config before anything is registered, and reports every
 * problem at once as `<config path>: <what is wrong>`.
 */
import { z } from "zod";
import { display, formatCount } from "./display";
import { placementProblems } from "./placement";
import { HubConfig, buildModel } from "./model";
import { HubConfigInput, PROJECT, hubConfigSchema } from "./schema";
import {
  accountOfArn,
  cacheRoleName,
  createdNodeRoleName,
  partitionOf,
  roleArn,
  roleNameOfArn,
} from "../naming/aws";

export type Validation = { ok: true; config: HubConfig } | { ok: false; problems: string[] };

/** The problems as an indented list, one per line, for the program's error and the tools. */
export function formatProblems(problems: string[]): string {
  return problems.map((p) => `  ${p}`).join("\n");
}

/** Raw values of the `registry-hub:*` keys, keyed without the namespace. */
export type RawConfig = Record<string, unknown>;

/** Keys come from the file too: one that is not a plain name is shown quoted, in brackets. */
export function configPath(path: readonly PropertyKey[], prefix = `${PROJECT}:`): string {
  const [key, ...rest] = path;
  // Callers also pass prebuilt paths such as "repositories[1]": brackets stay plain.
  const name = (part: PropertyKey) =>
    /^[\w./:@+=,[\]-]{1,100}$/.test(String(part)) ? String(part) : `[${display(String(part))}]`;
  return rest.reduce<string>(
    (text, part) =>
      typeof part === "number"
        ? `${text}[${part}]`
        : `${text}${name(part).startsWith('["') ? "" : "."}${name(part)}`,
    `${prefix}${name(key)}`,
  );
}

/** A map of 100,000 unknown keys is one mistake: the first few name it, a count says the rest. */
const UNKNOWN_KEYS_LISTED = 5;

export function validateConfig(raw: RawConfig): Validation {
  const parsed = hubConfigSchema.safeParse(raw);
  const issues = parsed.success ? [] : parsed.error.issues;
  // Cross-references are checked on what did parse, so one run reports every problem.
  const parsedPart = withoutInvalidValues(raw, issues);
  const problems = [
    ...issues.flatMap(describeIssue),
    ...crossReferenceProblems(parsedPart),
    ...placementProblems(parsedPart),
  ];
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  return { ok: true, config: buildModel(parsed.data) };
}

/** A copy of the raw config without the values the schema rejected; the rest keeps its shape. */
function withoutInvalidValues(raw: RawConfig, issues: z.core.$ZodIssue[]): PartialConfig {
  type Node = Record<PropertyKey, unknown>;
  const copy = structuredClone(raw);
  for (const issue of issues) {
    const paths =
      issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of paths) {
      const parent = path
        .slice(0, -1)
        .reduce<unknown>(
          (node, key) => (node && typeof node === "object" ? (node as Node)[key] : undefined),
          copy,
        );
      if (parent && typeof parent === "object") delete (parent as Node)[path[path.length - 1]];
    }
  }
  // Values of the wrong type were deleted above, so what is left matches the schema's types.
  return copy;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === "unrecognized_keys") {
    const listed = issue.keys
      .slice(0, UNKNOWN_KEYS_LISTED)
      .map((key) => `${configPath([...issue.path, key])}: unknown key (a typo?)`);
    const more = issue.keys.length - listed.length;
    return more > 0
      ? [...listed, `${configPath(issue.path)}: and ${formatCount(more)} more unknown keys`]
      : listed;
  }
  if (issue.code === "invalid_type" && issue.message.endsWith("received undefined")) {
    return [`${configPath(issue.path)}: required`];
  }
  return [`${configPath(issue.path)}: ${issue.message}`];
}

/** Duplicates of `items[].key` in the top-level list `list`. */
function unique<K extends string>(
  items: (Partial<Record<K, string>> | undefined)[],
  list: string,
  key: K,
  what: string,
) {
  return duplicates(
    items.map((item) => item?.[key]),
    (i) => `${list}[${i}].${key}`,
    what,
  );
}

/**
 * Values that are one and the same by `same` (default: equal). When two differ as written,
 * the message names the first as written too, and says why they are the same (`why`).
 */
function duplicates(
  values: (string | undefined)[],
  path: (index: number) => string,
  what: string,
  same: { key: (value: string) => string; why: string } = { key: (v) => v, why: "" },
) {
  const seen = new Map<string, number>();
  return values.flatMap((value, i) => {
    if (value === undefined) return [];
    const key = same.key(value);
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return [];
    }
    const written = values[first] as string;
    const as = written === value ? "" : ` (as ${display(written)}; ${same.why})`;
    return [
      `${configPath([path(i)])}: ${what} ${display(value)} is already used at ${configPath([path(first)])}${as}`,
    ];
  });
}

/**
 * IAM role names are unique in an account whatever the path and regardless of case (IAM
 * User Guide, IAM object names), and the program writes its policy by role name.
 */
const SAME_ROLE = {
  key: (arn: string) => `${accountOfArn(arn)}/${roleNameOfArn(arn).toLowerCase()}`,
  why: "IAM role names are unique in an account whatever their path and case",
};

/** Config after withoutInvalidValues: every value left has its schema type, any may be missing. */
type DeepPartial<T> = T extends (infer U)[]
  ? (DeepPartial<U> | undefined)[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
export type PartialConfig = DeepPartial<HubConfigInput>;

function crossReferenceProblems(input: PartialConfig): string[] {
  const problems: string[] = [];
  const problem = (path: PropertyKey[], message: string) =>
    problems.push(`${configPath(path)}: ${message}`);
  const registryAccount: string | undefined = input.registry?.accountId;
  const sameAccount = (arn: unknown, accountId: string | undefined) =>
    typeof arn !== "string" || accountId === undefined || accountOfArn(arn) === accountId;
  const inRegistryAccount = (arn: unknown, path: PropertyKey[], role: string) => {
    if (!sameAccount(arn, registryAccount))
      problem(path, `${role} must be a role of the registry account ${registryAccount}`);
  };
  const pushers = input.pushers ?? [];
  const repositories = input.repositories ?? [];
  const accounts = input.accounts ?? [];

  inRegistryAccount(
    input.registry?.deployRoleArn,
    ["registry", "deployRoleArn"],
    "the deploy role",
  );
  inRegistryAccount(
    input.registry?.previewRoleArn,
    ["registry", "previewRoleArn"],
    "the preview role",
  );
  (input.registry?.admins ?? []).forEach((arn, i) =>
    inRegistryAccount(arn, ["registry", "admins", i], "an admin"),
  );
  pushers.forEach((p, i) =>
    inRegistryAccount(p?.principalArn, ["pushers", i, "principalArn"], "a pusher"),
  );
  const management = input.organization?.managementAccountId;
  if (management !== undefined && management === registryAccount) {
    problem(
      ["organization", "managementAccountId"],
      "is the registry account; service control policies never apply to the management account, so keep the registry in a member account",
    );
  }
  for (const key of ["deployRoleArn", "previewRoleArn"] as const) {
    if (!sameAccount(input.organization?.[key], management)) {
      problem(["organization", key], `must be a role of the management account ${management}`);
    }
  }
  problems.push(
    ...unique(pushers, "pushers", "name", "pusher name"),
    ...unique(repositories, "repositories", "name", "repository"),
    ...unique(accounts, "accounts", "name", "account name"),
    ...unique(accounts, "accounts", "accountId", "account id"),
  );

  const clusters = accounts.flatMap((account, a) =>
    (account?.clusters ?? []).map((cluster, c) => ({ account, cluster, a, c })),
  );
  problems.push(
    ...duplicates(
      clusters.map((x) => x.cluster?.name),
      (i) => `accounts[${clusters[i].a}].clusters[${clusters[i].c}].name`,
      "cluster name",
    ),
  );
  // Each role carries one cluster's pull policy, under one policy name: two clusters on one
  // role would overwrite each other's, and the role would pull what either may. A role is
  // its account and name: the path and the case do not make another role.
  const roles = clusters.flatMap(({ account, cluster, a, c }) => {
    const region = account?.region ?? input.registry?.region;
    const accountId = account?.accountId;
    if (!cluster?.name || !accountId || typeof region !== "string") return [];
    const derived = (name: string) => roleArn(partitionOf(region), accountId, name);
    const at = (key: string) => `accounts[${a}].clusters[${c}].${key}`;
    return [
      cluster.nodeRoleArn && { arn: cluster.nodeRoleArn, path: at("nodeRoleArn") },
      cluster.create && { arn: derived(createdNodeRoleName(cluster.name)), path: at("create") },
      cluster.cache && { arn: derived(cacheRoleName(cluster.name)), path: at("cache") },
    ].filter((role) => !!role);
  });
  problems.push(
    ...duplicates(
      roles.map((r) => r.arn),
      (i) => roles[i].path,
      "role",
      SAME_ROLE,
    ),
  );
  accounts.forEach((account, a) => {
    if (registryAccount !== undefined && account?.accountId === registryAccount) {
      problem(
        ["accounts", a, "accountId"],
        "is the registry account; clusters run in consumer accounts",
      );
    }
    for (const key of ["deployRoleArn", "previewRoleArn"] as const) {
      if (!sameAccount(account?.[key], account?.accountId)) {
        problem(["accounts", a, key], `must be a role of account ${account?.accountId}`);
      }
    }
  });
  for (const { account, cluster, a, c } of clusters) {
    if (!sameAccount(cluster?.nodeRoleArn, account?.accountId)) {
      problem(
        ["accounts", a, "clusters", c, "nodeRoleArn"],
        `must be a role of its account ${account?.accountId}`,
      );
    }
    const region = account?.region ?? input.registry?.region;
    const issuer = cluster?.eks?.oidcIssuer;
    if (typeof issuer === "string" && typeof region === "string") {
      // EKS's endpoints end in .amazonaws.com, in China (aws-cn) in .amazonaws.com.cn.
      const partition = partitionOf(region);
      const host = `oidc.eks.${region}.amazonaws.com${partition === "aws-cn" ? ".cn" : ""}`;
      const path = ["accounts", a, "clusters", c, "eks", "oidcIssuer"];
      if (!issuer.startsWith(`oidc.eks.${region}.`)) {
        problem(path, `is not in the account's region ${region}`);
      } else if (!issuer.startsWith(`${host}/`)) {
        problem(
          path,
          `has host ${display(issuer.slice(0, issuer.indexOf("/")))}; EKS issuers of region ${region} (partition ${partition}) are on ${host}`,
        );
      }
    }
  }

  const pusherNames = new Set(pushers.map((p) => p?.name));
  const clusterNames = new Set(clusters.map((x) => x.cluster?.name));
  repositories.forEach((repo, r) => {
    (repo?.pushers ?? []).forEach((name, i) => {
      if (!pusherNames.has(name))
        problem(
          ["repositories", r, "pushers", i],
          `unknown pusher ${display(name)} (not in ${PROJECT}:pushers)`,
        );
    });
    (repo?.clusters ?? []).forEach((name, i) => {
      if (!clusterNames.has(name))
        problem(
          ["repositories", r, "clusters", i],
          `unknown cluster ${display(name)} (not in any ${PROJECT}:accounts[].clusters)`,
        );
    });
  });
  return problems;
}
