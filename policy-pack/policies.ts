// The rules of the registry-hub policy pack.
//
// This module only defines policies: it must stay importable without side effects. Creating a
// `PolicyPack` starts the policy gRPC server, so that happens in ./index.ts only, and everything
// imported from @pulumi/policy here is a type.
//
// The rules match resources by their type tokens instead of importing @pulumi/aws, so the pack
// does not need the AWS SDK installed.
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";

/** Type tokens of the @pulumi/aws 7 resources these rules look at. */
export const ResourceTypes = {
  ecrRepository: "aws:ecr/repository:Repository",
  ecrRepositoryPolicy: "aws:ecr/repositoryPolicy:RepositoryPolicy",
  ecrRegistryPolicy: "aws:ecr/registryPolicy:RegistryPolicy",
  ecrRegistryScanningConfiguration:
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
  kmsKey: "aws:kms/key:Key",
  iamRole: "aws:iam/role:Role",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
  iamGroupPolicy: "aws:iam/groupPolicy:GroupPolicy",
  s3Bucket: "aws:s3/bucket:Bucket",
  s3BucketV2: "aws:s3/bucketV2:BucketV2",
  s3BucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  s3BucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  s3BucketSse:
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  s3BucketSseV2:
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
} as const;

/** ECR rejects repository policies longer than this many characters. */
export const MAX_REPOSITORY_POLICY_LENGTH = 10_240;

/** The only action that may be granted on Resource "*": it has no resource type. */
const RESOURCELESS_ACTIONS = new Set(["ecr:getauthorizationtoken"]);

/** Policies attached to identities (roles, users, groups or managed policies). */
const IDENTITY_POLICY_TYPES = [
  ResourceTypes.iamRolePolicy,
  ResourceTypes.iamPolicy,
  ResourceTypes.iamUserPolicy,
  ResourceTypes.iamGroupPolicy,
];

/** Every resource whose `policy` input is an IAM policy document. */
const POLICY_DOCUMENT_TYPES = [
  ...IDENTITY_POLICY_TYPES,
  ResourceTypes.ecrRepositoryPolicy,
  ResourceTypes.ecrRegistryPolicy,
  ResourceTypes.s3BucketPolicy,
];

const BUCKET_TYPES = new Set<string>([ResourceTypes.s3Bucket, ResourceTypes.s3BucketV2]);

// S3 actions whose resource is the bucket (arn:aws:s3:::bucket).
const S3_BUCKET_LEVEL_ACTIONS = [
  "ListBucket",
  "ListBucketVersions",
  "ListBucketMultipartUploads",
  "GetBucketLocation",
  "GetBucketAcl",
  "PutBucketAcl",
  "GetBucketPolicy",
  "PutBucketPolicy",
  "DeleteBucketPolicy",
  "GetBucketPolicyStatus",
  "GetBucketVersioning",
  "PutBucketVersioning",
  "GetBucketTagging",
  "PutBucketTagging",
  "GetBucketCORS",
  "PutBucketCORS",
  "GetBucketLogging",
  "PutBucketLogging",
  "GetBucketNotification",
  "PutBucketNotification",
  "GetBucketPublicAccessBlock",
  "PutBucketPublicAccessBlock",
  "GetBucketOwnershipControls",
  "PutBucketOwnershipControls",
  "GetBucketObjectLockConfiguration",
  "PutBucketObjectLockConfiguration",
  "GetBucketWebsite",
  "PutBucketWebsite",
  "DeleteBucketWebsite",
  "GetBucketRequestPayment",
  "PutBucketRequestPayment",
  "GetEncryptionConfiguration",
  "PutEncryptionConfiguration",
  "GetLifecycleConfiguration",
  "PutLifecycleConfiguration",
  "GetReplicationConfiguration",
  "PutReplicationConfiguration",
  "GetAccelerateConfiguration",
  "PutAccelerateConfiguration",
  "GetIntelligentTieringConfiguration",
  "PutIntelligentTieringConfiguration",
  "GetInventoryConfiguration",
  "PutInventoryConfiguration",
  "GetMetricsConfiguration",
  "PutMetricsConfiguration",
  "GetAnalyticsConfiguration",
  "PutAnalyticsConfiguration",
  "CreateBucket",
  "DeleteBucket",
].map((a) => `s3:${a}`);

