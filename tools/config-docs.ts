/**
 * Renders docs/config.md, the reference of every `registry-hub:*` stack config key, from the
 * zod schema in config/schema.ts: types, required-ness, defaults, bounds, patterns with the
 * schema's own messages, enum values and the `.describe()` texts.
 *
 *   npm run docs          # writes docs/config.md
 *   npm run docs:check    # exits 1 when docs/config.md is not what the schema renders
 *
 * It walks the schema's definitions (`schema._zod.def`) rather than `z.toJSONSchema`, which
 * drops the messages of patterns and bounds and the messages of refinements. A schema type the
 * walker does not know stops it with an error, so the reference never silently leaves a key out.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { PROJECT, hubConfigSchema } from "../config/schema";

type Schema = z.core.$ZodType;
// Definitions differ by type; the walker reads the fields each type has.
type Def = z.core.$ZodTypeDef & Record<string, unknown>;
type CheckDef = { check: string; error?: unknown } & Record<string, unknown>;

export const CONFIG_DOC_PATH = path.join(__dirname, "..", "docs", "config.md");

/** One key of the reference: a property of an object, or the values of a map. */
export interface KeyRow {
  path: string;
  type: string;
  required: string;
  default?: string;
  constraints: string[];
  description?: string;
  /** Object properties must be described; map values and list items may be. */
  mustDescribe: boolean;
}

const defOf = (schema: Schema) => schema._zod.def as Def;

function descriptionOf(schema: Schema): string | undefined {
  return z.globalRegistry.get(schema)?.description;
}

/** The schema under optional/default/prefault wrappers, and what the wrappers said. */
function unwrap(schema: Schema) {
  let inner = schema;
  let optional = false;
  let defaultValue: unknown = undefined;
  let hasDefault = false;
  let description = descriptionOf(schema);
  for (;;) {
    const def = defOf(inner);
    if (def.type === "optional") optional = true;
    else if (def.type === "default" || def.type === "prefault") {
      if (!hasDefault) defaultValue = def.defaultValue;
      hasDefault = true;
    } else if (def.type !== "nullable" && def.type !== "readonly") break;
    inner = def.innerType as Schema;
    description ??= descriptionOf(inner);
  }
  return { inner, optional: optional || hasDefault, hasDefault, defaultValue, description };
}

/** The message a check was given (`.regex(re, "message")`); zod keeps it as an error map. */
function messageOf(carrier: { error?: unknown }): string | undefined {
  const message =
    typeof carrier.error === "function"
      ? (carrier.error as (issue: object) => unknown)({})
      : undefined;
  return typeof message === "string" ? message : undefined;
}

