/**
 * npm run bench [-- --quick] [-- --profile]
 *
 * Runs every benchmark case in its own child process (bench/case.ts), one at a time so the
 * timings do not compete for the CPU, prints a table and writes bench/results.json.
 *
 *   --quick     only 10x4 and 200x20, no attribution run; prints the table, writes nothing
 *   --profile   also profile the largest case with --cpu-prof and print its hottest functions
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ACCESS_MODES, AccessMode } from "../config/schema";
import { CaseArgs, CaseResult } from "./case";
import { ROOT, machine, program, runChild } from "./child";
import { Scale, clusterName } from "./generate";
import { CpuProfile, summarize } from "./profile";
import { SweepArgs, SweepResult } from "./sweep";

const ACCOUNTS = 5;

interface ScaleSpec {
  label: string;
  repositories: number;
  clusters: number;
  caches?: boolean;
  /** Validation and policy sizes only: no mock deployment. */
  validateOnly?: boolean;
}

const SCALES: ScaleSpec[] = [
  { label: "10x4", repositories: 10, clusters: 4 },
  { label: "200x20", repositories: 200, clusters: 20 },
  { label: "200x20+caches", repositories: 200, clusters: 20, caches: true },
  { label: "1000x100", repositories: 1000, clusters: 100 },
  { label: "1000x100+caches", repositories: 1000, clusters: 100, caches: true, validateOnly: true },
];

export interface AddClusterDiff {
  /** null when either config was refused. */
  added: number | null;
  removed: number | null;
  changed: number | null;
  changedByType: Record<string, number>;
  /** Every added resource is named after the new cluster (its own resources). */
  addedAreOwn: boolean | null;
  note?: string;
}

export interface Row {
  scale: string;
  mode: AccessMode;
  repositories: number;
  clusters: number;
  caches: boolean;
  status: "deployed" | "validated only" | "refused before deploying";
  refusal?: { problemCount: number; firstProblem: string; namesModesThatFit: boolean };
  validateMs: number;
  planMs: number;
  constructMs?: number;
  settledMs?: number;
  /** CPU time of the mock deployment (wall time above can include waiting for other processes). */
  deployCpuMs?: number;
  /** validate + settled deploy (the program's own work, process start-up excluded). */
  programMs: number;
  /** The child process's wall time, node and ts-node start-up included. */
  processMs: number;
  /** 1-minute load average when the case started: other processes on the machine skew wall times. */
  loadAverage: number;
  peakRssMiB: number;
  registered?: number;
  customResources?: number;
  perRepository?: { max: number; mean: number };
  largestRepositoryPolicy?: number;
  meanRepositoryPolicy?: number;
  largestPullerPolicy?: number;
  rolesFits?: boolean;
  addCluster?: AddClusterDiff;
}

function diff(base: CaseResult, plus: CaseResult): AddClusterDiff {
  if (!base.inputsByUrn || !plus.inputsByUrn) {
    return {
      added: null,
      removed: null,
      changed: null,
      changedByType: {},
      addedAreOwn: null,
      note: !plus.validation.ok ? `N+1 refused: ${plus.validation.firstProblem}` : "base refused",
    };
  }
  const before = base.inputsByUrn;
  const after = plus.inputsByUrn;
  const added = Object.keys(after).filter((urn) => !(urn in before));
  const removed = Object.keys(before).filter((urn) => !(urn in after));
  const changed = Object.keys(after).filter((urn) => urn in before && before[urn] !== after[urn]);
  const changedByType: Record<string, number> = {};
  for (const urn of changed) {
    const type = urn.split("::")[2].split("$").pop() as string;
    changedByType[type] = (changedByType[type] ?? 0) + 1;
  }
  const newCluster = clusterName(base.args.scale.clusters);
  return {
    added: added.length,
    removed: removed.length,
    changed: changed.length,
    changedByType,
    addedAreOwn: added.every((urn) => urn.split("::").slice(3).join("::").includes(newCluster)),
  };
}

