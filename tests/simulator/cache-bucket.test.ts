/**
 * The cache bucket's policy, simulated for every S3 action of the IAM action catalogue that acts
 * on a bucket or an object: deny by default for every principal of the account, whatever its
 * identity policy grants.
 */
import * as assert from "node:assert/strict";
import { planAccess } from "../../plan/access";
import { CacheBucketPolicyInput, cacheBucketPolicy } from "../../iam/cache-storage";
import { PolicyDocument, policyDocument } from "../../iam/document";
import {
  S3_BUCKET_MANAGEMENT_ACTIONS,
  S3_CACHE_OBJECT_ACTIONS,
  S3_DELETE_OBJECT_ACTIONS,
  S3_LISTING_ACTIONS,
  S3_OPEN_BUCKET_READS,
} from "../../iam/s3-actions";
import { Decision, simulate } from "../../tools/simulate";
import { stackConfig } from "../../testing/stacks";
import { actionCatalogue, isBucketAction, isObjectAction } from "../../testing/ecr-catalogue";

/** What an account administrator, or any role someone gave broad S3 rights, holds. */
const s3Everything = policyDocument([{ Effect: "Allow", Action: "s3:*", Resource: "*" }]);

describe("the cache bucket's policy (IAM simulator)", () => {
  const config = stackConfig("prod");
  const puller = planAccess(config).pullers.find(
    (p) => p.kind === "cache" && p.cluster.name === "beta",
  )!;
  const cache = puller.cluster.cache!;
  const account = config.accounts.find((a) => a.name === puller.cluster.accountName)!;
  const bucketArn = `arn:aws:s3:::${cache.bucketName}`;
  const objectArn = `${bucketArn}/cache/docker/registry/v2/blobs/sha256/ab/abcd/data`;
  const policyInput: CacheBucketPolicyInput = {
    partition: puller.cluster.partition,
    bucket: cache.bucketName,
    cacheRoleArn: cache.roleArn,
    deployRoleArn: account.deployRoleArn,
  };
  const resourcePolicy = cacheBucketPolicy(policyInput);
  const otherRole = `arn:aws:iam::${puller.cluster.accountId}:role/ops-admin`;
  const newDeployRole = `arn:aws:iam::${puller.cluster.accountId}:role/pulumi-deploy-2`;
  const decide = (
    principalArn: string,
    action: string,
    resourceArn: string,
    options: { secure?: boolean; identity?: PolicyDocument; policy?: PolicyDocument } = {},
  ) =>
    simulate({
      principalArn,
      identityPolicies: [
        options.identity ?? (principalArn === cache.roleArn ? puller.policy : s3Everything),
      ],
      action,
      resourceArn,
      resourcePolicy: options.policy ?? resourcePolicy,
      context: { "aws:SecureTransport": String(options.secure ?? true) },
    });

  /** Every catalogue action on the bucket or its objects, with the ARN it acts on. */
  let requests: { action: string; resourceArn: string }[] = [];
  before(async () => {
    const { actions } = await actionCatalogue("s3");
    requests = actions.flatMap((a) =>
      isObjectAction(a)
        ? [{ action: a.action, resourceArn: objectArn }]
        : isBucketAction(a)
          ? [{ action: a.action, resourceArn: bucketArn }]
          : [],
    );
    assert.ok(requests.length > 100, `${requests.length} bucket and object actions`);
  });

  /** Each request's decision for the principal holding s3:*, where it differs from `want`. */
  async function mismatches(principalArn: string, want: (action: string) => Decision) {
    const got = await Promise.all(
      requests.map(async (r) => {
        const decision = await decide(principalArn, r.action, r.resourceArn, {
          identity: s3Everything,
        });
        return decision === want(r.action) ? [] : [`${r.action}: ${decision}`];
      }),
    );
    return got.flat();
  }
  const inList = (list: readonly string[]) => (action: string) => list.includes(action);
  const open = inList(S3_OPEN_BUCKET_READS);

  it("refuses every bucket and object action of the catalogue to another principal of the account holding s3:*, but the named reads", async () => {
    assert.deepEqual(
      await mismatches(otherRole, (a) => (open(a) ? "Allowed" : "ExplicitlyDenied")),
      [],
    );
    // What the review found open on today's main, by name.
    for (const action of [
      "s3:PutReplicationConfiguration",
      "s3:PutBucketVersioning",
      "s3:PutEncryptionConfiguration",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketAcl",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketTagging",
      "s3:ListBucket",
    ])
      assert.equal(await decide(otherRole, action, bucketArn), "ExplicitlyDenied", action);
    for (const action of [
      "s3:GetObjectVersionForReplication",
      "s3:ReplicateObject",
      "s3:InitiateReplication",
      "s3:PutObjectAcl",
      "s3:GetObject",
      "s3:PutObject",
    ])
      assert.equal(await decide(otherRole, action, objectArn), "ExplicitlyDenied", action);
  });

  it("bounds the cache role to its storage even were it granted s3:*: read, write, list, delete", async () => {
    const cacheMay = (a: string) =>
      open(a) ||
      inList(S3_CACHE_OBJECT_ACTIONS)(a) ||
      inList(S3_DELETE_OBJECT_ACTIONS)(a) ||
      inList(S3_LISTING_ACTIONS)(a);
    assert.deepEqual(
      await mismatches(cache.roleArn, (a) => (cacheMay(a) ? "Allowed" : "ExplicitlyDenied")),
      [],
    );
  });

  it("lets the cache role read and write cached objects over TLS with its own policy, and refuses it without TLS", async () => {
    for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) {
      assert.equal(await decide(cache.roleArn, action, objectArn), "Allowed", action);
      assert.equal(
        await decide(cache.roleArn, action, objectArn, { secure: false }),
        "ExplicitlyDenied",
        `${action} without TLS`,
      );
    }
    assert.equal(
      await decide(cache.roleArn, "s3:ListBucket", bucketArn, { secure: false }),
      "ExplicitlyDenied",
    );
  });

  it("lets the deploy role manage the bucket and purge it (list, delete), never read or write cached objects", async () => {
    const deployMay = (a: string) =>
      open(a) ||
      inList(S3_BUCKET_MANAGEMENT_ACTIONS)(a) ||
      inList(S3_LISTING_ACTIONS)(a) ||
      inList(S3_DELETE_OBJECT_ACTIONS)(a);
    assert.deepEqual(
      await mismatches(account.deployRoleArn, (a) =>
        deployMay(a) ? "Allowed" : "ExplicitlyDenied",
      ),
      [],
    );
    // The purge path of docs/operations.md: ListObjectsV2, then DeleteObjects.
    assert.equal(await decide(account.deployRoleArn, "s3:ListBucket", bucketArn), "Allowed");
    assert.equal(await decide(account.deployRoleArn, "s3:DeleteObject", objectArn), "Allowed");
    assert.equal(await decide(otherRole, "s3:DeleteObject", objectArn), "ExplicitlyDenied");
  });

  describe("rotating the account's deploy role (docs/operations.md)", () => {
    const guarded = ["s3:PutBucketPolicy", "s3:PutLifecycleConfiguration", "s3:DeleteBucket"];
    const during = cacheBucketPolicy({ ...policyInput, nextDeployRoleArn: newDeployRole });
    const after = cacheBucketPolicy({ ...policyInput, deployRoleArn: newDeployRole });

    it("without nextDeployRoleArn, a new deploy role is locked out of the bucket policy it must update", async () => {
      for (const action of guarded)
        assert.equal(await decide(newDeployRole, action, bucketArn), "ExplicitlyDenied", action);
    });

    it("while nextDeployRoleArn names it, the new role may update the policy and lifecycle, as the old one still may", async () => {
      for (const role of [account.deployRoleArn, newDeployRole])
        for (const action of guarded)
          assert.equal(
            await decide(role, action, bucketArn, { policy: during }),
            "Allowed",
            `${role}: ${action}`,
          );
      assert.equal(
        await decide(newDeployRole, "s3:GetObject", objectArn, { policy: during }),
        "ExplicitlyDenied",
      );
    });

    it("once deployRoleArn is the new role and nextDeployRoleArn is gone, the old role is refused", async () => {
      for (const action of [...guarded, "s3:DeleteObject"]) {
        const arn = action === "s3:DeleteObject" ? objectArn : bucketArn;
        assert.equal(
          await decide(account.deployRoleArn, action, arn, { policy: after }),
          "ExplicitlyDenied",
          action,
        );
        assert.equal(
          await decide(newDeployRole, action, arn, { policy: after }),
          "Allowed",
          action,
        );
      }
    });
  });
});
