/**
 * Preloaded into a benchmarked process (`-r ./bench/usage-on-exit.ts`): on exit, writes its CPU
 * time and peak RSS to $BENCH_USAGE_FILE, which only the process itself can measure.
 */
import { writeFileSync } from "node:fs";

export interface Usage {
  cpuMs: number;
  peakRssMiB: number;
}

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    const result: Usage = {
      cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
      peakRssMiB: Math.round(usage.maxRSS / 1024),
    };
    writeFileSync(file, JSON.stringify(result));
  });
}