function toRow(
  spec: ScaleSpec,
  mode: AccessMode,
  base: CaseResult,
  processMs: number,
  loadAverage: number,
  plus?: CaseResult,
): Row {
  const refused = !base.validation.ok;
  const row: Row = {
    scale: spec.label,
    mode,
    repositories: spec.repositories,
    clusters: spec.clusters,
    caches: spec.caches ?? false,
    status: refused
      ? "refused before deploying"
      : spec.validateOnly
        ? "validated only"
        : "deployed",
    validateMs: base.validateMs,
    planMs: base.planMs,
    constructMs: base.deploy?.constructMs,
    settledMs: base.deploy?.settledMs,
    deployCpuMs: base.deploy?.cpuMs,
    programMs: Math.round(base.validateMs + (base.deploy?.settledMs ?? 0)),
    processMs,
    loadAverage,
    peakRssMiB: base.peakRssMiB,
    registered: base.deploy?.registered,
    customResources: base.deploy?.customResources,
    perRepository: base.deploy?.perRepository,
    largestRepositoryPolicy: base.policies?.largestRepositoryPolicy,
    meanRepositoryPolicy: base.policies?.meanRepositoryPolicy,
    largestPullerPolicy: base.policies?.largestPullerPolicy,
  };
  if (!base.validation.ok) {
    row.refusal = {
      problemCount: base.validation.problemCount,
      firstProblem: base.validation.firstProblem,
      namesModesThatFit: /mode that fits: .*accounts.*organization/.test(
        base.validation.firstProblem,
      ),
    };
  }
  if (mode === "roles") row.rolesFits = base.validation.ok;
  if (plus) row.addCluster = diff(base, plus);
  return row;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

export function formatTable(rows: Row[]): string {
  const header = [
    "scale",
    "mode",
    "status",
    "validate ms",
    "deploy ms",
    "deploy CPU ms",
    "load",
    "peak RSS MiB",
    "resources",
    "per repo max/mean",
    "repo policy max/mean",
    "puller policy max",
    "+1 cluster added/changed",
  ];
  const lines = rows.map((r) => [
    r.scale,
    r.mode,
    r.status,
    r.validateMs.toFixed(0),
    r.settledMs === undefined ? "-" : r.settledMs.toFixed(0),
    r.deployCpuMs === undefined ? "-" : r.deployCpuMs.toFixed(0),
    r.loadAverage.toFixed(1),
    r.peakRssMiB.toFixed(0),
    r.registered === undefined ? "-" : String(r.registered),
    r.perRepository ? `${r.perRepository.max} / ${r.perRepository.mean}` : "-",
    r.largestRepositoryPolicy === undefined
      ? "-"
      : `${r.largestRepositoryPolicy} / ${r.meanRepositoryPolicy}${r.status === "refused before deploying" ? " (would be)" : ""}`,
    r.largestPullerPolicy === undefined ? "-" : String(r.largestPullerPolicy),
    !r.addCluster
      ? "-"
      : r.addCluster.added === null
        ? "N+1 refused"
        : `${r.addCluster.added} / ${r.addCluster.changed}${r.addCluster.addedAreOwn ? "" : " (not own!)"}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const numeric = new Set([3, 4, 5, 6, 7, 8]);
  const render = (cells: string[]) =>
    `| ${cells.map((c, i) => pad(c, widths[i], numeric.has(i))).join(" | ")} |`;
  return [
    render(header),
    `|${widths.map((w, i) => (numeric.has(i) ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|")}|`,
    ...lines.map(render),
  ].join("\n");
}

async function main() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
    },
  });
  const started = Date.now();
  const scales = values.quick ? SCALES.filter((s) => s.repositories <= 200 && !s.caches) : SCALES;
  const rows: Row[] = [];
  for (const spec of scales) {
    for (const mode of ACCESS_MODES) {
      const scale: Scale = {
        repositories: spec.repositories,
        clusters: spec.clusters,
        accounts: ACCOUNTS,
        mode,
        caches: spec.caches,
      };
      const baseArgs: CaseArgs = { scale, variant: "base", validateOnly: spec.validateOnly };
      const loadAverage = Math.round(os.loadavg()[0] * 100) / 100;
      const base = await runChild<CaseResult>("bench/case.ts", baseArgs);
      const plus = spec.validateOnly
        ? undefined
        : (await runChild<CaseResult>("bench/case.ts", { ...baseArgs, variant: "plus-one" })).json;
      const row = toRow(spec, mode, base.json, base.wallMs, loadAverage, plus);
      rows.push(row);
      process.stderr.write(
        `${spec.label} ${mode}: ${row.status}, ${row.programMs} ms, ${row.peakRssMiB} MiB\n`,
      );
    }
  }

  // Attribution: the same largest case with V8's plain stack-trace formatting instead of
  // source-map-support's (which ts-node and `pulumi` itself install), see docs/benchmarks.md.
  let plainStackTraces:
    { programMs: number; constructMs: number; settledMs: number; peakRssMiB: number } | undefined;
  if (!values.quick) {
    const { json: r } = await runChild<CaseResult>("bench/case-plain-stacks.ts", {
      scale: { repositories: 1000, clusters: 100, accounts: ACCOUNTS, mode: "accounts" },
      variant: "base",
    } satisfies CaseArgs);
    plainStackTraces = {
      programMs: Math.round(r.validateMs + (r.deploy?.settledMs ?? 0)),
      constructMs: r.deploy?.constructMs ?? 0,
      settledMs: r.deploy?.settledMs ?? 0,
      peakRssMiB: r.peakRssMiB,
    };
  }

  const sweeps: SweepResult[] = [];
  for (const caches of [false, true]) {
    const args: SweepArgs = { repositories: 200, accounts: ACCOUNTS, caches };
    sweeps.push((await runChild<SweepResult>("bench/sweep.ts", args)).json);
  }

  let profile:
    | {
        case: string;
        totalMs: number;
        phases: Record<string, number>;
        top: { fn: string; selfMs: number; totalMs: number }[];
      }
    | undefined;
  if (values.profile) {
    const dir = path.join(ROOT, ".tmp", "bench-profile");
    mkdirSync(dir, { recursive: true });
    const args: CaseArgs = {
      scale: { repositories: 1000, clusters: 100, accounts: ACCOUNTS, mode: "accounts" },
      variant: "base",
    };
    await runChild<CaseResult>("bench/case.ts", args, ["--cpu-prof", "--cpu-prof-dir", dir]);
    const file = readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .sort()
      .pop()!;
    const summary = summarize(JSON.parse(readFileSync(path.join(dir, file), "utf8")) as CpuProfile);
    // Inclusive time of the functions that split the work into phases.
    const inclusive = (prefix: string) =>
      Math.max(
        0,
        ...summary.functions.filter((f) => f.fn.startsWith(prefix)).map((f) => f.totalMs),
      );
    const phases = Object.fromEntries(
      [
        ["validateConfig (schema, cross-references, plan, size check)", "validateConfig config/"],
        ["planAccess (every call)", "planAccess plan/"],
        ["deployHub (synchronous: plan and resource constructors)", "deployHub hub.ts"],
        ["CentralRegistry constructor", "CentralRegistry components/"],
        ["SDK registerResource", "registerResource ~/@pulumi/pulumi/runtime/resource.js"],
        [
          "SDK debuggablePromise (captures new Error().stack)",
          "debuggablePromise ~/@pulumi/pulumi",
        ],
        [
          "source-map-support prepareStackTrace",
          "prepareStackTrace ~/@cspotcode/source-map-support",
        ],
        ["module loading (require, ts-node compile)", "Module._load"],
        ["garbage collector", "(garbage collector)"],
      ].map(([label, prefix]) => [label, inclusive(prefix)]),
    );
    profile = {
      case: "1000x100 accounts",
      totalMs: summary.totalMs,
      phases,
      top: [...summary.functions].sort((a, b) => b.totalMs - a.totalMs).slice(0, 30),
    };
  }

  const results = {
    generatedAt: new Date().toISOString(),
    benchWallMs: Date.now() - started,
    machine: machine(),
    program: program(),
    accountsPerConfig: ACCOUNTS,
    rows,
    plainStackTraces,
    sweeps,
    profile,
  };
  const table = formatTable(rows);
  console.log(table);
  for (const r of rows.filter((row) => row.refusal)) {
    console.log(
      `\n${r.scale} ${r.mode}: refused before deploying (${r.refusal!.problemCount} problems), first: ${r.refusal!.firstProblem}`,
    );
  }
  for (const r of rows.filter((row) => row.addCluster?.note))
    console.log(`\n${r.scale} ${r.mode} +1 cluster: ${r.addCluster!.note}`);
  for (const s of sweeps) {
    const t = s.rolesThreshold;
    console.log(
      `\nroles mode, ${s.args.repositories} repositories${s.args.caches ? ", every cluster with a cache" : ""}: ` +
        (t
          ? `accepted up to ${t.lastAccepted} clusters (largest policy ${t.lastAcceptedLargestPolicy}), refused from ${t.firstRefused} (would be ${t.firstRefusedLargestPolicy}): ${t.refusal}`
          : "never refused in the sweep"),
    );
  }
  if (plainStackTraces)
    console.log(
      `\n1000x100 accounts with plain V8 stack traces: ${JSON.stringify(plainStackTraces)}`,
    );
  if (profile) {
    console.log(
      `\nprofile of ${profile.case} (${profile.totalMs} ms sampled), phases (inclusive, overlapping):`,
    );
    for (const [label, ms] of Object.entries(profile.phases))
      console.log(`${String(ms).padStart(7)} ms  ${label}`);
    console.log(`\nhottest functions by inclusive time:`);
    for (const f of profile.top) console.log(`${String(f.totalMs).padStart(7)} ms  ${f.fn}`);
  }
  if (values.quick) {
    console.log(
      `\nquick run in ${Math.round((Date.now() - started) / 1000)} s (bench/results.json not written)`,
    );
    return;
  }
  const out = path.join(__dirname, "results.json");
  writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
  console.log(
    `\nwrote ${path.relative(ROOT, out)} in ${Math.round((Date.now() - started) / 1000)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