// S3 actions whose resource is an object (arn:aws:s3:::bucket/key).
const S3_OBJECT_LEVEL_ACTIONS = [
  "GetObject",
  "GetObjectVersion",
  "GetObjectAcl",
  "GetObjectVersionAcl",
  "GetObjectAttributes",
  "GetObjectVersionAttributes",
  "GetObjectTagging",
  "GetObjectVersionTagging",
  "GetObjectRetention",
  "GetObjectLegalHold",
  "GetObjectTorrent",
  "GetObjectVersionTorrent",
  "GetObjectVersionForReplication",
  "PutObject",
  "PutObjectAcl",
  "PutObjectVersionAcl",
  "PutObjectTagging",
  "PutObjectVersionTagging",
  "PutObjectRetention",
  "PutObjectLegalHold",
  "DeleteObject",
  "DeleteObjectVersion",
  "DeleteObjectTagging",
  "DeleteObjectVersionTagging",
  "AbortMultipartUpload",
  "ListMultipartUploadParts",
  "RestoreObject",
  "ReplicateObject",
  "ReplicateDelete",
  "ReplicateTags",
  "BypassGovernanceRetention",
].map((a) => `s3:${a}`);

// ---------------------------------------------------------------------------------------------
// Policy documents
// ---------------------------------------------------------------------------------------------

/** One statement of an IAM policy document, as far as these rules read it. */
export interface Statement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

type ParsedDocument = { statements: Statement[] } | { error: string };

/**
 * Reads a policy document given either as a JSON string or as an object (Pulumi inputs accept
 * both). A value that is unknown during preview throws the SDK's UnknownValueError, which the
 * policy SDK turns into an advisory "can't run during preview" note.
 */
export function parsePolicyDocument(value: unknown): ParsedDocument {
  let doc: unknown = value;
  if (typeof value === "string") {
    try {
      doc = JSON.parse(value);
    } catch (e) {
      return { error: `is not valid JSON (${(e as Error).message})` };
    }
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return { error: "is not a JSON object" };
  }
  const raw = (doc as { Statement?: unknown }).Statement;
  if (raw === undefined) {
    return { statements: [] };
  }
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (list.some((s) => typeof s !== "object" || s === null || Array.isArray(s))) {
    return { error: "has a Statement that is not an object" };
  }
  return { statements: list as Statement[] };
}

/** Normalises a string-or-list field to a list of strings. */
export function asList(value: unknown): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.map((v) => String(v));
}

function isAllow(s: Statement): boolean {
  return s.Effect === "Allow";
}

function label(s: Statement, index: number): string {
  return s.Sid ? `statement ${index} (${s.Sid})` : `statement ${index}`;
}

function quoteList(values: string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}

/** Case-insensitive IAM wildcard match: `*` any run of characters, `?` one character. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${re}$`, "i").test(action);
}

/** `*` or `service:*`. */
function isWildcardAction(action: string): boolean {
  return /^(\*|[a-z0-9-]+:\*)$/i.test(action.trim());
}

const S3_ARN = /^arn:[a-z-]+:s3:::([^/]+)(\/.*)?$/;

/** "bucket" for arn:aws:s3:::name, "object" for arn:aws:s3:::name/..., undefined otherwise. */
function s3ArnLevel(resource: string): "bucket" | "object" | undefined {
  const m = S3_ARN.exec(resource);
  if (!m) {
    return undefined;
  }
  return m[2] === undefined ? "bucket" : "object";
}

