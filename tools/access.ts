/**
 * npm run access -- --stack prod | --config-file PATH  [--json]
 *
 * Validates a stack's config, renders every policy with the program's own code, and prints
 * who can pull and push what according to the offline IAM simulator.
 */
import { parseArgs } from "node:util";
import { readStackFile } from "../config/stack-file";
import { validateConfig } from "../config/validate";
import { buildAccessReport, formatReport } from "./access-report";

const USAGE = "usage: npm run access -- (--stack NAME | --config-file PATH) [--json]";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { stack: { type: "string" }, "config-file": { type: "string" }, json: { type: "boolean", default: false } },
  });
  if (!values.stack === !values["config-file"]) {
    console.error(USAGE);
    return 2;
  }
  const file = values["config-file"] ?? `Pulumi.${values.stack}.yaml`;
  const stack = values.stack ?? file;
  const validation = validateConfig(readStackFile(file));
  if (!validation.ok) {
    console.error(`${file}: invalid registry-hub config:\n${validation.problems.map((p) => `  ${p}`).join("\n")}`);
    return 2;
  }
  const report = await buildAccessReport(stack, validation.config);
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
