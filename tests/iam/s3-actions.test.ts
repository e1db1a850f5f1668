/** The cache bucket policy's S3 action lists against the IAM action catalogue, and its shape. */
import * as assert from "node:assert/strict";
import {
  S3_ACTIONS_ELSEWHERE,
  S3_BUCKET_LEVEL_LISTS,
  S3_OBJECT_LEVEL_LISTS,
  S3_OPEN_BUCKET_READS,
} from "../../iam/s3-actions";
import {
  S3_BUCKET_ACTIONS,
  S3_OBJECT_ACTIONS,
  cacheBucketPolicy,
  CacheBucketPolicyInput,
} from "../../iam/cache-storage";
import { renderPolicy } from "../../iam/document";
import {
  CatalogueAction,
  actionCatalogue,
  isBucketAction,
  isObjectAction,
  isWrite,
} from "../../testing/ecr-catalogue";

/** S3's limit for a bucket policy. */
const BUCKET_POLICY_SIZE_LIMIT = 20 * 1024;

const input: CacheBucketPolicyInput = {
  partition: "aws",
  bucket: "registry-hub-cache-beta-222222222222",
  cacheRoleArn: "arn:aws:iam::222222222222:role/registry-hub-beta-cache",
  deployRoleArn: "arn:aws:iam::222222222222:role/pulumi-deploy",
};
const actionsOf = (action: string | string[]) => (typeof action === "string" ? [action] : action);

describe("S3 action lists of the cache bucket policy against the IAM action catalogue", () => {
  let actions: CatalogueAction[] = [];
  let version = "";
  before(async () => ({ version, actions } = await actionCatalogue("s3")));
  const lists = { ...S3_BUCKET_LEVEL_LISTS, ...S3_OBJECT_LEVEL_LISTS, S3_ACTIONS_ELSEWHERE };

  it("the catalogue lists S3's actions (so the checks below check something)", () => {
    assert.ok(actions.length > 150, `only ${actions.length} S3 actions in iam-data ${version}`);
    assert.ok(actions.some((a) => a.action === "s3:PutReplicationConfiguration"));
  });

  it("places every S3 action of the catalogue in exactly one list, and names nothing else", () => {
    const placed = new Map<string, string[]>();
    for (const [name, list] of Object.entries(lists))
      for (const action of list) placed.set(action, [...(placed.get(action) ?? []), name]);
    const unplaced = actions.filter((a) => !placed.has(a.action)).map((a) => a.action);
    assert.deepEqual(
      unplaced,
      [],
      `iam-data ${version} lists S3 actions no list of iam/s3-actions.ts places: put each in one`,
    );
    const twice = [...placed].filter(([, names]) => names.length > 1);
    assert.deepEqual(twice, [], "an action is in two lists");
    const known = new Set(actions.map((a) => a.action));
    assert.deepEqual(
      [...placed.keys()].filter((a) => !known.has(a)),
      [],
      `not in iam-data ${version}`,
    );
  });

  it("each list holds actions of its resource: object lists object actions, bucket lists bucket actions, the rest neither", () => {
    const byName = new Map(actions.map((a) => [a.action, a]));
    for (const [name, list] of Object.entries(S3_OBJECT_LEVEL_LISTS))
      for (const action of list)
        assert.ok(isObjectAction(byName.get(action)!), `${name}: ${action}`);
    for (const [name, list] of Object.entries(S3_BUCKET_LEVEL_LISTS))
      for (const action of list)
        assert.ok(isBucketAction(byName.get(action)!), `${name}: ${action}`);
    for (const action of S3_ACTIONS_ELSEWHERE) {
      const found = byName.get(action)!;
      assert.ok(!isObjectAction(found) && !isBucketAction(found), action);
    }
  });

  it("the open list holds reads only, and the cache role's grants are all in lists that admit it", () => {
    const byName = new Map(actions.map((a) => [a.action, a]));
    for (const action of S3_OPEN_BUCKET_READS) assert.ok(!isWrite(byName.get(action)!), action);
    assert.ok(S3_OPEN_BUCKET_READS.length <= 12, "the open list stays short");
    const admitsCache = new Set<string>([
      ...S3_OPEN_BUCKET_READS,
      ...S3_BUCKET_LEVEL_LISTS.S3_LISTING_ACTIONS,
      ...S3_OBJECT_LEVEL_LISTS.S3_CACHE_OBJECT_ACTIONS,
      ...S3_OBJECT_LEVEL_LISTS.S3_DELETE_OBJECT_ACTIONS,
    ]);
    for (const action of [...S3_BUCKET_ACTIONS, ...S3_OBJECT_ACTIONS])
      assert.ok(admitsCache.has(action), action);
  });

  it("keeps every list sorted, so policies render the same bytes", () => {
    for (const [name, list] of Object.entries(lists))
      assert.deepEqual([...list], [...list].sort(), name);
  });
});

describe("the cache bucket policy's shape", () => {
  const bucket = `arn:aws:s3:::${input.bucket}`;
  const objectLevel = new Set<string>(Object.values(S3_OBJECT_LEVEL_LISTS).flat());
  const bucketLevel = new Set<string>(Object.values(S3_BUCKET_LEVEL_LISTS).flat());

  it("names object actions only on bucket/* and bucket actions only on the bucket (seed 000)", () => {
    for (const statement of cacheBucketPolicy(input).Statement.slice(1)) {
      const resources = actionsOf(statement.Resource!);
      for (const action of actionsOf(statement.Action)) {
        const want = objectLevel.has(action)
          ? [`${bucket}/*`]
          : bucketLevel.has(action)
            ? [bucket]
            : [];
        assert.deepEqual(resources, want, `${statement.Sid}: ${action}`);
      }
    }
  });

  it("denies only: no Allow, no NotAction, no NotPrincipal, no action wildcard but the TLS deny", () => {
    const [tls, ...rest] = cacheBucketPolicy(input).Statement;
    assert.equal(tls.Action, "s3:*");
    for (const statement of rest) {
      assert.equal(statement.Effect, "Deny");
      assert.equal(statement.Principal, "*");
      assert.deepEqual(
        Object.keys(statement).filter((k) => k.startsWith("Not")),
        [],
      );
      for (const action of actionsOf(statement.Action)) assert.ok(!action.includes("*"), action);
    }
  });

  it("names every bucket and object action but the open reads in some deny", () => {
    const denied = new Set(
      cacheBucketPolicy(input)
        .Statement.slice(1)
        .flatMap((s) => actionsOf(s.Action)),
    );
    const expected = [...objectLevel, ...bucketLevel].filter(
      (a) => !(S3_OPEN_BUCKET_READS as readonly string[]).includes(a),
    );
    assert.deepEqual([...denied].sort(), expected.sort());
  });

  it("renders the same bytes for the same input, well inside S3's 20 KB, also during a rotation", () => {
    const rotating = {
      ...input,
      nextDeployRoleArn: "arn:aws:iam::222222222222:role/pulumi-deploy-2",
    };
    assert.equal(
      renderPolicy(cacheBucketPolicy(input)),
      renderPolicy(cacheBucketPolicy({ ...input })),
    );
    for (const policy of [input, rotating].map(cacheBucketPolicy)) {
      const size = renderPolicy(policy).length;
      assert.ok(size < BUCKET_POLICY_SIZE_LIMIT / 2, `${size} characters`);
    }
  });
});