const code = (text: string) => {
  const escaped = text.replace(/\|/g, "\\|");
  return escaped.includes("`") ? `\`\` ${escaped} \`\`` : `\`${escaped}\``;
};
/** Plain text in a table cell: nothing in it may turn into emphasis, HTML, links or columns. */
const plain = (text: string) => text.replace(/[\\`*_<>|[\]]/g, "\\$&");
const number = (n: number) => String(n);
const withMessage = (text: string, message: string | undefined) =>
  message === undefined ? text : `${text} (else: ${plain(message)})`;

function isInteger(def: Def): boolean {
  return checksOf(def).some(
    (c) => c.check === "number_format" && ["safeint", "int32", "uint32"].includes(String(c.format)),
  );
}

function checksOf(def: Def): CheckDef[] {
  return ((def.checks as { _zod: { def: CheckDef } }[] | undefined) ?? []).map((c) => c._zod.def);
}

function typeName(schema: Schema): string {
  const { inner } = unwrap(schema);
  const def = defOf(inner);
  switch (def.type) {
    case "string":
    case "boolean":
      return def.type;
    case "number":
      return isInteger(def) ? "integer" : "number";
    case "literal":
      return (def.values as unknown[]).map((v) => code(JSON.stringify(v))).join(" or ");
    case "enum":
      return "enum";
    case "object":
      return "object";
    case "array":
      return `list of ${typeName(def.element as Schema)}`;
    case "record":
      return `map of ${typeName(def.keyType as Schema)} to ${typeName(def.valueType as Schema)}`;
    case "union":
      return (def.options as Schema[])
        .map((option) => {
          const optionDef = defOf(unwrap(option).inner);
          return optionDef.type === "object"
            ? `object with ${Object.keys(optionDef.shape as object)
                .map(code)
                .join(", ")}`
            : typeName(option);
        })
        .join(", or ");
    default:
      throw new Error(`tools/config-docs.ts cannot document a zod ${def.type} yet`);
  }
}

/** Bounds as one phrase when min and max share a message, else one phrase each. */
function bounds(
  min: CheckDef | undefined,
  max: CheckDef | undefined,
  unit: (n: number) => string,
  minValue: (c: CheckDef) => number,
  maxValue: (c: CheckDef) => number,
): string[] {
  const minMessage = min && messageOf(min);
  const maxMessage = max && messageOf(max);
  if (min && max && minMessage === maxMessage) {
    return [withMessage(`${number(minValue(min))} to ${unit(maxValue(max))}`, minMessage)];
  }
  return [
    ...(min ? [withMessage(`at least ${unit(minValue(min))}`, minMessage)] : []),
    ...(max ? [withMessage(`at most ${unit(maxValue(max))}`, maxMessage)] : []),
  ];
}

function constraintsOf(schema: Schema): string[] {
  const { inner } = unwrap(schema);
  const def = defOf(inner);
  const checks = checksOf(def);
  const find = (name: string) => checks.find((c) => c.check === name);
  const out: string[] = [];
  const minLength = (c: CheckDef) => c.minimum as number;
  const maxLength = (c: CheckDef) => c.maximum as number;
  switch (def.type) {
    case "string":
      out.push(
        ...bounds(
          find("min_length"),
          find("max_length"),
          (n) => `${number(n)} characters`,
          minLength,
          maxLength,
        ),
      );
      break;
    case "number": {
      const min = find("greater_than");
      const max = find("less_than");
      if ((min && min.inclusive !== true) || (max && max.inclusive !== true)) {
        throw new Error("tools/config-docs.ts documents inclusive number bounds only");
      }
      out.push(
        ...bounds(
          min,
          max,
          number,
          (c) => c.value as number,
          (c) => c.value as number,
        ),
      );
      break;
    }
    case "array":
      out.push(
        ...bounds(
          find("min_length"),
          find("max_length"),
          (n) => `${number(n)} item${n === 1 ? "" : "s"}`,
          minLength,
          maxLength,
        ),
      );
      break;
    case "enum":
      out.push(
        `one of ${Object.values(def.entries as Record<string, string | number>)
          .map((v) => code(String(v)))
          .join(", ")}`,
      );
      break;
    case "literal":
      if (def.error) out.push(withMessage("exactly this value", messageOf(def)));
      break;
    case "union":
      if (def.error) out.push(withMessage("one of the forms in Type", messageOf(def)));
      break;
    case "object":
      if (!isStrict(def)) out.push("other keys allowed");
      break;
  }
  for (const check of checks) {
    if (check.check === "string_format") {
      if (check.format !== "regex") {
        throw new Error(
          `tools/config-docs.ts cannot document string format ${String(check.format)}`,
        );
      }
      const pattern = check.pattern as RegExp;
      out.push(withMessage(`pattern ${code(String(pattern))}`, messageOf(check)));
    } else if (check.check === "custom") {
      const message = messageOf(check);
      out.push(
        message !== undefined
          ? `checked: ${plain(message)}`
          : def.type === "object"
            ? "rules across its keys (see [Rules across keys](#rules-across-keys))"
            : def.type === "record"
              ? "keys checked in code (see the description)"
              : "shape checked in code (see the description)",
      );
    } else if (
      !["min_length", "max_length", "greater_than", "less_than", "number_format"].includes(
        check.check,
      )
    ) {
      throw new Error(`tools/config-docs.ts cannot document a ${check.check} check yet`);
    }
  }
  return out;
}

function isStrict(def: Def): boolean {
  const catchall = def.catchall as Schema | undefined;
  return catchall !== undefined && defOf(catchall).type === "never";
}

/** Every key under `schema` (at `at`), depth first in schema order. */
function collectRows(
  schema: Schema,
  at: string,
  required: string,
  mustDescribe: boolean,
): KeyRow[] {
  const info = unwrap(schema);
  const def = defOf(info.inner);
  const row: KeyRow = {
    path: at,
    type: typeName(schema),
    required: info.optional ? "optional" : required,
    default: info.hasDefault ? code(JSON.stringify(info.defaultValue)) : undefined,
    constraints: constraintsOf(schema),
    description: info.description,
    mustDescribe,
  };
  return [row, ...childRows(def, at)];
}

function childRows(def: Def, at: string): KeyRow[] {
  switch (def.type) {
    case "object":
      return propertyRows(def, at, "required");
    case "array": {
      const element = unwrap(def.element as Schema);
      const elementDef = defOf(element.inner);
      if (elementDef.type === "object" || elementDef.type === "union") {
        return childRows(elementDef, `${at}[]`);
      }
      return [
        {
          path: `${at}[]`,
          type: typeName(def.element as Schema),
          required: "each item",
          constraints: constraintsOf(def.element as Schema),
          description: element.description,
          mustDescribe: false,
        },
        ...childRows(elementDef, `${at}[]`),
      ].filter((row) => row.constraints.length > 0 || row.description !== undefined);
    }
    case "record":
      return collectRows(def.valueType as Schema, `${at}.<key>`, "each value", false);
    case "union":
      return (def.options as Schema[]).flatMap((option, i) => {
        const optionDef = defOf(unwrap(option).inner);
        return optionDef.type === "object"
          ? propertyRows(optionDef, at, `required in form ${i + 1}`)
          : childRows(optionDef, at);
      });
    default:
      return [];
  }
}

function propertyRows(def: Def, at: string, required: string): KeyRow[] {
  return Object.entries(def.shape as Record<string, Schema>).flatMap(([key, child]) =>
    collectRows(child, `${at}.${key}`, required, true),
  );
}

function topLevelKeys(): [string, Schema][] {
  return Object.entries(hubConfigSchema.shape as Record<string, Schema>);
}

/** Every key of the schema, top-level keys first in each group, in schema order. */
export function configKeyRows(): KeyRow[] {
  return topLevelKeys().flatMap(([key, schema]) => collectRows(schema, key, "required", true));
}

/** Keys whose meaning nobody wrote down: a new key must come with its `.describe()`. */
export function undescribedKeys(): string[] {
  return configKeyRows()
    .filter((row) => row.mustDescribe && !row.description?.trim())
    .map((row) => row.path);
}

function allObjectsStrict(schema: Schema): boolean {
  const { inner } = unwrap(schema);
  const def = defOf(inner);
  const children: Schema[] =
    def.type === "object"
      ? Object.values(def.shape as Record<string, Schema>)
      : def.type === "array"
        ? [def.element as Schema]
        : def.type === "record"
          ? [def.valueType as Schema]
          : def.type === "union"
            ? (def.options as Schema[])
            : [];
  return (def.type !== "object" || isStrict(def)) && children.every(allObjectsStrict);
}

/**
 * Rules between keys, which the schema's refinements, config/validate.ts (with
 * config/placement.ts) and plan/limits.ts check in code the walker cannot read. Keep this
 * list in step with them.
 */
export const RULES_ACROSS_KEYS: readonly { where: string; rules: readonly string[] }[] = [
  {
    where: "Within one entry (config/schema.ts, config/repository-options.ts)",
    rules: [
      "`access.organizationId` is required when `access.mode` is `organization`.",
      "`tags`: at most 47 tags; keys have 1-128 characters of AWS's tag character set and start neither with `aws:` nor with `registry-hub:`.",
      "`registry.encryption.kmsKeyArn` is in the registry's region.",
      "`registry.scanning`: no `MANUAL` rule; `CONTINUOUS_SCAN` only with type `ENHANCED`; one rule per frequency; one rule has the filter `*`.",
      "`repositories[].lifecycle`: each rule gives exactly one of `tagPattern` and `tagPrefix`, and exactly one of `keepLast` and `expireAfterDays`; a pattern or prefix appears once per repository (protected patterns included); protected patterns, rules and `untaggedExpiryDays` make at most 50 lifecycle rules.",
      "`accounts[].clusters[]`: exactly one of `nodeRoleArn` (adopt an existing cluster) and `create` (a new cluster); `eks` only for adopted clusters; an adopted cluster with a `cache` gives `eks` with `kubernetesVersion`; a cluster with a `cache` runs Kubernetes 1.29 or later.",
      "`accounts[].clusters[].create`: `minSize` <= `desiredSize` <= `maxSize`; `vpcId` and `subnetIds` together or neither; no subnet listed twice.",
      "`accounts[].clusters[].cache`: with metrics enabled, `metrics.port` is neither `port` nor `port` + 1.",
    ],
  },
  {
    where: "Across entries (config/validate.ts, config/placement.ts)",
    rules: [
      "`registry.deployRoleArn`, `registry.previewRoleArn`, `registry.admins[]` and `pushers[].principalArn` are roles of the registry account.",
      "`organization.managementAccountId` is not the registry account; `organization.deployRoleArn` and `organization.previewRoleArn` are roles of the management account.",
      "`accounts[].accountId` is not the registry account; `accounts[].deployRoleArn`, `accounts[].previewRoleArn`, `accounts[].nextDeployRoleArn` and `accounts[].clusters[].nodeRoleArn` are roles of their account.",
      "Unique: pusher names, repository names, account names, account ids, and cluster names across all accounts.",
      "One cluster per role: no two clusters share a node role, or a role the program creates for another cluster's nodes (`registry-hub-<cluster>-nodes`) or cache (`registry-hub-<cluster>-cache`); roles are compared as IAM names them, by account and name whatever the path and case.",
      "One entry per EKS cluster: account, region and EKS name (the cluster's `name` when created, `eks.clusterName` when adopted) differ.",
      "`accounts[].clusters[].eks.oidcIssuer` is in the account's region, on the partition's domain (`.amazonaws.com`, `.amazonaws.com.cn` in China).",
      "`registry.deployRoleArn`, `registry.previewRoleArn`, `registry.admins[]`, `registry.encryption.kmsKeyArn`, `pushers[].principalArn`, `organization.deployRoleArn`, `accounts[].deployRoleArn`, `accounts[].previewRoleArn`, `accounts[].clusters[].nodeRoleArn` and `accounts[].region` are in the partition of `registry.region` (aws, aws-cn, aws-us-gov, ...).",
      "`repositories[].pushers[]` name entries of `pushers`; `repositories[].clusters[]` name clusters under `accounts`.",
    ],
  },
  {
    where: "On the rendered plan (plan/limits.ts)",
    rules: [
      "Once the rest is valid, every rendered policy fits in 10,240 characters: each repository policy (the message names access modes that would fit), and for each role all inline policies this program writes on it together.",
    ],
  },
];

function table(rows: KeyRow[]): string[] {
  const cell = (text: string) => (text === "" ? " " : text);
  return [
    "| Key | Type | Required | Default | Constraints | Description |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (row) =>
        `| ${[
          code(row.path),
          row.type,
          row.required,
          row.default ?? "",
          row.constraints.join("; "),
          plain(row.description ?? ""),
        ]
          .map(cell)
          .join(" | ")} |`,
    ),
  ];
}

/** The whole of docs/config.md: a function of the schema only, so the same schema renders the same bytes. */
export function renderConfigReference(): string {
  const lines: string[] = [
    "<!-- Generated by tools/config-docs.ts from config/schema.ts: do not edit, run `npm run docs`. -->",
    "",
    "# Stack config reference",
    "",
    `Every key the program reads lives under the \`${PROJECT}:\` namespace of \`Pulumi.<stack>.yaml\`; ` +
      "the README shows a sketch of a whole file. One section per top-level key, in " +
      "the order of the schema, lists every key path below it (`[]` is each item of a list, " +
      "`<key>` any key of a map).",
    "",
    "- **Required** is meant within the parent: a required key of an optional object is required " +
      "only when that object is given, and a key that is `required in form N` belongs to the N-th " +
      "form of a key that takes one of several.",
    "- **Default** is what an omitted key means; `{}` stands for an object with its own keys' defaults.",
    "- **Constraints** are checked before any resource is registered; `(else: ...)` is the " +
      "message a value that breaks the rule gets.",
  ];
  if (allObjectsStrict(hubConfigSchema)) {
    lines.push("- Objects accept only the keys listed: any other key is reported (a typo?).");
  }
  for (const [key, schema] of topLevelKeys()) {
    const [top, ...rows] = collectRows(schema, key, "required", true);
    lines.push("", `## ${PROJECT}:${key}`, "");
    if (top.description) lines.push(plain(top.description), "");
    const facts = [
      `**${top.required === "required" ? "Required" : "Optional"}**`,
      `type ${top.type}`,
      ...(top.default ? [`default ${top.default}`] : []),
      ...top.constraints,
    ];
    lines.push(`${facts.join("; ")}.`);
    if (rows.length > 0) lines.push("", ...table(rows));
  }
  lines.push(
    "",
    "## Rules across keys",
    "",
    "The schema checks each value on its own; these rules relate keys to each other. Every " +
      "problem is reported at once, as `registry-hub:<path>: <what is wrong>`.",
  );
  for (const group of RULES_ACROSS_KEYS) {
    lines.push("", `### ${group.where}`, "", ...group.rules.map((rule) => `- ${rule}`));
  }
  return lines.join("\n") + "\n";
}

function main(args: string[]): number {
  const unknown = args.filter((arg) => arg !== "--check");
  if (unknown.length > 0) {
    process.stderr.write(`usage: config-docs [--check]; unknown argument ${unknown[0]}\n`);
    return 2;
  }
  const rendered = renderConfigReference();
  const relative = path.relative(process.cwd(), CONFIG_DOC_PATH);
  if (args.includes("--check")) {
    let current: string | undefined;
    try {
      current = readFileSync(CONFIG_DOC_PATH, "utf8");
    } catch {
      current = undefined;
    }
    if (current !== rendered) {
      process.stderr.write(
        `${relative} is ${current === undefined ? "missing" : "stale"}: run \`npm run docs\`\n`,
      );
      return 1;
    }
    process.stdout.write(`${relative} is up to date\n`);
    return 0;
  }
  writeFileSync(CONFIG_DOC_PATH, rendered);
  process.stdout.write(`wrote ${relative}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
