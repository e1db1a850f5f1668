/**
 * npm run bench:access [-- --repositories N --clusters N]
 *
 * Times `npm run access -- --config-file FILE` (the text matrix) on a generated stack of
 * 5,000 repositories and 1,000 clusters in each access mode, one child process at a time:
 * wall time, CPU time, peak RSS, output size, and the simulator's share of the CPU profile.
 * Prints a Markdown table and writes bench/access-results.json.
 */
import { spawn } from "node:child_process";
import {
  createWriteStream,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { ACCESS_MODES, AccessMode } from "../config/schema";
import { RawConfig } from "../config/validate";
import { generateRawConfig } from "./generate";
import { CpuProfile } from "./profile";
import { Usage } from "./usage-on-exit";

const ROOT = path.resolve(__dirname, "..");
const SIMULATOR = "/@cloud-copilot/iam-simulate/";
/**
 * generate.ts restricts every 20th repository to two clusters; at 5,000 repositories each node
 * role would then deny 250 repositories by ARN, 17,761 characters, over IAM's inline-policy
 * limit in every mode. Restrictions stay on the first 2,000 repositories only (100 of them).
 */
const RESTRICTED_PREFIX = 2_000;

interface Result {
  mode: AccessMode;
  repositories: number;
  clusters: number;
  exitCode: number | null;
  wallMs: number;
  cpuMs: number;
  peakRssMiB: number;
  outputBytes: number;
  firstStderrLine: string;
  profiledMs: number;
  simulatorMs: number;
}

function stackFile(raw: RawConfig): string {
  return stringify({
    config: Object.fromEntries(Object.entries(raw).map(([k, v]) => [`registry-hub:${k}`, v])),
  });
}

function benchConfig(mode: AccessMode, repositories: number, clusters: number): RawConfig {
  const raw = generateRawConfig({ repositories, clusters, accounts: 5, mode });
  (raw.repositories as { clusters?: string[] }[])
    .slice(RESTRICTED_PREFIX)
    .forEach((r) => delete r.clusters);
  return raw;
}

/** CPU time in samples with a simulator frame anywhere on the stack, and in all samples. */
function simulatorShare(profile: CpuProfile): { totalMs: number; simulatorMs: number } {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const url = new Map(profile.nodes.map((n) => [n.id, n.callFrame.url]));
  const inSimulator = new Map<number, boolean>();
  const isIn = (id: number): boolean => {
    const known = inSimulator.get(id);
    if (known !== undefined) return known;
    const up = parent.get(id);
    const result = (url.get(id) ?? "").includes(SIMULATOR) || (up !== undefined && isIn(up));
    inSimulator.set(id, result);
    return result;
  };
  let totalUs = 0;
  let simulatorUs = 0;
  profile.samples.forEach((id, i) => {
    totalUs += profile.timeDeltas[i];
    if (isIn(id)) simulatorUs += profile.timeDeltas[i];
  });
  return { totalMs: Math.round(totalUs / 1000), simulatorMs: Math.round(simulatorUs / 1000) };
}

async function runCase(
  dir: string,
  mode: AccessMode,
  repositories: number,
  clusters: number,
): Promise<Result> {
  const file = path.join(dir, `Pulumi.${mode}.yaml`);
  writeFileSync(file, stackFile(benchConfig(mode, repositories, clusters)));
  const profiles = path.join(dir, `profile-${mode}`);
  const usageFile = path.join(dir, `usage-${mode}.json`);
  const outputFile = path.join(dir, `output-${mode}.txt`);
  const started = Date.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          "--cpu-prof",
          `--cpu-prof-dir=${profiles}`,
          "-r",
          "ts-node/register/transpile-only",
          "-r",
          "./bench/usage-on-exit.ts",
          "tools/access.ts",
          "--config-file",
          file,
        ],
        {
          cwd: ROOT,
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, BENCH_USAGE_FILE: usageFile },
        },
      );
      child.stdout.pipe(createWriteStream(outputFile));
      let err = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d.slice(0, 10_000)));
      child.on("error", reject);
      child.on("close", (exit) => resolve({ code: exit, stderr: err }));
    },
  );
  const wallMs = Date.now() - started;
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as Usage;
  const [profileName] = readdirSync(profiles);
  const share = simulatorShare(
    JSON.parse(readFileSync(path.join(profiles, profileName), "utf8")) as CpuProfile,
  );
  return {
    mode,
    repositories,
    clusters,
    exitCode: code,
    wallMs,
    cpuMs: usage.cpuMs,
    peakRssMiB: usage.peakRssMiB,
    outputBytes: statSync(outputFile).size,
    firstStderrLine: stderr.split("\n").slice(0, 2).join(" / "),
    profiledMs: share.totalMs,
    simulatorMs: share.simulatorMs,
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      repositories: { type: "string", default: "5000" },
      clusters: { type: "string", default: "1000" },
    },
  });
  const repositories = Number(values.repositories);
  const clusters = Number(values.clusters);
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-access-"));
  const results: Result[] = [];
  try {
    for (const mode of ACCESS_MODES) {
      results.push(await runCase(dir, mode, repositories, clusters));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    "| mode | exit | wall ms | CPU ms | simulator ms (share of profile) | peak RSS MiB | output MiB |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const r of results) {
    const share = r.profiledMs > 0 ? Math.round((100 * r.simulatorMs) / r.profiledMs) : 0;
    console.log(
      `| ${r.mode} | ${r.exitCode} | ${r.wallMs} | ${r.cpuMs} | ${r.simulatorMs} (${share}%) | ${r.peakRssMiB} | ${mib(r.outputBytes)} |`,
    );
  }
  writeFileSync(
    path.join(__dirname, "access-results.json"),
    `${JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        loadAverage: os.loadavg()[0],
        results,
      },
      null,
      2,
    )}\n`,
  );
}

void main();
