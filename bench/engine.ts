/**
 * npm run bench:engine [-- --runs 3 --repositories 1000 --clusters 100 --mode accounts]
 *
 * `pulumi preview` under the real engine (.tools/bin/pulumi) with the stand-in plugins: the
 * program against a floor program (bench/engine-floor.ts) that registers the same resources
 * through the same plugins and computes nothing. The floor's resources are recorded from one
 * `pulumi up` of the program. Then program and floor previews alternate, each in a fresh
 * project with empty state, `--runs` times each. Measured for the whole command: wall time, and
 * peak RSS summed over the process tree (the Node.js program, the CLI, every plugin), sampled
 * every 100 ms from /proc. Prints medians and ratios; writes bench/engine-results.json.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { PROJECT } from "../config/schema";
import { EngineWorkspace, ROOT } from "../testing/engine/workspace";
import { generateRawConfig } from "./generate";
import { median, sideBySideOptions, writeSideBySide } from "./child";

const ACCOUNTS = 5;
const PAGE_KIB = 4;
const BENCH_TIMEOUT_MS = 30 * 60_000;

/** Resident memory of a process and all its descendants, in MiB. */
function treeRssMiB(root: number): number {
  const parents = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry), Number(fields[1]));
      rss.set(Number(entry), Number(fields[21]) * PAGE_KIB);
    } catch {
      // The process ended while we looked.
    }
  }
  let total = 0;
  for (const [pid, kib] of rss) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parents.get(p)) {
      if (p === root) {
        total += kib;
        break;
      }
    }
  }
  return total / 1024;
}

interface Sample {
  wallMs: number;
  peakRssMiB: number;
  resources: number;
  loadAverage: number;
}

async function previewOnce(
  stackFile: string,
  programFile?: string,
  env?: NodeJS.ProcessEnv,
): Promise<Sample> {
  const workspace = EngineWorkspace.create("bench", stackFile);
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  const loadAverage = Math.round(os.loadavg()[0] * 100) / 100;
  const started = Date.now();
  try {
    const result = await workspace.run("preview", {
      program: programFile,
      env,
      timeoutMs: BENCH_TIMEOUT_MS,
      onSpawn: (pid) => {
        timer = setInterval(() => (peak = Math.max(peak, treeRssMiB(pid))), 100);
      },
    });
    const wallMs = Date.now() - started;
    if (!result.ok) throw new Error(`preview failed: ${result.message}\n${result.stderr ?? ""}`);
    return {
      wallMs,
      peakRssMiB: Math.round(peak),
      resources: result.summary?.create ?? 0,
      loadAverage,
    };
  } finally {
    if (timer) clearInterval(timer);
    workspace.dispose();
  }
}

async function main() {
  const { runs, scale, label } = sideBySideOptions(ACCOUNTS, false);
  const started = Date.now();
  const raw = generateRawConfig(scale);
  const stackFile = stringify({
    config: {
      "aws:region": "us-east-1",
      "pulumi:disable-default-providers": ["aws", "kubernetes", "eks", "random"],
      ...Object.fromEntries(
        Object.entries(raw).map(([key, value]) => [`${PROJECT}:${key}`, value]),
      ),
    },
  });

  // The floor's resources: what one `up` of the program leaves in the engine's state.
  const recorder = EngineWorkspace.create("bench", stackFile);
  const recordingFile = path.join(
    recorder.dir,
    "..",
    `registry-hub-engine-floor-${process.pid}.json`,
  );
  try {
    // The file backend writes the whole state after every step; the recording needs only the end.
    const up = await recorder.run("up", {
      timeoutMs: BENCH_TIMEOUT_MS,
      env: { PULUMI_SKIP_CHECKPOINTS: "true" },
    });
    if (!up.ok) throw new Error(`up failed: ${up.message}\n${up.stderr ?? ""}`);
    writeFileSync(recordingFile, JSON.stringify(up.deployment?.resources ?? []));
    process.stderr.write(`${label}: recorded ${up.deployment?.resources?.length} resources\n`);
  } finally {
    recorder.dispose();
  }

  const floorProgram = path.join(__dirname, "engine-floor.ts");
  const samples: Record<"program" | "floor", Sample[]> = { program: [], floor: [] };
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so a trend in the machine's load hits both alike.
    for (const which of i % 2 === 0
      ? (["program", "floor"] as const)
      : (["floor", "program"] as const)) {
      const sample =
        which === "program"
          ? await previewOnce(stackFile)
          : await previewOnce(stackFile, floorProgram, { ENGINE_FLOOR_RECORDING: recordingFile });
      samples[which].push(sample);
      process.stderr.write(
        `  run ${i + 1} ${which.padEnd(7)} ${sample.wallMs} ms, ${sample.peakRssMiB} MiB, ${sample.resources} to create, load ${sample.loadAverage}\n`,
      );
    }
  }
  const medians = (list: Sample[]) => ({
    wallMs: median(list.map((s) => s.wallMs)),
    peakRssMiB: median(list.map((s) => s.peakRssMiB)),
  });
  const p = medians(samples.program);
  const f = medians(samples.floor);
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const ratios = {
    wallMs: ratio(p.wallMs, f.wallMs),
    peakRssMiB: ratio(p.peakRssMiB, f.peakRssMiB),
  };
  console.log(`${label}, pulumi preview, medians of ${runs} runs each:`);
  console.log(`| | wall, ms | peak RSS of the tree, MiB |`);
  console.log(`| program | ${p.wallMs} | ${p.peakRssMiB} |`);
  console.log(`| floor | ${f.wallMs} | ${f.peakRssMiB} |`);
  console.log(`| program / floor | ${ratios.wallMs} | ${ratios.peakRssMiB} |`);
  const out = path.join(__dirname, "engine-results.json");
  writeSideBySide(
    out,
    { started, label, runs },
    { medians: { program: p, floor: f }, ratios, samples },
  );
  console.log(
    `\nwrote ${path.relative(ROOT, out)} in ${Math.round((Date.now() - started) / 1000)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
