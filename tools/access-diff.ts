/** What a config change does to access: grants added and removed, policy sizes that moved. */
import { POLICY_SIZE_LIMIT } from "../plan/access";
import { AccessReport, Capability, capabilityMatrix } from "./access-report";

export interface Grant {
  principal: string;
  repository: string;
  capability: Capability;
}

export interface AccessDiff {
  added: Grant[];
  removed: Grant[];
  policySizes: { repository: string; before?: number; after?: number }[];
  modeChange?: { before: string; after: string };
}

function grants(report: AccessReport): Map<string, Grant> {
  const result = new Map<string, Grant>();
  const can = capabilityMatrix(report);
  for (const [p, { arn }] of report.principals.entries()) {
    for (const [r, { name }] of report.repositories.entries()) {
      for (const capability of can(p, r)) {
        result.set(`${arn} ${name} ${capability}`, {
          principal: arn,
          repository: name,
          capability,
        });
      }
    }
  }
  return result;
}

export function diffReports(before: AccessReport, after: AccessReport): AccessDiff {
  const old = grants(before);
  const next = grants(after);
  const sizeBefore = new Map(before.repositories.map((r) => [r.name, r.policyChars]));
  const sizeAfter = new Map(after.repositories.map((r) => [r.name, r.policyChars]));
  const names = [...new Set([...sizeBefore.keys(), ...sizeAfter.keys()])].sort();
  return {
    added: [...next].filter(([key]) => !old.has(key)).map(([, grant]) => grant),
    removed: [...old].filter(([key]) => !next.has(key)).map(([, grant]) => grant),
    policySizes: names
      .map((repository) => ({
        repository,
        before: sizeBefore.get(repository),
        after: sizeAfter.get(repository),
      }))
      .filter((s) => s.before !== s.after),
    modeChange:
      before.accessMode === after.accessMode
        ? undefined
        : { before: before.accessMode, after: after.accessMode },
  };
}

export function formatDiff(diff: AccessDiff, baseLabel: string): string {
  const grant = (sign: string, g: Grant) =>
    `  ${sign} ${g.capability.padEnd(4)} ${g.repository}  ${g.principal}`;
  const size = (n?: number) => (n === undefined ? "(none)" : String(n));
  const lines = [`Access changes against ${baseLabel}:`];
  if (diff.modeChange)
    lines.push(`  access mode: ${diff.modeChange.before} -> ${diff.modeChange.after}`);
  lines.push(...diff.added.map((g) => grant("+", g)), ...diff.removed.map((g) => grant("-", g)));
  if (diff.added.length + diff.removed.length === 0) lines.push("  no grant added or removed");
  if (diff.policySizes.length > 0) {
    lines.push(`Repository policy sizes (characters, limit ${POLICY_SIZE_LIMIT}):`);
    lines.push(
      ...diff.policySizes.map((s) => `  ${s.repository}: ${size(s.before)} -> ${size(s.after)}`),
    );
  }
  return lines.join("\n");
}
