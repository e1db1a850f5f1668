import * as assert from "node:assert/strict";
import { planAccess } from "../../plan/access";
import {
  S3_BUCKET_GUARD_ACTIONS,
  S3_OBJECT_DATA_ACTIONS,
  cacheBucketPolicy,
} from "../../iam/cache-storage";
import { policyDocument } from "../../iam/document";
import { simulate } from "../../tools/simulate";
import { stackConfig } from "../../testing/stacks";

describe("the cache bucket's policy (IAM simulator)", () => {
  const config = stackConfig("prod");
  const puller = planAccess(config).pullers.find(
    (p) => p.kind === "cache" && p.cluster.name === "beta",
  )!;
  const cache = puller.cluster.cache!;
  const account = config.accounts.find((a) => a.name === puller.cluster.accountName)!;
  const bucketArn = `arn:aws:s3:::${cache.bucketName}`;
  const objectArn = `${bucketArn}/cache/docker/registry/v2/blobs/sha256/ab/abcd/data`;
  const resourcePolicy = cacheBucketPolicy({
    partition: puller.cluster.partition,
    bucket: cache.bucketName,
    cacheRoleArn: cache.roleArn,
    deployRoleArn: account.deployRoleArn,
  });
  /** What an account administrator, or any role someone gave broad S3 rights, holds. */
  const s3Everything = policyDocument([{ Effect: "Allow", Action: "s3:*", Resource: "*" }]);
  const otherRole = `arn:aws:iam::${puller.cluster.accountId}:role/ops-admin`;
  const decide = (principalArn: string, action: string, resourceArn: string, secure = true) =>
    simulate({
      principalArn,
      identityPolicies: [principalArn === cache.roleArn ? puller.policy : s3Everything],
      action,
      resourceArn,
      resourcePolicy,
      context: { "aws:SecureTransport": String(secure) },
    });

  it("lets the cache role read and write cached objects over TLS, and refuses it without TLS", async () => {
    for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) {
      assert.equal(await decide(cache.roleArn, action, objectArn), "Allowed", action);
      assert.equal(
        await decide(cache.roleArn, action, objectArn, false),
        "ExplicitlyDenied",
        `${action} without TLS`,
      );
    }
    assert.equal(
      await decide(cache.roleArn, "s3:ListBucket", bucketArn, false),
      "ExplicitlyDenied",
    );
  });

  it("refuses every object read and write to any other principal of the account, even with s3:*", async () => {
    for (const action of S3_OBJECT_DATA_ACTIONS) {
      assert.equal(await decide(otherRole, action, objectArn), "ExplicitlyDenied", action);
      assert.equal(
        await decide(account.deployRoleArn, action, objectArn),
        "ExplicitlyDenied",
        `deploy role: ${action}`,
      );
    }
  });

  it("lets only the deploy role change or delete the bucket policy, lifecycle or bucket", async () => {
    for (const action of S3_BUCKET_GUARD_ACTIONS) {
      assert.equal(await decide(account.deployRoleArn, action, bucketArn), "Allowed", action);
      assert.equal(await decide(otherRole, action, bucketArn), "ExplicitlyDenied", action);
      assert.notEqual(await decide(cache.roleArn, action, bucketArn), "Allowed", action);
    }
  });
});
