import * as assert from "node:assert/strict";
import { simulate } from "../../tools/simulate";
import { planAccess } from "../../plan/access";
import { policyDocument } from "../../iam/document";
import { S3_BUCKET_ACTIONS, S3_OBJECT_ACTIONS } from "../../iam/cache-storage";
import { stackConfig } from "../../testing/stacks";

describe("the cache's IRSA role (IAM simulator)", () => {
  const config = stackConfig("prod");
  const plan = planAccess(config);
  const role = plan.pullers.find((p) => p.kind === "cache" && p.cluster.name === "beta")!;
  const bucket = role.cluster.cache!.bucketName;
  const asRole = (action: string, resourceArn: string, identityPolicy = role.policy) =>
    simulate({
      principalArn: role.principalArn,
      identityPolicies: [identityPolicy],
      action,
      resourceArn,
    });

  it("may list and locate its bucket and list its multipart uploads", async () => {
    for (const action of [
      "s3:ListBucket",
      "s3:GetBucketLocation",
      "s3:ListBucketMultipartUploads",
    ]) {
      assert.equal(await asRole(action, `arn:aws:s3:::${bucket}`), "Allowed", action);
    }
  });

  it("may read, write and delete objects and manage their multipart uploads", async () => {
    for (const action of [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]) {
      assert.equal(
        await asRole(action, `arn:aws:s3:::${bucket}/cache/docker/registry/v2/blobs/x/data`),
        "Allowed",
        action,
      );
    }
  });

  it("gets nothing on another bucket, and cannot change its own bucket", async () => {
    for (const action of ["s3:GetObject", "s3:PutObject"]) {
      assert.equal(
        await asRole(action, "arn:aws:s3:::registry-hub-cache-prod-222222222222/x"),
        "ImplicitlyDenied",
        action,
      );
    }
    assert.equal(
      await asRole("s3:ListBucket", "arn:aws:s3:::registry-hub-cache-prod-222222222222"),
      "ImplicitlyDenied",
    );
    assert.equal(
      await asRole("s3:ListBucket", "arn:aws:s3:::someone-elses-bucket"),
      "ImplicitlyDenied",
    );
    assert.equal(await asRole("s3:PutBucketPolicy", `arn:aws:s3:::${bucket}`), "ImplicitlyDenied");
    assert.equal(await asRole("s3:DeleteBucket", `arn:aws:s3:::${bucket}`), "ImplicitlyDenied");
  });

  it("gets nothing from a bucket of the same name in another account (s3:ResourceAccount)", async () => {
    const requests = [
      ...S3_BUCKET_ACTIONS.map((action) => ({ action, resourceArn: `arn:aws:s3:::${bucket}` })),
      ...S3_OBJECT_ACTIONS.map((action) => ({
        action,
        resourceArn: `arn:aws:s3:::${bucket}/cache/docker/registry/v2/blobs/x/data`,
      })),
    ];
    for (const { action, resourceArn } of requests) {
      const inAccount = (account: string) =>
        simulate({
          principalArn: role.principalArn,
          identityPolicies: [role.policy],
          action,
          resourceArn,
          context: { "s3:ResourceAccount": account },
        });
      assert.equal(await inAccount(role.cluster.accountId), "Allowed", action);
      assert.equal(await inAccount("444400000001"), "ImplicitlyDenied", action);
    }
  });

  it("granting everything on bucket/* only leaves the list calls denied: the registry's HTTP 500", async () => {
    const objectsOnly = policyDocument([
      { Effect: "Allow", Action: "s3:*", Resource: `arn:aws:s3:::${bucket}/*` },
    ]);
    for (const action of [
      "s3:ListBucket",
      "s3:GetBucketLocation",
      "s3:ListBucketMultipartUploads",
    ]) {
      assert.equal(
        await asRole(action, `arn:aws:s3:::${bucket}`, objectsOnly),
        "ImplicitlyDenied",
        action,
      );
    }
    assert.equal(await asRole("s3:GetObject", `arn:aws:s3:::${bucket}/x`, objectsOnly), "Allowed");
  });

  it("may pull from the central registry (both halves) and cannot push", async () => {
    for (const repo of plan.repositories) {
      for (const action of [
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability",
      ]) {
        const decision = await simulate({
          principalArn: role.principalArn,
          identityPolicies: [role.policy],
          action,
          resourceArn: repo.repository.arn,
          resourcePolicy: repo.policy,
        });
        assert.equal(decision, "Allowed", `${action} on ${repo.repository.name}`);
      }
      const push = await simulate({
        principalArn: role.principalArn,
        identityPolicies: [role.policy],
        action: "ecr:PutImage",
        resourceArn: repo.repository.arn,
        resourcePolicy: repo.policy,
      });
      assert.notEqual(push, "Allowed");
    }
    assert.equal(await asRole("ecr:GetAuthorizationToken", "*"), "Allowed");
  });
});