function validatePolicyInput(
  types: readonly string[],
  field: string,
  check: (statements: Statement[], report: ReportViolation) => void,
): ResourceValidation {
  return (args, reportViolation) => {
    if (!types.includes(args.type)) {
      return;
    }
    // Reading an unknown value throws UnknownValueError: let it through to the SDK.
    const parsed = parsePolicyDocument(args.props[field]);
    if ("error" in parsed) {
      reportViolation(`${field} ${parsed.error}.`);
      return;
    }
    check(parsed.statements, reportViolation);
  };
}

// ---------------------------------------------------------------------------------------------
// Unknown values in stack validations
// ---------------------------------------------------------------------------------------------

const UNKNOWN = Symbol("unknown");

/**
 * During preview a property that depends on a resource not yet created is unknown, and reading
 * it throws the SDK's UnknownValueError. Stack rules read such values with this helper and skip
 * the check they cannot make; the same rules run again on the real values at `pulumi up`.
 */
function known<T>(read: () => T): T | typeof UNKNOWN {
  try {
    return read();
  } catch (e) {
    if (isUnknownValueError(e)) {
      return UNKNOWN;
    }
    throw e;
  }
}

function isUnknownValueError(e: unknown): boolean {
  // Compare by name, not instanceof: the pack's node_modules and the repository's may hold
  // different copies of @pulumi/policy.
  return e instanceof Error && e.constructor.name === "UnknownValueError";
}

