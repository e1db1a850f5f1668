// Stack rules about S3 buckets: finding the resources (public access block, policy, encryption)
// that configure each bucket.
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { BUCKET_TYPES } from "./resource-types";
import { known, UNKNOWN } from "./unknown-values";

/** Whether `related` (a bucket's public access block, policy, ...) configures `bucket`. */
export function targetsBucket(related: PolicyResource, bucket: PolicyResource): boolean {
  const viaProperty = related.propertyDependencies?.["bucket"] ?? [];
  if (viaProperty.some((d) => d.urn === bucket.urn)) {
    return true;
  }
  const name = known(() => related.props["bucket"] as unknown);
  if (name === UNKNOWN) {
    return (related.dependencies ?? []).some((d) => d.urn === bucket.urn);
  }
  if (typeof name !== "string") {
    return false;
  }
  const bucketName = known(() => bucket.props["bucket"] as unknown);
  const bucketId = known(() => bucket.props["id"] as unknown);
  return name === bucketName || name === bucketId;
}

export function bucketLabel(bucket: PolicyResource): string {
  const name = known(() => bucket.props["bucket"] as unknown);
  return typeof name === "string" ? `bucket "${bucket.name}" (${name})` : `bucket "${bucket.name}"`;
}

/** Runs `check` for every bucket with the resources of `relatedTypes` that configure it. */
export function forEachBucket(
  relatedTypes: readonly string[],
  check: (bucket: PolicyResource, related: PolicyResource[], report: (m: string) => void) => void,
): StackValidationPolicy["validateStack"] {
  return (args, reportViolation) => {
    const buckets = args.resources.filter((r) => BUCKET_TYPES.has(r.type));
    const candidates = args.resources.filter((r) => relatedTypes.includes(r.type));
    for (const bucket of buckets) {
      const related = candidates.filter((r) => targetsBucket(r, bucket));
      check(bucket, related, (m) => reportViolation(m, bucket.urn));
    }
  };
}
