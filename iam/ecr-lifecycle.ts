/**
 * ECR lifecycle policies (their own grammar, not IAM's).
 *
 * ECR evaluates rules by rulePriority, lowest first, and an image that a rule's tag selection
 * matches is never expired by a later rule, whether that rule expired it or not. So:
 *
 * - priority 1: untagged images, `untaggedExpiryDays` after push (the only untagged rule; no
 *   tagged rule selects an untagged image, so its place among them changes nothing);
 * - priority 100 + i: the i-th protected pattern, selected by a rule that keeps up to
 *   PROTECTED_COUNT images, more than a repository can hold: matched, so no later rule
 *   expires them, and never expired by this one;
 * - priority 200 + j: the j-th configured rule, so the order written is the order applied.
 *
 * One rule per pattern: a tagPatternList or tagPrefixList of several entries selects only
 * images that have a tag for every entry, which is not "keep N per pattern". The bands keep
 * priorities stable: adding a protected pattern renumbers no rule, and the other way round.
 */

export type Selection =
  | { tagStatus: "untagged" }
  | { tagStatus: "tagged"; tagPatternList: string[] }
  | { tagStatus: "tagged"; tagPrefixList: string[] };

export type Count =
  | { countType: "sinceImagePushed"; countUnit: "days"; countNumber: number }
  | { countType: "imageCountMoreThan"; countNumber: number };

export interface LifecycleRule {
  rulePriority: number;
  description: string;
  selection: Selection & Count;
  action: { type: "expire" };
}

export interface LifecyclePolicy {
  rules: LifecycleRule[];
}

/** One rule of the config: the images of one tag pattern or prefix, and how they expire. */
export interface TagRule {
  tagPattern?: string;
  tagPrefix?: string;
  keepLast?: number;
  expireAfterDays?: number;
}

export interface LifecycleSettings {
  untaggedExpiryDays?: number;
  protectedTagPatterns: string[];
  rules: TagRule[];
}

export const UNTAGGED_PRIORITY = 1;
export const PROTECTED_PRIORITY_BASE = 100;
export const RULE_PRIORITY_BASE = 200;
/**
 * Far above ECR's quota of images per repository (20,000), so a protected image is never the
 * one past the count. ECR documents countNumber as any positive integer.
 */
export const PROTECTED_COUNT = 1_000_000;

function tagSelection(rule: TagRule): { selection: Selection; what: string } {
  if (rule.tagPattern !== undefined) {
    return {
      selection: { tagStatus: "tagged", tagPatternList: [rule.tagPattern] },
      what: `tagged ${rule.tagPattern}`,
    };
  }
  if (rule.tagPrefix !== undefined) {
    return {
      selection: { tagStatus: "tagged", tagPrefixList: [rule.tagPrefix] },
      what: `with a tag starting ${rule.tagPrefix}`,
    };
  }
  throw new Error("a lifecycle rule needs tagPattern or tagPrefix");
}

function count(rule: TagRule): { count: Count; describe: (what: string) => string } {
  if (rule.keepLast !== undefined) {
    return {
      count: { countType: "imageCountMoreThan", countNumber: rule.keepLast },
      describe: (what) => `Keep the ${rule.keepLast} most recent images ${what}`,
    };
  }
  if (rule.expireAfterDays !== undefined) {
    return {
      count: {
        countType: "sinceImagePushed",
        countUnit: "days",
        countNumber: rule.expireAfterDays,
      },
      describe: (what) => `Expire images ${what} ${rule.expireAfterDays} days after push`,
    };
  }
  throw new Error("a lifecycle rule needs keepLast or expireAfterDays");
}

/** The repository's lifecycle policy, or undefined when the config asks for none. */
export function lifecyclePolicy(settings: LifecycleSettings): LifecyclePolicy | undefined {
  const rules: LifecycleRule[] = [];
  if (settings.untaggedExpiryDays !== undefined) {
    rules.push({
      rulePriority: UNTAGGED_PRIORITY,
      description: `Expire untagged images ${settings.untaggedExpiryDays} days after push`,
      selection: {
        tagStatus: "untagged",
        countType: "sinceImagePushed",
        countUnit: "days",
        countNumber: settings.untaggedExpiryDays,
      },
      action: { type: "expire" },
    });
  }
  // Protection only means something against tagged rules: alone, it would be a policy that
  // does nothing.
  if (settings.rules.length > 0) {
    settings.protectedTagPatterns.forEach((pattern, i) =>
      rules.push({
        rulePriority: PROTECTED_PRIORITY_BASE + i,
        description: `Never expire images tagged ${pattern}`,
        selection: {
          tagStatus: "tagged",
          tagPatternList: [pattern],
          countType: "imageCountMoreThan",
          countNumber: PROTECTED_COUNT,
        },
        action: { type: "expire" },
      }),
    );
  }
  settings.rules.forEach((rule, j) => {
    const { selection, what } = tagSelection(rule);
    const { count: counting, describe } = count(rule);
    rules.push({
      rulePriority: RULE_PRIORITY_BASE + j,
      description: describe(what),
      selection: { ...selection, ...counting },
      action: { type: "expire" },
    });
  });
  return rules.length > 0 ? { rules } : undefined;
}
