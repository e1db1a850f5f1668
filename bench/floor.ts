/**
 * npm run bench:floor [-- --runs 3] [-- --repositories 1000 --clusters 100 --mode accounts]
 *
 * The program against its SDK floor, side by side: one recording run of the program under the
 * mock runtime (bench/case.ts with `recordTo`), then program (bench/case.ts) and floor
 * (bench/floor-case.ts: the recorded registrations made again with the SDK's base classes)
 * alternately, each in a fresh process, `--runs` times each. Prints the medians of time to
 * settled registrations, CPU time and peak RSS, and their ratios; writes bench/floor-results.json.
 */
import { mkdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT } from "../config/schema";
import { CaseArgs, CaseResult } from "./case";
import { ROOT, median, runChild, sideBySideOptions, writeSideBySide } from "./child";
import { FloorCaseArgs, FloorCaseResult } from "./floor-case";

const ACCOUNTS = 5;

export interface Sample {
  settledMs: number;
  cpuMs: number;
  peakRssMiB: number;
  registered: number;
  /** RSS before the timed part (the program: before hub.ts and the provider SDKs are loaded). */
  rssAfterImportsMiB: number;
  loadAverage: number;
}

function medians(samples: Sample[]) {
  return {
    settledMs: median(samples.map((s) => s.settledMs)),
    cpuMs: median(samples.map((s) => s.cpuMs)),
    peakRssMiB: median(samples.map((s) => s.peakRssMiB)),
  };
}

const load = () => Math.round(os.loadavg()[0] * 100) / 100;

async function programRun(args: CaseArgs): Promise<Sample> {
  const loadAverage = load();
  const { json } = await runChild<CaseResult>("bench/case.ts", args);
  if (!json.deploy)
    throw new Error(`the program did not deploy: ${JSON.stringify(json.validation)}`);
  return {
    settledMs: json.deploy.settledMs,
    cpuMs: json.deploy.cpuMs,
    peakRssMiB: json.peakRssMiB,
    registered: json.deploy.registered,
    rssAfterImportsMiB: json.rssAfterImportsMiB,
    loadAverage,
  };
}

async function floorRun(args: FloorCaseArgs): Promise<Sample> {
  const loadAverage = load();
  const { json } = await runChild<FloorCaseResult>("bench/floor-case.ts", args);
  return { ...json, loadAverage };
}

async function main() {
  const { runs, scale, label } = sideBySideOptions(ACCOUNTS, true);
  const started = Date.now();
  const dir = path.join(ROOT, ".tmp", "bench-floor");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${label.replace(/\W+/g, "-")}.json`);
  const caseArgs: CaseArgs = { scale, variant: "base" };

  // The floor is built from the program's own registrations, recorded in a run of their own.
  const recording = await runChild<CaseResult>("bench/case.ts", { ...caseArgs, recordTo: file });
  process.stderr.write(`${label}: recorded ${recording.json.deploy?.registered} registrations\n`);

  const programSamples: Sample[] = [];
  const floorSamples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so a trend in the machine's load hits both alike.
    const order = i % 2 === 0 ? ["program", "floor"] : ["floor", "program"];
    for (const which of order) {
      const sample =
        which === "program"
          ? await programRun(caseArgs)
          : await floorRun({ file, project: PROJECT });
      (which === "program" ? programSamples : floorSamples).push(sample);
      process.stderr.write(
        `  run ${i + 1} ${which.padEnd(7)} ${sample.settledMs} ms, CPU ${sample.cpuMs} ms, ${sample.peakRssMiB} MiB, load ${sample.loadAverage}\n`,
      );
    }
  }
  const p = medians(programSamples);
  const f = medians(floorSamples);
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const ratios = {
    settledMs: ratio(p.settledMs, f.settledMs),
    cpuMs: ratio(p.cpuMs, f.cpuMs),
    peakRssMiB: ratio(p.peakRssMiB, f.peakRssMiB),
  };

  const rows = [
    ["", "time to settled, ms", "CPU, ms", "peak RSS, MiB"],
    ["program", p.settledMs, p.cpuMs, p.peakRssMiB].map(String),
    ["SDK floor", f.settledMs, f.cpuMs, f.peakRssMiB].map(String),
    ["program / floor", ratios.settledMs, ratios.cpuMs, ratios.peakRssMiB].map(String),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(
    `${label}, ${recording.json.deploy?.registered} resources, medians of ${runs} runs each:`,
  );
  for (const r of rows)
    console.log(
      `| ${r.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ")} |`,
    );

  const out = path.join(__dirname, "floor-results.json");
  writeSideBySide(
    out,
    { started, label, runs },
    {
      medians: { program: p, floor: f },
      ratios,
      samples: { program: programSamples, floor: floorSamples },
    },
  );
  console.log(
    `\nwrote ${path.relative(ROOT, out)} in ${Math.round((Date.now() - started) / 1000)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
