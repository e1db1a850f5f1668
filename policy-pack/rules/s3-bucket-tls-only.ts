// Rule "s3-bucket-tls-only". Only types come from @pulumi/policy: see ../policies.ts.
import type { StackValidationPolicy } from "@pulumi/policy";
import { bucketLabel, forEachBucket } from "../helpers/buckets";
import { asList, parsePolicyDocument, Statement } from "../helpers/policy-document";
import { ResourceTypes } from "../helpers/resource-types";
import { s3ArnLevel } from "../helpers/s3-arns";
import { known, UNKNOWN } from "../helpers/unknown-values";

/** A Deny of every S3 action to everyone on the bucket and its objects when TLS is not used. */
export function deniesInsecureTransport(statements: Statement[]): boolean {
  return statements.some((s) => {
    if (s.Effect !== "Deny") {
      return false;
    }
    const principal = s.Principal;
    const everyone =
      principal === "*" ||
      (typeof principal === "object" &&
        principal !== null &&
        asList((principal as { AWS?: unknown }).AWS).includes("*"));
    const allActions = asList(s.Action).some((a) => a === "*" || a.toLowerCase() === "s3:*");
    const resources = asList(s.Resource);
    const coversBucketAndObjects =
      resources.includes("*") ||
      (resources.some((r) => s3ArnLevel(r) === "bucket") &&
        resources.some((r) => /^arn:[a-z-]+:s3:::[^/]+\/\*$/.test(r)));
    const bool = s.Condition?.["Bool"] ?? {};
    const insecure = Object.entries(bool).some(
      ([key, value]) =>
        key.toLowerCase() === "aws:securetransport" &&
        asList(value).length === 1 &&
        asList(value)[0].toLowerCase() === "false",
    );
    return everyone && allActions && coversBucketAndObjects && insecure;
  });
}

export const s3BucketTlsOnly: StackValidationPolicy = {
  name: "s3-bucket-tls-only",
  description:
    'Every S3 bucket has a BucketPolicy that denies "s3:*" to everyone on the bucket and its ' +
    'objects when "aws:SecureTransport" is false.',
  validateStack: forEachBucket([ResourceTypes.s3BucketPolicy], (bucket, policies, report) => {
    if (policies.length === 0) {
      report(`${bucketLabel(bucket)} has no aws.s3.BucketPolicy denying requests without TLS.`);
      return;
    }
    const ok = policies.some((p) => {
      const verdict = known(() => {
        const parsed = parsePolicyDocument(p.props["policy"]);
        return !("error" in parsed) && deniesInsecureTransport(parsed.statements);
      });
      // An unknown document is checked again with the real one at `pulumi up`.
      return verdict === UNKNOWN || verdict;
    });
    if (!ok) {
      report(
        `${bucketLabel(bucket)}: its BucketPolicy does not deny requests without TLS ` +
          '(need Effect "Deny", Principal "*", Action "s3:*" on the bucket ARN and ' +
          '"<bucket ARN>/*", Condition Bool "aws:SecureTransport" = "false").',
      );
    }
  }),
};
