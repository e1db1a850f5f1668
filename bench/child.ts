/** Runs a bench script in its own `node -r ts-node/register/transpile-only` process. */
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ACCESS_MODES, AccessMode } from "../config/schema";
import { Scale } from "./generate";

export const ROOT = path.resolve(__dirname, "..");
const CHILD_TIMEOUT_MS = 180_000;

/** Runs `script` with `args` as JSON and parses the last line of its stdout. */
export function runChild<T>(
  script: string,
  args: unknown,
  nodeFlags: string[] = [],
): Promise<{ json: T; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [
        ...nodeFlags,
        "-r",
        "ts-node/register/transpile-only",
        path.join(ROOT, script),
        JSON.stringify(args),
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const wallMs = Date.now() - started;
      if (code !== 0) {
        reject(
          new Error(
            `${script} ${JSON.stringify(args)} exited ${code ?? signal}:\n${Buffer.concat(err).toString()}`,
          ),
        );
        return;
      }
      const lines = Buffer.concat(out).toString().trim().split("\n");
      resolve({ json: JSON.parse(lines[lines.length - 1]) as T, wallMs });
    });
  });
}

/** What was measured: the commit, and program files that differed from it at the time. */
export function program() {
  // trimEnd only: porcelain lines start with a status column that may be a space.
  const git = (args: string[]) =>
    execFileSync("git", args, { cwd: ROOT, encoding: "utf8" }).trimEnd();
  try {
    const dirty = git([
      "status",
      "--porcelain",
      "--",
      ":(glob)*.ts",
      "config",
      "plan",
      "policies",
      "components",
      "cache",
    ])
      .split("\n")
      .filter((line) => line);
    return {
      commit: git(["rev-parse", "HEAD"]),
      uncommittedProgramFiles: dirty.map((line) => line.slice(3)),
    };
  } catch {
    return undefined;
  }
}

export function machine() {
  const sh = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8" }).trim();
    } catch {
      return undefined;
    }
  };
  return {
    nproc: Number(sh("nproc", [])) || os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model,
    memTotalGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    free: sh("free", ["-h"]),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** What a side-by-side benchmark writes: the machine, the program, the medians, the samples. */
export function writeSideBySide(
  file: string,
  run: { started: number; label: string; runs: number },
  results: { medians: object; ratios: object; samples: object },
): void {
  const record = {
    generatedAt: new Date().toISOString(),
    benchWallMs: Date.now() - run.started,
    machine: machine(),
    program: program(),
    case: run.label,
    runs: run.runs,
    ...results,
  };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
}

/** The command line of a side-by-side benchmark: runs and the generated stack's scale. */
export function sideBySideOptions(accounts: number, withCaches: boolean) {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "3" },
      repositories: { type: "string", default: "1000" },
      clusters: { type: "string", default: "100" },
      mode: { type: "string", default: "accounts" },
      ...(withCaches && { caches: { type: "boolean" as const, default: false } }),
    },
  });
  const mode = values.mode as AccessMode;
  if (!ACCESS_MODES.includes(mode)) throw new Error(`--mode: one of ${ACCESS_MODES.join(", ")}`);
  const scale: Scale = {
    repositories: Number(values.repositories),
    clusters: Number(values.clusters),
    accounts,
    mode,
    caches: values.caches === true,
  };
  const label = `${scale.repositories}x${scale.clusters}${scale.caches ? "+caches" : ""} ${mode}`;
  return { runs: Number(values.runs), scale, label };
}
