/**
 * The config check on tags and the registry's and repositories' day-2 options: each case breaks
 * one thing in a config with every option on and expects the problem at its config path.
 */
import * as assert from "node:assert/strict";
import { display } from "../../config/display";
import { RawConfig } from "../../config/validate";
import { prepare } from "../../prepare";
import { everyOptionRaw } from "../../testing/stacks";

type Raw = RawConfig & {
  tags: Record<string, string>;
  registry: Record<string, unknown> & { scanning: { type: string; rules: Rule[] } };
  repositories: Record<string, unknown>[];
};
/** A key id as KMS makes them (KMS API Reference, KeyId). */
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
type Rule = { frequency: string; repositoryFilters: string[] };

const lifecycleOf = (raw: Raw) =>
  raw.repositories[0].lifecycle as { protectedTagPatterns: string[]; rules: object[] };

const CASES: { title: string; break: (raw: Raw) => void; path: string; message: RegExp }[] = [
  {
    title: "a tag key in AWS's namespace",
    break: (raw) => (raw.tags["AWS:owner"] = "me"),
    path: "registry-hub:tags.AWS:owner",
    message: /reserved for AWS/,
  },
  {
    title: "a tag key in the hub's namespace",
    break: (raw) => (raw.tags["registry-hub:stack"] = "other"),
    path: "registry-hub:tags.registry-hub:stack",
    message: /the hub's own/,
  },
  {
    title: "a tag key with a character AWS refuses",
    break: (raw) => (raw.tags["team#1"] = "x"),
    path: 'registry-hub:tags["team#1"]',
    message: /letters, digits, spaces/,
  },
  {
    title: "a tag value over 256 characters",
    break: (raw) => (raw.tags.team = "x".repeat(257)),
    path: "registry-hub:tags.team",
    message: /at most 256/,
  },
  {
    title: "a tag key of 129 characters outside the Basic Multilingual Plane",
    break: (raw) => (raw.tags["\u{20000}".repeat(129)] = "x"),
    path: `registry-hub:tags[${display("\u{20000}".repeat(129))}]`,
    message: /: a tag key has 1-128 characters$/,
  },
  {
    title: "a tag value of 257 characters outside the Basic Multilingual Plane",
    break: (raw) => (raw.tags.team = "\u{20000}".repeat(257)),
    path: "registry-hub:tags.team",
    message: /: a tag value has at most 256 characters$/,
  },
  {
    title: "more tags than leave room for the hub's",
    break: (raw) => {
      for (let i = 0; i < 46; i++) raw.tags[`t${i}`] = "v";
    },
    path: "registry-hub:tags",
    message: /at most 47 tags/,
  },
  {
    title: "a MUTABLE repository",
    break: (raw) => (raw.repositories[1].imageTagMutability = "MUTABLE"),
    path: "registry-hub:repositories[1].imageTagMutability",
    message: /MUTABLE is no longer accepted.*mutableTagPatterns/,
  },
  {
    title: "six mutable tag patterns",
    break: (raw) => (raw.repositories[0].mutableTagPatterns = ["a", "b", "c", "d", "e", "f"]),
    path: "registry-hub:repositories[0].mutableTagPatterns",
    message: /at most 5/,
  },
  {
    title: "a mutable tag pattern that matches every tag",
    break: (raw) => (raw.repositories[0].mutableTagPatterns = ["**"]),
    path: "registry-hub:repositories[0].mutableTagPatterns[0]",
    message: /every tag mutable/,
  },
  {
    title: "a mutable tag pattern with three wildcards",
    break: (raw) => (raw.repositories[0].mutableTagPatterns = ["*a*b*"]),
    path: "registry-hub:repositories[0].mutableTagPatterns[0]",
    message: /at most 2 \*/,
  },
  {
    title: "a lifecycle rule with both a pattern and a prefix",
    break: (raw) => (lifecycleOf(raw).rules[0] = { tagPattern: "a*", tagPrefix: "a", keepLast: 1 }),
    path: "registry-hub:repositories[0].lifecycle.rules[0].tagPattern",
    message: /exactly one/,
  },
  {
    title: "a lifecycle rule that neither keeps nor expires",
    break: (raw) => (lifecycleOf(raw).rules[0] = { tagPrefix: "a" }),
    path: "registry-hub:repositories[0].lifecycle.rules[0].keepLast",
    message: /keepLast or expireAfterDays/,
  },
  {
    title: "a rule on a protected pattern",
    break: (raw) => (lifecycleOf(raw).rules[1] = { tagPattern: "v*", expireAfterDays: 3 }),
    path: "registry-hub:repositories[0].lifecycle.rules[1].tagPattern",
    message: /pattern v\* is already used at protectedTagPatterns\.0/,
  },
  {
    title: "a lifecycle pattern with five wildcards",
    break: (raw) => (lifecycleOf(raw).protectedTagPatterns = ["*a*b*c*d*"]),
    path: "registry-hub:repositories[0].lifecycle.protectedTagPatterns[0]",
    message: /at most 4 \*/,
  },
  {
    title: "more lifecycle rules than ECR takes",
    break: (raw) =>
      (lifecycleOf(raw).rules = Array.from({ length: 48 }, (_, i) => ({
        tagPrefix: `p${i}-`,
        keepLast: 1,
      }))),
    path: "registry-hub:repositories[0].lifecycle",
    message: /51 lifecycle rules .* at most 50/,
  },
  {
    title: "both a key ARN and createKey",
    break: (raw) =>
      (raw.registry.encryption = {
        createKey: true,
        kmsKeyArn: "arn:aws:kms:us-east-1:333333333333:key/abc",
      }),
    path: "registry-hub:registry.encryption",
    message: /kmsKeyArn .* or createKey/,
  },
  {
    title: "a key in another region",
    break: (raw) =>
      (raw.registry.encryption = { kmsKeyArn: `arn:aws:kms:eu-west-1:333333333333:key/${KEY_ID}` }),
    path: "registry-hub:registry.encryption.kmsKeyArn",
    message: /not in the registry's region us-east-1/,
  },
  {
    title: "a key of the aws-cn partition for a registry in aws",
    break: (raw) =>
      (raw.registry.encryption = {
        kmsKeyArn: `arn:aws-cn:kms:us-east-1:333333333333:key/${KEY_ID}`,
      }),
    path: "registry-hub:registry.encryption.kmsKeyArn",
    message: /: is in partition aws-cn; the registry \(region us-east-1\) is in partition aws$/,
  },
  {
    title: "a key in a partition that does not exist (awsx)",
    break: (raw) =>
      (raw.registry.encryption = {
        kmsKeyArn: `arn:awsx:kms:us-east-1:333333333333:key/${KEY_ID}`,
      }),
    path: "registry-hub:registry.encryption.kmsKeyArn",
    message: /: not a KMS key ARN: no AWS partition is called awsx \(aws, aws-cn, /,
  },
  {
    title: "a key id of 200 characters",
    break: (raw) =>
      (raw.registry.encryption = {
        kmsKeyArn: `arn:aws:kms:us-east-1:333333333333:key/${"a".repeat(200)}`,
      }),
    path: "registry-hub:registry.encryption.kmsKeyArn",
    message:
      /: key id "a{100}" \(and 100 more characters\) is not a KMS key id: a UUID like 1234abcd-12ab-34cd-56ef-1234567890ab, or mrk- and 32 hex digits for a multi-Region key$/,
  },
  {
    title: "a multi-Region key id with 31 hex digits",
    break: (raw) =>
      (raw.registry.encryption = {
        kmsKeyArn: `arn:aws:kms:us-east-1:333333333333:key/mrk-${"0".repeat(31)}`,
      }),
    path: "registry-hub:registry.encryption.kmsKeyArn",
    message: /: key id mrk-0{31} is not a KMS key id/,
  },
  {
    title: "an organization deploy role of another partition",
    break: (raw) =>
      ((raw.organization as Record<string, string>).deployRoleArn =
        "arn:aws-us-gov:iam::999999999999:role/pulumi-deploy"),
    path: "registry-hub:organization.deployRoleArn",
    message: /: is in partition aws-us-gov; the registry \(region us-east-1\) is in partition aws$/,
  },
  {
    title: "continuous scanning with BASIC",
    break: (raw) => (raw.registry.scanning.type = "BASIC"),
    path: "registry-hub:registry.scanning.rules[0].frequency",
    message: /needs type ENHANCED/,
  },
  {
    title: "a MANUAL scanning rule",
    break: (raw) => (raw.registry.scanning.rules[0].frequency = "MANUAL"),
    path: "registry-hub:registry.scanning.rules[0].frequency",
    message: /no MANUAL rule/,
  },
  {
    title: "scanning rules that leave some repositories unscanned",
    break: (raw) => (raw.registry.scanning.rules[1].repositoryFilters = ["team/*"]),
    path: "registry-hub:registry.scanning.rules",
    message: /no rule covers every repository/,
  },
  {
    title: "a scanning filter with upper-case letters",
    break: (raw) => (raw.registry.scanning.rules[0].repositoryFilters = ["Team/*"]),
    path: "registry-hub:registry.scanning.rules[0].repositoryFilters[0]",
    message: /repository name pattern/,
  },
];

describe("config check of tags and repository options", () => {
  it("accepts the config with every option on", () => {
    const validation = prepare(everyOptionRaw());
    assert.ok(validation.ok, validation.ok ? "" : validation.problems.join("\n"));
  });

  it("counts tag keys and values in characters, as AWS does, not in UTF-16 units", () => {
    // U+20000 is a letter (CJK) that takes two UTF-16 units.
    const raw = everyOptionRaw() as Raw;
    raw.tags["\u{20000}".repeat(128)] = "\u{20000}".repeat(256);
    const validation = prepare(raw);
    assert.ok(validation.ok, validation.ok ? "" : validation.problems.join("\n"));
  });

  it("accepts a key of its own by UUID and a multi-Region key", () => {
    for (const keyId of [KEY_ID, `mrk-${"0123456789abcdef".repeat(2)}`]) {
      const raw = everyOptionRaw() as Raw;
      raw.registry.encryption = { kmsKeyArn: `arn:aws:kms:us-east-1:333333333333:key/${keyId}` };
      const validation = prepare(raw);
      assert.ok(validation.ok, validation.ok ? "" : validation.problems.join("\n"));
    }
  });

  for (const c of CASES) {
    it(`refuses ${c.title}, at ${c.path}`, () => {
      const raw = everyOptionRaw() as Raw;
      c.break(raw);
      const validation = prepare(raw);
      assert.equal(validation.ok, false, "accepted");
      const problems = validation.ok ? [] : validation.problems;
      const hit = problems.find((p) => p.startsWith(`${c.path}: `));
      assert.ok(hit, `nothing at ${c.path}:\n  ${problems.join("\n  ")}`);
      assert.match(hit, c.message);
    });
  }
});
