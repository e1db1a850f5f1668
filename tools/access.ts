/**
 * npm run access -- --stack prod | --config-file PATH  [--json] [--diff GIT_REF]
 *
 * Validates a stack's config, renders every policy with the program's own code, and prints
 * who can pull and push what according to the offline IAM simulator. With --diff, prints
 * the grants and policy sizes that changed since the same file at GIT_REF.
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { rawConfigFromYaml, readStackFile } from "../config/stack-file";
import { RawConfig, formatProblems, validateConfig } from "../config/validate";
import { HubConfig } from "../config/model";
import { buildAccessReport, formatReport } from "./access-report";
import { diffReports, formatDiff } from "./access-diff";

const USAGE =
  "usage: npm run access -- (--stack NAME | --config-file PATH) [--json] [--diff GIT_REF]";

function checked(raw: RawConfig, label: string): HubConfig | undefined {
  const validation = validateConfig(raw);
  if (validation.ok) return validation.config;
  console.error(`${label}: invalid registry-hub config:\n${formatProblems(validation.problems)}`);
  return undefined;
}

function fileAt(ref: string, file: string): string {
  return execFileSync("git", ["show", `${ref}:./${file}`], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string" },
      "config-file": { type: "string" },
      json: { type: "boolean", default: false },
      diff: { type: "string" },
    },
  });
  if (!values.stack === !values["config-file"]) {
    console.error(USAGE);
    return 2;
  }
  const file = values["config-file"] ?? `Pulumi.${values.stack}.yaml`;
  const stack = values.stack ?? file;
  const config = checked(readStackFile(file), file);
  if (!config) return 2;
  const report = await buildAccessReport(stack, config);
  if (values.diff === undefined) {
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  }
  let baseText: string;
  try {
    baseText = fileAt(values.diff, file);
  } catch {
    // The file is new at this ref: everything it grants is added.
    baseText = "";
  }
  const baseConfig = baseText
    ? checked(rawConfigFromYaml(baseText), `${file} at ${values.diff}`)
    : undefined;
  if (baseText && !baseConfig) return 2;
  const base = baseConfig
    ? await buildAccessReport(stack, baseConfig)
    : { ...report, principals: [], repositories: [], identityPolicies: [], decisions: [] };
  const diff = diffReports(base, report);
  console.log(
    values.json ? JSON.stringify(diff, null, 2) : formatDiff(diff, `${file} at ${values.diff}`),
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
