/**
 * Schemas of the day-2 options of the registry and its repositories: tag immutability
 * exceptions, lifecycle rules, encryption and registry scanning. The limits quoted in messages
 * are ECR's (API reference and user guide), checked here so `pulumi preview` fails, not `up`.
 */
import { z } from "zod";
import { display } from "./display";
import { unknownPartition } from "./partitions";

/** ECR rejects more lifecycle rules than this in one policy (service quota, not adjustable). */
export const MAX_LIFECYCLE_RULES = 50;
/** ECR's limits for imageTagMutabilityExclusionFilters. */
export const MAX_MUTABLE_TAG_PATTERNS = 5;
const MAX_EXCLUSION_WILDCARDS = 2;
/** ECR's limit for a tagPatternList string. */
const MAX_LIFECYCLE_WILDCARDS = 4;

const wildcards = (pattern: string) => pattern.split("*").length - 1;

/** Image tag characters (letters, digits, _ . -) with * for any run of characters. */
const tagPattern = (maxWildcards: number) =>
  z
    .string()
    .regex(
      /^[A-Za-z0-9_.*-]{1,128}$/,
      "a tag pattern: 1-128 letters, digits, _ . - and * (any characters)",
    )
    .refine((p) => wildcards(p) <= maxWildcards, `at most ${maxWildcards} * in a pattern`);

const tagPrefix = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, "a tag prefix: 1-128 letters, digits, _ . and -");

export const mutableTagPatternsSchema = z
  .array(
    tagPattern(MAX_EXCLUSION_WILDCARDS).refine(
      (p) => /[^*]/.test(p),
      "would make every tag mutable; name the tags that may move, like latest or dev-*",
    ),
  )
  .min(1, "omit mutableTagPatterns to keep every tag immutable")
  .max(MAX_MUTABLE_TAG_PATTERNS, `ECR accepts at most ${MAX_MUTABLE_TAG_PATTERNS} patterns`)
  .refine((list) => new Set(list).size === list.length, "a pattern is listed twice")
  .describe(
    "Tags that may be pushed again to point at a new image (like latest or dev-*); every other " +
      "tag stays immutable. Up to 5 patterns of letters, digits, _ . - with at most two * each " +
      "(ECR's IMMUTABLE_WITH_EXCLUSION with WILDCARD filters).",
  );

/**
 * Only IMMUTABLE remains, so a stack file that spelled out the old default keeps working and
 * one that asked for MUTABLE learns what replaced it.
 */
export const imageTagMutabilitySchema = z
  .literal("IMMUTABLE", {
    error:
      "MUTABLE is no longer accepted: every repository is IMMUTABLE; list the tags that may be " +
      "pushed again (like latest or dev-*) in mutableTagPatterns",
  })
  .optional()
  .describe(
    "Always IMMUTABLE, the only accepted value (and the default); tags that must move go in " +
      "mutableTagPatterns.",
  );

export const lifecycleRuleSchema = z
  .strictObject({
    tagPattern: tagPattern(MAX_LIFECYCLE_WILDCARDS)
      .optional()
      .describe(
        "Images with a tag matching this pattern (* for any characters, at most four). " +
          "Give tagPattern or tagPrefix.",
      ),
    tagPrefix: tagPrefix
      .optional()
      .describe("Images with a tag starting with this prefix. Give tagPattern or tagPrefix."),
    keepLast: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .optional()
      .describe(
        "Keep this many of the most recently pushed matching images, expire older ones. " +
          "Give keepLast or expireAfterDays.",
      ),
    expireAfterDays: z
      .number()
      .int()
      .min(1)
      .max(3650)
      .optional()
      .describe(
        "Expire matching images this many days after their push. Give keepLast or expireAfterDays.",
      ),
  })
  .superRefine((rule, ctx) => {
    if ((rule.tagPattern === undefined) === (rule.tagPrefix === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["tagPattern"],
        message: "give tagPattern or tagPrefix, exactly one",
      });
    }
    if ((rule.keepLast === undefined) === (rule.expireAfterDays === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["keepLast"],
        message: "give keepLast or expireAfterDays, exactly one",
      });
    }
  });

