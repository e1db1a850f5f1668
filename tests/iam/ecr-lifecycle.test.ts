/**
 * The rendered lifecycle policies against an evaluator of ECR's documented rules
 * (tests/iam/ecr-lifecycle-evaluator.ts): what each config setting promises is what ECR would do.
 */
import * as assert from "node:assert/strict";
import {
  LifecycleSettings,
  PROTECTED_PRIORITY_BASE,
  RULE_PRIORITY_BASE,
  lifecyclePolicy,
} from "../../iam/ecr-lifecycle";
import { Image, evaluate, policyProblems } from "./ecr-lifecycle-evaluator";

/** A deterministic pseudo-random sequence, so a failure replays. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const TAG_KINDS = ["v1.", "release-", "main-", "pr-", "dev-", "feature-"];

/** Images with 0-3 tags of assorted kinds and ages, unique digests and tags. */
function images(seed: number, count: number): Image[] {
  const next = random(seed);
  return Array.from({ length: count }, (_, i) => {
    const tagCount = Math.floor(next() * 4);
    const tags = Array.from(
      { length: tagCount },
      (_, t) => `${TAG_KINDS[Math.floor(next() * TAG_KINDS.length)]}${i}-${t}`,
    );
    return { digest: `sha256:${i}`, tags: [...new Set(tags)], ageDays: Math.floor(next() * 120) };
  });
}

const SETTINGS: LifecycleSettings = {
  untaggedExpiryDays: 7,
  protectedTagPatterns: ["v*", "release-*"],
  rules: [
    { tagPrefix: "main-", keepLast: 5 },
    { tagPattern: "pr-*", expireAfterDays: 14 },
    { tagPattern: "*", expireAfterDays: 60 },
  ],
};

const policyOf = (settings: LifecycleSettings) => {
  const policy = lifecyclePolicy(settings);
  assert.ok(policy, "no policy rendered");
  return policy;
};
const matches = (tags: string[], pattern: RegExp) => tags.some((t) => pattern.test(t));

describe("lifecycle policies, evaluated as ECR documents it", () => {
  it("renders nothing when the config asks for nothing", () => {
    assert.equal(lifecyclePolicy({ protectedTagPatterns: ["v*"], rules: [] }), undefined);
  });

  it("renders policies ECR accepts: unique priorities, one list entry per rule, one untagged rule", () => {
    assert.deepEqual(policyProblems(policyOf(SETTINGS)), []);
    for (const rule of policyOf(SETTINGS).rules) {
      const s = rule.selection as { tagPatternList?: string[]; tagPrefixList?: string[] };
      assert.ok((s.tagPatternList ?? s.tagPrefixList ?? [""]).length === 1, rule.description);
    }
  });

  it("derives priorities from config order, in bands that do not move each other", () => {
    const priorities = (settings: LifecycleSettings) =>
      policyOf(settings).rules.map((r) => [r.rulePriority, r.description]);
    assert.deepEqual(
      priorities(SETTINGS).map(([p]) => p),
      [1, 100, 101, 200, 201, 202],
    );
    const moreProtected = priorities({
      ...SETTINGS,
      protectedTagPatterns: [...SETTINGS.protectedTagPatterns, "stable-*"],
    });
    const rulesOnly = (list: (string | number)[][]) =>
      list.filter(([p]) => (p as number) >= RULE_PRIORITY_BASE);
    assert.deepEqual(rulesOnly(moreProtected), rulesOnly(priorities(SETTINGS)));
    assert.ok(
      moreProtected.some(([p]) => p === PROTECTED_PRIORITY_BASE + 2),
      "the new protected pattern comes after the others",
    );
    assert.equal(JSON.stringify(policyOf(SETTINGS)), JSON.stringify(policyOf(SETTINGS)));
  });

  it("never expires a protected image, over many image sets", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const set = images(seed, 60);
      const expired = evaluate(policyOf(SETTINGS), set);
      const lost = set.filter((i) => expired.has(i.digest) && matches(i.tags, /^(v|release-)/));
      assert.deepEqual(lost, [], `seed ${seed}`);
    }
  });

  it("keeps exactly N images per prefix, the newest, when nothing else claims them", () => {
    const set = Array.from({ length: 12 }, (_, i) => ({
      digest: `d${i}`,
      tags: [`main-${i}`],
      ageDays: i * 3,
    }));
    const expired = evaluate(policyOf(SETTINGS), set);
    const kept = set.filter((i) => !expired.has(i.digest)).map((i) => i.digest);
    assert.deepEqual(kept, ["d0", "d1", "d2", "d3", "d4"]);
    const few = set.slice(0, 3);
    assert.equal(evaluate(policyOf(SETTINGS), few).size, 0, "fewer than N: all kept");
  });

  it("keeps the N newest images per prefix, exactly N when none is protected, over many image sets", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const set = images(seed, 60);
      const expired = evaluate(policyOf(SETTINGS), set);
      const main = set.filter((i) => matches(i.tags, /^main-/));
      const newest = [...main].sort((a, b) => a.ageDays - b.ageDays).slice(0, 5);
      for (const image of newest) assert.ok(!expired.has(image.digest), `seed ${seed}`);
      // Protected images count towards N (ECR counts what earlier rules matched), so with none
      // among them exactly N stay.
      if (!main.some((i) => matches(i.tags, /^(v|release-)/))) {
        assert.equal(
          main.filter((i) => !expired.has(i.digest)).length,
          Math.min(5, main.length),
          `seed ${seed}`,
        );
      }
    }
  });

  it("expires images by age per pattern, first matching rule wins, untagged ones on their own clock", () => {
    const set: Image[] = [
      { digest: "pr-old", tags: ["pr-1"], ageDays: 15 },
      { digest: "pr-new", tags: ["pr-2"], ageDays: 13 },
      { digest: "main-and-pr-old", tags: ["main-1", "pr-3"], ageDays: 90 },
      { digest: "feature-old", tags: ["feature-1"], ageDays: 61 },
      { digest: "feature-new", tags: ["feature-2"], ageDays: 59 },
      { digest: "untagged-old", tags: [], ageDays: 8 },
      { digest: "untagged-new", tags: [], ageDays: 6 },
      { digest: "release-ancient", tags: ["release-1"], ageDays: 3000 },
    ];
    const expired = [...evaluate(policyOf(SETTINGS), set)].sort();
    // main-and-pr-old is one of the newest 5 main- images: the main- rule matched it first.
    assert.deepEqual(expired, ["feature-old", "pr-old", "untagged-old"]);
  });

  it("would select no single-tagged image with a list of two patterns: why each pattern has its own rule", () => {
    const combined = policyOf({
      protectedTagPatterns: [],
      rules: [{ tagPattern: "x", keepLast: 1 }],
    });
    const rule = combined.rules[0];
    const both = {
      rules: [
        {
          ...rule,
          selection: { ...rule.selection, tagPatternList: ["main-*", "pr-*"] },
        },
      ],
    } as typeof combined;
    const set = [
      { digest: "a", tags: ["main-1"], ageDays: 2 },
      { digest: "b", tags: ["main-2"], ageDays: 1 },
    ];
    assert.equal(evaluate(both, set).size, 0);
  });
});
