/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time
 * and the most inclusive time (a sample counts once per function on its stack).
 *
 *   node -r ts-node/register/transpile-only bench/profile.ts FILE.cpuprofile [TOP]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  fn: string;
  selfMs: number;
  totalMs: number;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "~/")
    .replace(/^.*\/work\/main\//, "");
  return `${functionName || "(anonymous)"} ${file ? `${file}:${lineNumber + 1}` : ""}`.trim();
}

export function summarize(profile: CpuProfile): { totalMs: number; functions: FunctionTime[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    totalUs += us;
    const leaf = byId.get(id)!;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = label(byId.get(at)!);
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + us);
    }
  });
  const functions = [...total.keys()].map((fn) => ({
    fn,
    selfMs: Math.round((self.get(fn) ?? 0) / 1000),
    totalMs: Math.round((total.get(fn) ?? 0) / 1000),
  }));
  return { totalMs: Math.round(totalUs / 1000), functions };
}

if (require.main === module) {
  const [file, topText] = process.argv.slice(2);
  const top = Number(topText ?? 25);
  const { totalMs, functions } = summarize(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
  console.log(`profile: ${totalMs} ms sampled`);
  console.log(`\nby self time:`);
  for (const f of [...functions].sort((a, b) => b.selfMs - a.selfMs).slice(0, top))
    console.log(`${String(f.selfMs).padStart(7)} ms  ${f.fn}`);
  console.log(`\nby inclusive time:`);
  for (const f of [...functions].sort((a, b) => b.totalMs - a.totalMs).slice(0, top))
    console.log(`${String(f.totalMs).padStart(7)} ms  ${f.fn}`);
}
