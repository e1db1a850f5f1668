/**
 * Validation-only sweep over the number of clusters (one process; no mock runtime): how the
 * largest repository policy grows per access mode, and the first cluster count at which the
 * config check refuses roles mode.
 *
 *   node -r ts-node/register/transpile-only bench/sweep.ts '{"repositories":200,"accounts":5,"caches":false}'
 */
import { performance } from "node:perf_hooks";
import { ACCESS_MODES, AccessMode } from "../config/schema";
import { prepare } from "../prepare";
import { POLICY_SIZE_LIMIT, planAccess } from "../plan/access";
import { generateRawConfig } from "./generate";

export interface SweepArgs {
  repositories: number;
  accounts: number;
  caches: boolean;
  clusterCounts?: number[];
}

export interface SweepPoint {
  mode: AccessMode;
  clusters: number;
  ok: boolean;
  largestRepositoryPolicy: number;
  validateMs: number;
  problemCount?: number;
  firstProblem?: string;
}

export interface RolesThreshold {
  /** Most clusters roles mode accepts, and its largest policy then. */
  lastAccepted: number;
  lastAcceptedLargestPolicy: number;
  /** Fewest clusters roles mode refuses, and the largest policy it would have deployed. */
  firstRefused: number;
  firstRefusedLargestPolicy: number;
  refusal: string;
  refusalNamesModesThatFit: boolean;
}

export interface SweepResult {
  args: SweepArgs;
  points: SweepPoint[];
  rolesThreshold?: RolesThreshold;
  /** Every accepted roles-mode point had all policies within the limit. */
  acceptedRolesPoliciesWithinLimit: boolean;
}

/** The largest repository policy `mode` would deploy, whether or not validation accepts it. */
function largestPolicy(
  repositories: number,
  clusters: number,
  accounts: number,
  caches: boolean,
  mode: AccessMode,
) {
  const raw = generateRawConfig({ repositories, clusters, accounts, mode: "organization", caches });
  const prepared = prepare(raw); // organization mode always fits: the model is valid
  if (!prepared.ok) throw new Error(prepared.problems.join("\n"));
  return Math.max(...planAccess(prepared.model, mode).repositories.map((r) => r.policyText.length));
}

function point(args: SweepArgs, clusters: number, mode: AccessMode): SweepPoint {
  const t = performance.now();
  const validation = prepare(generateRawConfig({ ...args, clusters, mode }));
  const validateMs = Math.round((performance.now() - t) * 10) / 10;
  const largestRepositoryPolicy = largestPolicy(
    args.repositories,
    clusters,
    args.accounts,
    args.caches,
    mode,
  );
  return validation.ok
    ? { mode, clusters, ok: true, largestRepositoryPolicy, validateMs }
    : {
        mode,
        clusters,
        ok: false,
        largestRepositoryPolicy,
        validateMs,
        problemCount: validation.problems.length,
        firstProblem: validation.problems[0],
      };
}

export function sweep(args: SweepArgs): SweepResult {
  const counts = args.clusterCounts ?? [5, 10, 20, 50, 100, 150, 200, 300, 500];
  const points = ACCESS_MODES.flatMap((mode) =>
    counts.map((clusters) => point(args, clusters, mode)),
  );
  const accepted = (c: number) => point(args, c, "roles").ok;
  let rolesThreshold: RolesThreshold | undefined;
  const firstRefusedInSweep = points.find((p) => p.mode === "roles" && !p.ok);
  if (firstRefusedInSweep) {
    // Bisect between the last accepted count in the sweep and the first refused one.
    let low = Math.max(
      1,
      ...points
        .filter((p) => p.mode === "roles" && p.ok && p.clusters < firstRefusedInSweep.clusters)
        .map((p) => p.clusters),
    );
    let high = firstRefusedInSweep.clusters;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (accepted(mid)) low = mid;
      else high = mid;
    }
    const last = point(args, low, "roles");
    const first = point(args, high, "roles");
    const refusal = first.firstProblem ?? "";
    rolesThreshold = {
      lastAccepted: low,
      lastAcceptedLargestPolicy: last.largestRepositoryPolicy,
      firstRefused: high,
      firstRefusedLargestPolicy: first.largestRepositoryPolicy,
      refusal,
      refusalNamesModesThatFit: /mode that fits: .*accounts.*organization/.test(refusal),
    };
  }
  const acceptedRolesPoliciesWithinLimit = points
    .filter((p) => p.mode === "roles" && p.ok)
    .every((p) => p.largestRepositoryPolicy <= POLICY_SIZE_LIMIT);
  return { args, points, rolesThreshold, acceptedRolesPoliciesWithinLimit };
}

if (require.main === module) {
  process.stdout.write(
    JSON.stringify(sweep(JSON.parse(process.argv[2] ?? "") as SweepArgs)) + "\n",
  );
}