export const lifecycleSchema = z
  .strictObject({
    protectedTagPatterns: z
      .array(tagPattern(MAX_LIFECYCLE_WILDCARDS))
      .default([])
      .describe(
        "Images with a tag matching one of these patterns are never expired by any rule " +
          "(releases, say v* or release-*).",
      ),
    rules: z
      .array(lifecycleRuleSchema)
      .default([])
      .describe(
        "Expiry by tag, first match wins: an image matched by an earlier rule (or a protected " +
          "pattern) is never expired by a later one.",
      ),
  })
  .superRefine((lifecycle, ctx) => {
    // ECR wants each rule's tag selection to be unique, and a pattern claimed twice would let
    // the second claim silently never apply.
    const seen = new Map<string, string>();
    const claim = (selection: string, path: PropertyKey[]) => {
      const first = seen.get(selection);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path, message: `${selection} is already used at ${first}` });
      } else seen.set(selection, path.join("."));
    };
    lifecycle.protectedTagPatterns.forEach((p, i) =>
      claim(`pattern ${p}`, ["protectedTagPatterns", i]),
    );
    lifecycle.rules.forEach((rule, i) => {
      if (rule.tagPattern !== undefined)
        claim(`pattern ${rule.tagPattern}`, ["rules", i, "tagPattern"]);
      if (rule.tagPrefix !== undefined)
        claim(`prefix ${rule.tagPrefix}`, ["rules", i, "tagPrefix"]);
    });
  })
  .describe(
    "Lifecycle rules by tag, besides untaggedExpiryDays: protected patterns, then rules in " +
      "the order written.",
  );

/** Checks between a repository's keys: ECR counts every rule of one lifecycle policy. */
export function checkLifecycleRuleCount(
  repo: { untaggedExpiryDays?: number; lifecycle?: z.infer<typeof lifecycleSchema> },
  ctx: z.RefinementCtx,
): void {
  const count =
    (repo.untaggedExpiryDays === undefined ? 0 : 1) +
    (repo.lifecycle?.protectedTagPatterns.length ?? 0) +
    (repo.lifecycle?.rules.length ?? 0);
  if (count > MAX_LIFECYCLE_RULES) {
    ctx.addIssue({
      code: "custom",
      path: ["lifecycle"],
      message: `${count} lifecycle rules (protected patterns, rules and untaggedExpiryDays); ECR accepts at most ${MAX_LIFECYCLE_RULES}`,
    });
  }
}

/** KMS key ids (KMS API Reference, KeyId): a UUID, or mrk- and 32 hex digits for a multi-Region key. */
const KMS_KEY_ID =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

/** arn:<partition>:kms:<region>:<account>:key/<key id>; its partition and region are checked against the registry's. */
function kmsKeyArnProblem(arn: string): string | undefined {
  const match = /^arn:([^:]*):kms:[a-z0-9-]+:\d{12}:key\/(.*)$/s.exec(arn);
  if (!match) return "not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)";
  const [, partition, keyId] = match;
  const unknown = unknownPartition(partition);
  if (unknown) return `not a KMS key ARN: ${unknown}`;
  if (!KMS_KEY_ID.test(keyId)) {
    return (
      `key id ${display(keyId)} is not a KMS key id: a UUID like ` +
      "1234abcd-12ab-34cd-56ef-1234567890ab, or mrk- and 32 hex digits for a multi-Region key"
    );
  }
  return undefined;
}

