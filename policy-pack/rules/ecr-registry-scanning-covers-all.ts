// Rule "ecr-registry-scanning-covers-all". Only types come from @pulumi/policy: see ../policies.ts.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ResourceTypes } from "../helpers/resource-types";

interface ScanningRule {
  scanFrequency?: unknown;
  repositoryFilters?: { filter?: unknown }[];
}

export const ecrRegistryScanningCoversAll: ResourceValidationPolicy = {
  name: "ecr-registry-scanning-covers-all",
  description:
    'A registry scanning configuration scans every repository ("*") on push or continuously: ' +
    "its rules replace each repository's own scan on push.",
  validateResource: (args, reportViolation) => {
    if (args.type !== ResourceTypes.ecrRegistryScanningConfiguration) {
      return;
    }
    const rules = args.props["rules"] as unknown;
    const list: ScanningRule[] = Array.isArray(rules) ? (rules as ScanningRule[]) : [];
    const coversAll = list.some(
      (rule) =>
        (rule.scanFrequency === "SCAN_ON_PUSH" || rule.scanFrequency === "CONTINUOUS_SCAN") &&
        (rule.repositoryFilters ?? []).some((f) => f.filter === "*"),
    );
    if (!coversAll) {
      reportViolation(
        'no rule scans every repository: add a SCAN_ON_PUSH or CONTINUOUS_SCAN rule with the filter "*".',
      );
    }
  },
};
