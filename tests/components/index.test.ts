import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, collect } from "../../testing/mock-runtime";
import { rawStack } from "../../testing/stacks";
import { prepareStack } from "../../prepare";
import { PROJECT } from "../../config/schema";

installMocks();

function setStackConfig(raw: Record<string, unknown>): void {
  pulumi.runtime.setAllConfig(
    Object.fromEntries(
      Object.entries(raw).map(([key, value]) => [`${PROJECT}:${key}`, JSON.stringify(value)]),
    ),
  );
}

describe("index.ts: the stack's config in, resources out", () => {
  it("reads the registry-hub:* keys of the stack and deploys them", async () => {
    setStackConfig(rawStack("prod"));
    let program: Record<string, unknown> = {};
    const resources = await collect(async () => (program = await import("../../index")));
    assert.ok(
      resources.some(
        (r) => r.type === "aws:ecr/repository:Repository" && r.inputs.name === "team/app",
      ),
    );
    assert.deepEqual(Object.keys(program).sort(), [
      "caches",
      "consumerPolicies",
      "registryId",
      "repositoryPolicyChars",
      "repositoryUrls",
    ]);
  });

  it("stops with every problem, by config path, before registering anything", async () => {
    const raw = structuredClone(rawStack("prod")) as any;
    raw.registry.accountId = "3333";
    raw.repositories[0].pushers = ["nobody"];
    raw.accounts[1].clusters[0].nodeRoleArn = "arn:aws:iam::222222222222:user/someone";
    setStackConfig(raw);
    let error: unknown;
    const resources = await collect(() => {
      try {
        prepareStack();
      } catch (e) {
        error = e;
      }
    });
    assert.equal(resources.length, 0);
    assert.ok(
      error instanceof pulumi.RunError,
      "a RunError prints its message without a stack trace",
    );
    const message = error.message;
    assert.match(message, /registry-hub:registry\.accountId: not a 12-digit AWS account id/);
    assert.match(
      message,
      /registry-hub:accounts\[1\]\.clusters\[0\]\.nodeRoleArn: not an IAM role ARN/,
    );
    assert.match(message, /registry-hub:repositories\[0\]\.pushers\[0\]: unknown pusher nobody/);
  });
});
