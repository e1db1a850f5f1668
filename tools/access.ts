/**
 * npm run access -- --stack prod | --config-file PATH  [--json] [--diff GIT_REF]
 *
 * Validates a stack's config, renders every policy with the program's own code, and prints
 * who can pull and push what according to the offline IAM simulator. With --diff, prints
 * the grants and policy sizes that changed since the same file at GIT_REF.
 *
 * Exit codes: 0 report printed; 2 the command line, the stack file or the config is wrong
 * (every problem on stderr); 1 anything else.
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { display } from "../config/display";
import { StackFileError, rawConfigFromYaml, readStackFile } from "../config/stack-file";
import { RawConfig, formatProblems } from "../config/validate";
import { HubConfig } from "../config/model";
import { AccessPlan } from "../plan/access";
import { prepare } from "../prepare";
import { buildAccessReport, emptyReport, writeReport } from "./access-report";
import { diffReports, formatDiff } from "./access-diff";

const USAGE =
  "usage: npm run access -- (--stack NAME | --config-file PATH) [--json] [--diff GIT_REF]";

/** A mistake the user can fix: printed as it is, exit 2. */
class UserError extends Error {}

/** `label` is already safe to print (see display()). */
function checked(raw: RawConfig, label: string): { model: HubConfig; plan: AccessPlan } {
  const prepared = prepare(raw);
  if (prepared.ok) return prepared;
  throw new UserError(
    `${label}: invalid registry-hub config:\n${formatProblems(prepared.problems)}`,
  );
}

function git(args: string[]) {
  return spawnSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * The commit a --diff argument names. Verified first, so that an argument git would take for
 * an option (--output=FILE) or a ref that does not exist is an error, not an empty base.
 */
function commitOf(ref: string): string {
  const run = git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`]);
  if (run.status !== 0) {
    const why = run.stderr.trim().split("\n")[0];
    throw new UserError(
      `--diff: ${display(ref)} is not a commit in this git repository${why ? ` (${display(why)})` : ""}\n${USAGE}`,
    );
  }
  return run.stdout.trim();
}

/** The file's text at the commit, or undefined when the commit does not have the file. */
function fileAt(commit: string, file: string): string | undefined {
  const run = git(["show", `${commit}:./${file}`]);
  if (run.status === 0) return run.stdout;
  if (/does not exist in|exists on disk, but not in/.test(run.stderr)) return undefined;
  throw new UserError(
    `--diff: cannot read ${display(file)} at ${commit}: ${display(run.stderr.trim().split("\n")[0])}`,
  );
}

function options() {
  try {
    return parseArgs({
      options: {
        stack: { type: "string" },
        "config-file": { type: "string" },
        json: { type: "boolean", default: false },
        diff: { type: "string" },
      },
    }).values;
  } catch (error) {
    // parseArgs names the option; its own wording ends with advice for programmers.
    throw new UserError(`${(error as Error).message.split("\n")[0]}\n${USAGE}`);
  }
}

async function main(): Promise<void> {
  const values = options();
  if (!values.stack === !values["config-file"]) {
    throw new UserError(`give --stack NAME or --config-file PATH, not both or neither\n${USAGE}`);
  }
  const file = values["config-file"] ?? `Pulumi.${values.stack}.yaml`;
  const stack = values.stack ?? file;
  const base = values.diff === undefined ? undefined : commitOf(values.diff);
  const current = checked(readStackFile(file), display(file));
  const report = await buildAccessReport(stack, current.model, current.plan);
  if (base === undefined) {
    await writeReport(process.stdout, report, values.json);
    return;
  }
  const label = `${display(file)} at ${display(values.diff ?? base)}`;
  // A commit without the file: everything the file grants is added.
  const baseText = fileAt(base, file);
  const previous =
    baseText === undefined ? undefined : checked(rawConfigFromYaml(baseText, label), label);
  const baseReport = previous
    ? await buildAccessReport(stack, previous.model, previous.plan)
    : emptyReport(report);
  const diff = diffReports(baseReport, report);
  await write(values.json ? JSON.stringify(diff, null, 2) : formatDiff(diff, label));
}

function write(text: string): Promise<void> {
  return new Promise((resolve) => process.stdout.write(`${text}\n`, () => resolve()));
}

// exitCode, not process.exit(): exiting right after a write to a pipe cuts the output.
main().then(
  () => (process.exitCode = 0),
  (error: unknown) => {
    if (error instanceof UserError) {
      console.error(error.message);
      process.exitCode = 2;
    } else if (error instanceof StackFileError) {
      console.error(error.problems.join("\n"));
      process.exitCode = 2;
    } else {
      console.error(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    }
  },
);