const kmsKeyArn = z.string().superRefine((arn, ctx) => {
  const problem = kmsKeyArnProblem(arn);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const encryptionSchema = z
  .union(
    [
      z.strictObject({
        kmsKeyArn: kmsKeyArn.describe(
          "A KMS key of your own, by its key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>, " +
            "the key id a UUID or mrk- and 32 hex digits), in the registry's region and partition; " +
            "its key policy must let the deploy " +
            "role use it through ECR (kms:CreateGrant, kms:RetireGrant, kms:DescribeKey).",
        ),
      }),
      z.strictObject({
        createKey: z
          .literal(true)
          .describe(
            "Create a KMS key in the registry account for new repositories: rotation on, " +
              "protected and retained like the repositories (losing it loses every image it " +
              "encrypts), administered by the admins and the deploy role.",
          ),
      }),
    ],
    { error: "give kmsKeyArn (your own KMS key) or createKey: true" },
  )
  .optional()
  .describe(
    "Encrypt new repositories with a KMS key (encryptionType KMS). ECR fixes a repository's " +
      "encryption when it is created: repositories that already exist keep theirs.",
  );

export const SCAN_TYPES = ["BASIC", "ENHANCED"] as const;
export const SCAN_FREQUENCIES = ["SCAN_ON_PUSH", "CONTINUOUS_SCAN", "MANUAL"] as const;

/** ECR's pattern for scanning repository filters (ScanningRepositoryFilter API reference). */
const repositoryFilter = z
  .string()
  .min(1)
  .max(256)
  .regex(
    /^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$/,
    "a repository name pattern: lower-case letters, digits, . _ - / and * (any characters)",
  );

export const scanningSchema = z
  .strictObject({
    type: z
      .enum(SCAN_TYPES)
      .describe("BASIC (ECR's own scanner) or ENHANCED (Amazon Inspector, billed by Inspector)."),
    rules: z
      .array(
        z.strictObject({
          frequency: z
            .enum(SCAN_FREQUENCIES)
            .describe(
              "SCAN_ON_PUSH, or CONTINUOUS_SCAN (ENHANCED only). MANUAL is what repositories " +
                "no rule matches get already, so ECR takes no rule for it.",
            ),
          repositoryFilters: z
            .array(repositoryFilter)
            .min(1, "name at least one repository pattern (* for all)")
            .max(100, "ECR accepts at most 100 filters per rule")
            .describe("Repository name patterns this rule applies to, * for any characters."),
        }),
      )
      .min(1, "give at least one rule; without one ECR scans nothing")
      .max(2, "ECR accepts at most 2 rules, one per frequency")
      .describe("Which repositories are scanned how often."),
  })
  .superRefine((scanning, ctx) => {
    const frequencies = new Set<string>();
    scanning.rules.forEach((rule, i) => {
      const path = ["rules", i, "frequency"];
      if (rule.frequency === "MANUAL") {
        ctx.addIssue({
          code: "custom",
          path,
          message: "ECR takes no MANUAL rule: repositories no rule matches are scanned manually",
        });
      } else if (rule.frequency === "CONTINUOUS_SCAN" && scanning.type === "BASIC") {
        ctx.addIssue({ code: "custom", path, message: "CONTINUOUS_SCAN needs type ENHANCED" });
      }
      if (frequencies.has(rule.frequency)) {
        ctx.addIssue({ code: "custom", path, message: `a second ${rule.frequency} rule` });
      }
      frequencies.add(rule.frequency);
    });
    // Registry rules replace every repository's own scan-on-push setting, so they must still
    // scan every repository when it is pushed to or continuously.
    if (!scanning.rules.some((rule) => rule.repositoryFilters.includes("*"))) {
      ctx.addIssue({
        code: "custom",
        path: ["rules"],
        message:
          "no rule covers every repository: the registry's rules replace each repository's " +
          'scan on push, so give one rule the filter "*"',
      });
    }
  })
  .optional()
  .describe(
    "The registry's scanning configuration (aws.ecr.RegistryScanningConfiguration); without " +
      "it each repository scans on push with BASIC scanning.",
  );

/** The created or given KMS key lives where ECR can use it: the registry's region. */
export function checkEncryptionRegion(
  registry: { region: string; encryption?: z.infer<typeof encryptionSchema> },
  ctx: z.RefinementCtx,
): void {
  const arn =
    registry.encryption && "kmsKeyArn" in registry.encryption && registry.encryption.kmsKeyArn;
  if (arn && arn.split(":")[3] !== registry.region) {
    ctx.addIssue({
      code: "custom",
      path: ["encryption", "kmsKeyArn"],
      message: `is not in the registry's region ${registry.region}; ECR uses keys of its own region only`,
    });
  }
}

export type LifecycleSettings = z.infer<typeof lifecycleSchema>;
export type LifecycleRuleSettings = z.infer<typeof lifecycleRuleSchema>;
export type EncryptionSettings = NonNullable<z.infer<typeof encryptionSchema>>;
export type ScanningSettings = NonNullable<z.infer<typeof scanningSchema>>;
