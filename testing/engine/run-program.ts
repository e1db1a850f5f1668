/**
 * One engine operation on one stack, in a process of its own (the program registers its resources
 * at import, once per process): the Automation API runs the program inline, so the Node.js
 * runtime is this process, and drives the real Pulumi CLI (.tools/bin/pulumi) for the engine.
 * No Node.js language host is needed: its Go module has no version the module proxy serves.
 *
 *   node run-program.js <preview|up|export> --stack NAME [--program FILE] [--policy-pack DIR]
 *
 * Run in the project folder (Pulumi.yaml, Pulumi.<stack>.yaml); the environment gives the
 * backend (PULUMI_BACKEND_URL), PULUMI_HOME and the passphrase. The result goes to the file
 * $ENGINE_RESULT as JSON: { ok, summary, outputs, stdout, stderr, deployment }.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";

const ROOT = path.resolve(__dirname, "..", "..");

interface Options {
  op: string;
  stack: string;
  program: string;
  policyPacks: string[];
}

function parse(argv: string[]): Options {
  const options: Options = {
    op: argv[0],
    stack: "",
    program: path.join(ROOT, "index.ts"),
    policyPacks: [],
  };
  for (let i = 1; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--stack") options.stack = value;
    else if (flag === "--program") options.program = path.resolve(value);
    else if (flag === "--policy-pack") options.policyPacks.push(path.resolve(value));
    else throw new Error(`run-program: unknown option ${flag}`);
  }
  if (!options.stack) throw new Error("run-program: --stack NAME is required");
  return options;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const resultFile = process.env.ENGINE_RESULT;
  if (!resultFile) throw new Error("run-program: ENGINE_RESULT names no file");
  const pulumiCommand = await PulumiCommand.get({ root: path.join(ROOT, ".tools") });
  const stack = await LocalWorkspace.createOrSelectStack(
    {
      stackName: options.stack,
      projectName: "registry-hub",
      program: async () => ({ ...(await import(options.program)) }) as Record<string, unknown>,
    },
    { workDir: process.cwd(), pulumiCommand, secretsProvider: "passphrase" },
  );
  const result: Record<string, unknown> = { ok: true };
  try {
    if (options.op === "preview") {
      const preview = await stack.preview({ policyPacks: options.policyPacks, diff: true });
      Object.assign(result, {
        summary: preview.changeSummary,
        stdout: preview.stdout,
        stderr: preview.stderr,
      });
    } else if (options.op === "up") {
      const up = await stack.up({ policyPacks: options.policyPacks });
      Object.assign(result, {
        summary: up.summary.resourceChanges,
        outputs: Object.fromEntries(Object.entries(up.outputs).map(([k, v]) => [k, v.value])),
        stdout: up.stdout,
        stderr: up.stderr,
      });
    } else if (options.op !== "export") {
      throw new Error(`run-program: unknown operation ${options.op}`);
    }
    result.deployment = (await stack.exportStack()).deployment;
  } catch (error) {
    const e = error as { message?: string; commandResult?: { stdout: string; stderr: string } };
    Object.assign(result, {
      ok: false,
      message: e.message,
      stdout: e.commandResult?.stdout,
      stderr: e.commandResult?.stderr,
    });
    result.deployment = (await stack.exportStack()).deployment;
  }
  fs.writeFileSync(resultFile, JSON.stringify(result));
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exit(1);
});
