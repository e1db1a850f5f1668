/**
 * A small evaluator of ECR lifecycle policies, written from ECR's documented evaluation rules
 * (user guide, "Lifecycle policy evaluation rules" and "Lifecycle policy properties"):
 *
 * - rules apply by rulePriority, lowest first; priorities are unique; a `tagStatus: any` rule
 *   has the highest priority of the policy; only one rule selects untagged images;
 * - a tagged rule gives tagPatternList or tagPrefixList, not both; an image matches when every
 *   entry of the list matches one of its tags (`*` any characters, at most four per pattern);
 * - imageCountMoreThan sorts the selected images newest first and expires those past the count;
 *   sinceImagePushed expires the selected images pushed more than countNumber days ago;
 * - an image that a rule's tag selection matched is never expired by a later rule, while later
 *   rules still count it ("identify them as if they haven't been expired").
 */
import { LifecyclePolicy, LifecycleRule } from "../../iam/ecr-lifecycle";

export interface Image {
  digest: string;
  tags: string[];
  /** Days since the push. */
  ageDays: number;
}

function wildcardMatches(pattern: string, tag: string): boolean {
  const re = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${re}$`).test(tag);
}

function selects(rule: LifecycleRule, image: Image): boolean {
  const selection = rule.selection as LifecycleRule["selection"] & {
    tagStatus: string;
    tagPatternList?: string[];
    tagPrefixList?: string[];
  };
  switch (selection.tagStatus as string) {
    case "untagged":
      return image.tags.length === 0;
    case "any":
      return true;
    default:
      if (image.tags.length === 0) return false;
      if (selection.tagPatternList)
        return selection.tagPatternList.every((p) => image.tags.some((t) => wildcardMatches(p, t)));
      return (selection.tagPrefixList ?? []).every((p) => image.tags.some((t) => t.startsWith(p)));
  }
}

/** What ECR would refuse in the policy's structure; empty when it is well-formed. */
export function policyProblems(policy: LifecyclePolicy): string[] {
  const problems: string[] = [];
  const priorities = policy.rules.map((r) => r.rulePriority);
  if (new Set(priorities).size !== priorities.length) problems.push("duplicate rulePriority");
  if (priorities.some((p) => !Number.isInteger(p) || p < 1)) problems.push("bad rulePriority");
  const max = Math.max(...priorities);
  const selections = policy.rules.map((r) => r.selection as unknown as Record<string, unknown>);
  policy.rules.forEach((rule, i) => {
    const s = selections[i];
    if (s.tagStatus === "any" && rule.rulePriority !== max)
      problems.push(`rule ${rule.rulePriority}: tagStatus any is not last`);
    if (s.tagStatus === "tagged" && !!s.tagPatternList === !!s.tagPrefixList)
      problems.push(`rule ${rule.rulePriority}: needs tagPatternList or tagPrefixList`);
    if (s.tagStatus !== "tagged" && (s.tagPatternList || s.tagPrefixList))
      problems.push(`rule ${rule.rulePriority}: tag lists need tagStatus tagged`);
    for (const p of (s.tagPatternList as string[] | undefined) ?? [])
      if (p.split("*").length - 1 > 4) problems.push(`rule ${rule.rulePriority}: over 4 wildcards`);
    if (!Number.isInteger(s.countNumber) || (s.countNumber as number) < 1)
      problems.push(`rule ${rule.rulePriority}: countNumber is not a positive integer`);
  });
  if (selections.filter((s) => s.tagStatus === "untagged").length > 1)
    problems.push("more than one untagged rule");
  const tagSets = selections
    .filter((s) => s.tagStatus === "tagged")
    .map((s) => JSON.stringify([s.tagPatternList, s.tagPrefixList]));
  if (new Set(tagSets).size !== tagSets.length) problems.push("two rules with the same tags");
  return problems;
}

/** The digests ECR would expire. */
export function evaluate(policy: LifecyclePolicy, images: Image[]): Set<string> {
  const claimed = new Set<string>();
  const expired = new Set<string>();
  const rules = [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority);
  for (const rule of rules) {
    const selected = images.filter((image) => selects(rule, image));
    const { selection } = rule;
    const eligible =
      selection.countType === "imageCountMoreThan"
        ? [...selected].sort((a, b) => a.ageDays - b.ageDays).slice(selection.countNumber)
        : selected.filter((image) => image.ageDays > selection.countNumber);
    for (const image of eligible) if (!claimed.has(image.digest)) expired.add(image.digest);
    for (const image of selected) claimed.add(image.digest);
  }
  return expired;
}
