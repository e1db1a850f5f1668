/**
 * Every taggable AWS resource of the program carries the config's tags and the hub's own: the
 * provider's defaultTags, merged with the resource's own tags as the AWS provider merges them.
 * Which types are taggable comes from @pulumi/aws's own type definitions (a `tags` input), so a
 * new resource type is classified without a hand-kept list.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { HubConfig, allClusters } from "../../config/model";
import { deployHub } from "../../hub";
import { HUB_TAGS } from "../../components/providers";
import { everyOptionRaw, stackConfig, validConfig } from "../../testing/stacks";
import { Registered, collect, installMocks } from "../../testing/mock-runtime";
import { planAccess } from "../../plan/access";

installMocks();

const AWS_PACKAGE = path.dirname(require.resolve("@pulumi/aws/package.json"));

/** Whether `aws:<module>/<file>:<Type>`'s Args interface in @pulumi/aws has a `tags` input. */
export function isTaggable(type: string): boolean {
  const match = /^aws:([a-zA-Z0-9]+)\/([a-zA-Z0-9]+):([A-Za-z0-9]+)$/.exec(type);
  if (!match) throw new Error(`not an @pulumi/aws resource type: ${type}`);
  const [, module, file, name] = match;
  const text = fs.readFileSync(path.join(AWS_PACKAGE, module, `${file}.d.ts`), "utf8");
  const args = new RegExp(`export interface ${name}Args \\{([\\s\\S]*?)\\n\\}`).exec(text);
  if (!args) throw new Error(`no ${name}Args in @pulumi/aws/${module}/${file}.d.ts`);
  return /^\s+tags\?:/m.test(args[1]);
}

/** Types that are not AWS resources, or create theirs through a provider handed to them. */
const NOT_AWS = [/^pulumi:providers:/, /^kubernetes:/, /^random:/, /^registry-hub:/];

function parseInput<T>(value: unknown): T {
  return (typeof value === "string" ? JSON.parse(value) : value) as T;
}

const cases: [string, () => HubConfig][] = [
  ["Pulumi.prod.yaml", () => stackConfig("prod")],
  ["Pulumi.sandbox.yaml", () => stackConfig("sandbox")],
  ["Pulumi.prod.yaml with every option", () => validConfig(everyOptionRaw())],
];

for (const [title, load] of cases) {
  describe(`tags of ${title} (mock runtime)`, () => {
    let config: HubConfig;
    let resources: Registered[];

    before(async () => {
      config = load();
      resources = await collect(() => deployHub(config, planAccess(config)));
    });

    it("gives every AWS provider the config's tags, the stack and the account it serves", () => {
      const providers = resources.filter((r) => r.type === "pulumi:providers:aws");
      const serves = (name: string) =>
        name === "registry" || name === "organization" ? "registry" : name.replace(/^account-/, "");
      assert.ok(providers.length > 0);
      for (const provider of providers) {
        assert.deepEqual(
          parseInput<{ tags?: Record<string, string> }>(provider.inputs.defaultTags)?.tags,
          {
            ...config.tags,
            [HUB_TAGS.stack]: "test",
            [HUB_TAGS.account]: serves(provider.name),
          },
          provider.name,
        );
      }
    });

    it("leaves no taggable AWS resource without them, and classifies every type it creates", () => {
      const defaultTags = new Map(
        resources
          .filter((r) => r.type === "pulumi:providers:aws")
          .map((p) => [
            p.name,
            parseInput<{ tags?: Record<string, string> }>(p.inputs.defaultTags)?.tags ?? {},
          ]),
      );
      const clusters = new Set(allClusters(config).map((c) => c.name));
      const problems: string[] = [];
      const taggable = new Set<string>();
      for (const r of resources) {
        if (NOT_AWS.some((pattern) => pattern.test(r.type))) continue;
        if (r.type === "eks:index:Cluster") {
          // A remote component: its AWS resources get the provider's defaultTags inside it.
          if (r.inputs.tags?.[HUB_TAGS.cluster] !== r.inputs.name)
            problems.push(`${r.urn}: no ${HUB_TAGS.cluster} tag`);
          continue;
        }
        if (!r.type.startsWith("aws:")) {
          problems.push(`${r.urn}: unclassified type; say whether it creates AWS resources`);
          continue;
        }
        if (!isTaggable(r.type)) continue;
        taggable.add(r.type);
        const provider = r.provider?.split("::")[3] ?? "";
        const tags = { ...defaultTags.get(provider), ...(r.inputs.tags ?? {}) };
        for (const [key, value] of Object.entries({ ...config.tags })) {
          if (tags[key] !== value) problems.push(`${r.urn}: tag ${key} missing`);
        }
        for (const key of [HUB_TAGS.stack, HUB_TAGS.account]) {
          if (!tags[key]) problems.push(`${r.urn}: tag ${key} missing`);
        }
        // What serves one cluster says which (the components name such resources <cluster>-...).
        const perCluster = /registry-hub:(cache:RegistryCache|eks:EksCluster)\$/.test(r.urn);
        const cluster = tags[HUB_TAGS.cluster];
        if (perCluster && !(clusters.has(cluster) && r.name.startsWith(`${cluster}-`)))
          problems.push(`${r.urn}: ${HUB_TAGS.cluster} is ${cluster}`);
      }
      assert.deepEqual(problems, []);
      assert.ok(taggable.has("aws:ecr/repository:Repository"), "repositories are taggable");
    });
  });
}

describe("taggable types, from @pulumi/aws's type definitions", () => {
  it("tells taggable resources from the ones that are not", () => {
    assert.equal(isTaggable("aws:ecr/repository:Repository"), true);
    assert.equal(isTaggable("aws:s3/bucket:Bucket"), true);
    assert.equal(isTaggable("aws:iam/role:Role"), true);
    assert.equal(isTaggable("aws:ecr/repositoryPolicy:RepositoryPolicy"), false);
    assert.equal(isTaggable("aws:iam/rolePolicy:RolePolicy"), false);
    assert.equal(isTaggable("aws:s3/bucketPolicy:BucketPolicy"), false);
  });
});