/** Whether `related` (a bucket's public access block, policy, ...) configures `bucket`. */
function targetsBucket(related: PolicyResource, bucket: PolicyResource): boolean {
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

function bucketLabel(bucket: PolicyResource): string {
  const name = known(() => bucket.props["bucket"] as unknown);
  return typeof name === "string" ? `bucket "${bucket.name}" (${name})` : `bucket "${bucket.name}"`;
}

/** Runs `check` for every bucket with the resources of `relatedTypes` that configure it. */
function forEachBucket(
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

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

export const noWildcardGrants: ResourceValidationPolicy = {
  name: "iam-no-wildcard-grants",
  description:
    'Allow statements in IAM, ECR and S3 policies list their actions (no "*" or "service:*") ' +
    'and name their resources; Resource "*" only for ecr:GetAuthorizationToken.',
  validateResource: validatePolicyInput(POLICY_DOCUMENT_TYPES, "policy", (statements, report) => {
    statements.forEach((s, i) => {
      if (!isAllow(s)) {
        return;
      }
      const where = label(s, i);
      const actions = asList(s.Action);
      const wildcards = actions.filter(isWildcardAction);
      if (wildcards.length > 0) {
        report(
          `${where} allows wildcard action(s) ${quoteList(wildcards)}; ` +
            "list the actions it needs.",
        );
      }
      if (s.NotAction !== undefined) {
        report(`${where} combines Allow with NotAction, which allows every other action.`);
      }
      if (s.NotResource !== undefined) {
        report(`${where} combines Allow with NotResource, which allows every other resource.`);
      }
      if (asList(s.Resource).includes("*")) {
        const scoped = actions.filter((a) => !RESOURCELESS_ACTIONS.has(a.toLowerCase()));
        if (scoped.length > 0) {
          report(
            `${where} allows Resource "*" for ${quoteList(scoped)}; ` +
              'only ecr:GetAuthorizationToken may use Resource "*": ' +
              "name the repository, bucket or object ARNs instead.",
          );
        }
      }
    });
  }),
};

export const s3GrantResourceLevels: ResourceValidationPolicy = {
  name: "s3-grant-resource-levels",
  description:
    "S3 grants put bucket-level actions (ListBucket, GetBucketLocation, ...) only on bucket " +
    "ARNs and object-level actions (GetObject, PutObject, ...) only on object ARNs.",
  validateResource: validatePolicyInput(
    [...IDENTITY_POLICY_TYPES, ResourceTypes.s3BucketPolicy],
    "policy",
    (statements, report) => {
      statements.forEach((s, i) => {
        if (!isAllow(s)) {
          return;
        }
        const where = label(s, i);
        const actions = asList(s.Action);
        const resources = asList(s.Resource);
        const bucketArns = resources.filter((r) => s3ArnLevel(r) === "bucket");
        const objectArns = resources.filter((r) => s3ArnLevel(r) === "object");
        // A pattern such as s3:* or s3:List* counts at every level it covers.
        const bucketLevel = actions.filter((a) =>
          S3_BUCKET_LEVEL_ACTIONS.some((known) => actionMatches(a, known)),
        );
        const objectLevel = actions.filter((a) =>
          S3_OBJECT_LEVEL_ACTIONS.some((known) => actionMatches(a, known)),
        );
        if (bucketLevel.length > 0 && objectArns.length > 0) {
          const hint =
            bucketArns.length === 0
              ? " and names no bucket ARN, so these actions are never allowed"
              : "";
          report(
            `${where} grants bucket-level action(s) ${quoteList(bucketLevel)} on ` +
              `object ARN(s) ${quoteList(objectArns)}${hint}; give bucket-level ` +
              'actions their own statement on the bucket ARN "arn:aws:s3:::<bucket>".',
          );
        }
        if (objectLevel.length > 0 && bucketArns.length > 0) {
          const hint =
            objectArns.length === 0
              ? " and names no object ARN, so these actions are never allowed"
              : "";
          report(
            `${where} grants object-level action(s) ${quoteList(objectLevel)} on ` +
              `bucket ARN(s) ${quoteList(bucketArns)}${hint}; give object-level ` +
              'actions their own statement on "arn:aws:s3:::<bucket>/*".',
          );
        }
      });
    },
  ),
};

const PUBLIC_ACCESS_FLAGS = [
  "blockPublicAcls",
  "blockPublicPolicy",
  "ignorePublicAcls",
  "restrictPublicBuckets",
] as const;

export const s3BucketPublicAccessBlocked: StackValidationPolicy = {
  name: "s3-bucket-public-access-blocked",
  description:
    "Every S3 bucket has a BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, " +
    "ignorePublicAcls and restrictPublicBuckets all true.",
  validateStack: forEachBucket(
    [ResourceTypes.s3BucketPublicAccessBlock],
    (bucket, blocks, report) => {
      if (blocks.length === 0) {
        report(`${bucketLabel(bucket)} has no aws.s3.BucketPublicAccessBlock.`);
        return;
      }
      // AWS allows one public access block per bucket; with several, the best one counts.
      const offPerBlock = blocks.map((b) =>
        PUBLIC_ACCESS_FLAGS.filter((f) => {
          const v = known(() => b.props[f] as unknown);
          return v !== true && v !== UNKNOWN;
        }),
      );
      const off = offPerBlock.reduce((a, b) => (b.length < a.length ? b : a));
      if (off.length > 0) {
        report(
          `${bucketLabel(bucket)}: its BucketPublicAccessBlock does not set ` +
            `${off.join(", ")} to true.`,
        );
      }
    },
  ),
};

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

const SSE_ALGORITHMS = new Set(["AES256", "aws:kms", "aws:kms:dsse"]);

export const s3BucketEncrypted: StackValidationPolicy = {
  name: "s3-bucket-encrypted",
  description:
    "Every S3 bucket has a BucketServerSideEncryptionConfiguration with a default " +
    "encryption rule (AES256, aws:kms or aws:kms:dsse).",
  validateStack: forEachBucket(
    [ResourceTypes.s3BucketSse, ResourceTypes.s3BucketSseV2],
    (bucket, configs, report) => {
      if (configs.length === 0) {
        report(`${bucketLabel(bucket)} has no aws.s3.BucketServerSideEncryptionConfiguration.`);
        return;
      }
      const ok = configs.some((c) => {
        const rules = known(() => asRuleList(c.props["rules"]));
        if (rules === UNKNOWN) {
          return true;
        }
        return rules.some((r) => {
          const algorithm = known(() => r?.applyServerSideEncryptionByDefault?.sseAlgorithm);
          return (
            algorithm === UNKNOWN ||
            (typeof algorithm === "string" && SSE_ALGORITHMS.has(algorithm))
          );
        });
      });
      if (!ok) {
        report(
          `${bucketLabel(bucket)}: its server-side encryption configuration has no ` +
            "rule with applyServerSideEncryptionByDefault.sseAlgorithm " +
            "AES256, aws:kms or aws:kms:dsse.",
        );
      }
    },
  ),
};

interface SseRule {
  applyServerSideEncryptionByDefault?: { sseAlgorithm?: unknown };
}

function asRuleList(value: unknown): (SseRule | undefined)[] {
  return Array.isArray(value) ? (value as (SseRule | undefined)[]) : [];
}

/** ECR's limit on imageTagMutabilityExclusionFilters. */
export const MAX_MUTABILITY_EXCLUSION_FILTERS = 5;

export const ecrRepositoryImmutableTags: ResourceValidationPolicy = {
  name: "ecr-repository-immutable-tags",
  description:
    'ECR repositories set imageTagMutability "IMMUTABLE", or "IMMUTABLE_WITH_EXCLUSION" with ' +
    `1-${MAX_MUTABILITY_EXCLUSION_FILTERS} WILDCARD filters, none matching every tag.`,
  validateResource: (args, reportViolation) => {
    if (args.type !== ResourceTypes.ecrRepository) {
      return;
    }
    const mutability = args.props["imageTagMutability"] as unknown;
    if (mutability === "IMMUTABLE") {
      return;
    }
    if (mutability !== "IMMUTABLE_WITH_EXCLUSION") {
      const current = mutability === undefined ? "not set (MUTABLE)" : JSON.stringify(mutability);
      reportViolation(
        `imageTagMutability is ${current}; set it to "IMMUTABLE" (or "IMMUTABLE_WITH_EXCLUSION" ` +
          "with filters naming the few tags that may move) so a pushed tag always names the same image.",
      );
      return;
    }
    const filters = args.props["imageTagMutabilityExclusionFilters"] as unknown;
    const list = Array.isArray(filters)
      ? (filters as { filter?: unknown; filterType?: unknown }[])
      : [];
    if (list.length === 0 || list.length > MAX_MUTABILITY_EXCLUSION_FILTERS) {
      reportViolation(
        `IMMUTABLE_WITH_EXCLUSION needs 1-${MAX_MUTABILITY_EXCLUSION_FILTERS} ` +
          `imageTagMutabilityExclusionFilters; it has ${list.length}.`,
      );
    }
    for (const { filter, filterType } of list) {
      if (filterType !== "WILDCARD") {
        reportViolation(`exclusion filter ${JSON.stringify(filter)} is not of type WILDCARD.`);
      } else if (typeof filter !== "string" || !/[^*]/.test(filter)) {
        reportViolation(
          `exclusion filter ${JSON.stringify(filter)} matches every tag, which makes the ` +
            "repository mutable; name the tags that may move.",
        );
      }
    }
  },
};

export const ecrRepositoryScanOnPush: ResourceValidationPolicy = {
  name: "ecr-repository-scan-on-push",
  description: "ECR repositories set imageScanningConfiguration.scanOnPush to true.",
  validateResource: (args, reportViolation) => {
    if (args.type !== ResourceTypes.ecrRepository) {
      return;
    }
    const config = args.props["imageScanningConfiguration"] as { scanOnPush?: unknown } | undefined;
    if (config?.scanOnPush !== true) {
      reportViolation(
        "imageScanningConfiguration.scanOnPush is not true; scan every pushed image.",
      );
    }
  },
};

export const ecrRepositoryPolicySize: ResourceValidationPolicy = {
  name: "ecr-repository-policy-size",
  description: `ECR repository policies are at most ${MAX_REPOSITORY_POLICY_LENGTH} characters long.`,
  validateResource: (args, reportViolation) => {
    if (args.type !== ResourceTypes.ecrRepositoryPolicy) {
      return;
    }
    const policy = args.props["policy"] as unknown;
    const text = typeof policy === "string" ? policy : JSON.stringify(policy ?? "");
    if (text.length > MAX_REPOSITORY_POLICY_LENGTH) {
      reportViolation(
        `the repository policy is ${text.length} characters long; ECR accepts at most ` +
          `${MAX_REPOSITORY_POLICY_LENGTH}. Grant whole accounts or organisational units ` +
          "instead of listing many principals.",
      );
    }
  },
};

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

export const kmsKeyRotated: ResourceValidationPolicy = {
  name: "kms-key-rotated",
  description: "KMS keys rotate their key material (enableKeyRotation).",
  validateResource: (args, reportViolation) => {
    if (args.type !== ResourceTypes.kmsKey) {
      return;
    }
    if (args.props["enableKeyRotation"] !== true) {
      reportViolation("enableKeyRotation is not true; turn on automatic rotation.");
    }
  },
};

const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:[^:*?\s]+:[^:*?\s]+$/;

function isOidcFederated(principal: unknown): boolean {
  if (typeof principal !== "object" || principal === null) {
    return false;
  }
  return asList((principal as { Federated?: unknown }).Federated).some((p) =>
    p.includes(":oidc-provider/"),
  );
}

/** Values of the condition keys of `operator` whose name ends with `suffix`. */
function conditionValues(s: Statement, operator: string, suffix: string): string[][] {
  const block = s.Condition?.[operator] ?? {};
  return Object.entries(block)
    .filter(([key]) => key.toLowerCase().endsWith(suffix))
    .map(([, value]) => asList(value));
}

export const irsaTrustPinned: ResourceValidationPolicy = {
  name: "iam-irsa-trust-pinned",
  description:
    "Roles trusting an OIDC provider (IRSA) pin one service account with StringEquals " +
    '"<issuer>:sub" = "system:serviceaccount:<namespace>:<name>" and "<issuer>:aud" = ' +
    '"sts.amazonaws.com", and use no StringLike conditions.',
  validateResource: validatePolicyInput(
    [ResourceTypes.iamRole],
    "assumeRolePolicy",
    (statements, report) => {
      statements.forEach((s, i) => {
        const webIdentity = asList(s.Action).some((a) =>
          actionMatches(a, "sts:AssumeRoleWithWebIdentity"),
        );
        if (!isAllow(s) || !webIdentity || !isOidcFederated(s.Principal)) {
          return;
        }
        const where = label(s, i);
        const likeOperators = Object.keys(s.Condition ?? {}).filter((op) =>
          /(^|:)StringLike(IfExists)?$/i.test(op),
        );
        if (likeOperators.length > 0) {
          report(
            `${where} uses ${quoteList(likeOperators)}; pin the service account with ` +
              "StringEquals instead.",
          );
        }
        const subjects = conditionValues(s, "StringEquals", ":sub");
        const subject = subjects.length === 1 ? subjects[0] : [];
        if (subjects.length !== 1 || subject.length !== 1) {
          report(
            `${where} must pin exactly one service account with StringEquals ` +
              '"<issuer>:sub" = "system:serviceaccount:<namespace>:<name>".',
          );
        } else if (!SERVICE_ACCOUNT_SUBJECT.test(subject[0])) {
          report(
            `${where} trusts subject "${subject[0]}", which is not one service ` +
              'account ("system:serviceaccount:<namespace>:<name>", no wildcards).',
          );
        }
        const audiences = conditionValues(s, "StringEquals", ":aud");
        if (
          audiences.length !== 1 ||
          audiences[0].length !== 1 ||
          audiences[0][0] !== "sts.amazonaws.com"
        ) {
          report(`${where} must require StringEquals "<issuer>:aud" = "sts.amazonaws.com".`);
        }
      });
    },
  ),
};

/** Every rule of the pack, in the order they are reported. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  noWildcardGrants,
  s3GrantResourceLevels,
  s3BucketPublicAccessBlocked,
  s3BucketTlsOnly,
  s3BucketEncrypted,
  ecrRepositoryImmutableTags,
  ecrRepositoryScanOnPush,
  ecrRepositoryPolicySize,
  ecrRegistryScanningCoversAll,
  kmsKeyRotated,
  irsaTrustPinned,
];
