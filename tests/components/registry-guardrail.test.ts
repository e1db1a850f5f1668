import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import { installMocks, collect, Registered } from "../../testing/mock-runtime";
import { copy, deployPlanned, rawStack, stackConfig, validConfig } from "../../testing/stacks";
import { deployHub } from "../../hub";
import { planAccess } from "../../plan/access";

installMocks();

const MANAGEMENT = {
  managementAccountId: "999900000001",
  deployRoleArn: "arn:aws:iam::999900000001:role/pulumi-deploy",
};

describe("the registry guardrail (service control policy; mock runtime)", () => {
  const raw = copy(rawStack("prod"));
  raw.organization = MANAGEMENT;
  const config = validConfig(raw);
  let resources: Registered[];
  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const providerOf = (r: Registered) => r.provider?.split("::")[3];

  before(async () => {
    resources = await collect(() => deployHub(config, planAccess(config)));
  });

  it("creates the management account's provider: through that account's AWS profile, allowing only that account", () => {
    const provider = ofType("pulumi:providers:aws").find((p) => p.name === "organization");
    assert.ok(provider, "no provider for the management account");
    assert.deepEqual(JSON.parse(provider.inputs.allowedAccountIds), [
      MANAGEMENT.managementAccountId,
    ]);
    assert.equal(provider.inputs.profile, `registry-hub-${pulumi.getStack()}-organization`);
  });

  it("creates the planned SCP in the management account and attaches it to the registry account", () => {
    const [policy] = ofType("aws:organizations/policy:Policy");
    const [attachment] = ofType("aws:organizations/policyAttachment:PolicyAttachment");
    assert.ok(policy && attachment);
    assert.equal(policy.inputs.type, "SERVICE_CONTROL_POLICY");
    assert.equal(policy.inputs.content, planAccess(config).guardrail?.policyText);
    assert.equal(providerOf(policy), "organization");
    assert.equal(providerOf(attachment), "organization");
    assert.equal(attachment.inputs.targetId, config.registry.accountId);
    assert.equal(attachment.inputs.policyId, `${policy.name}-id`);
  });

  it("is not created when the config names no organization", async () => {
    const without = await collect(() => deployPlanned(stackConfig("prod")));
    assert.deepEqual(
      without.filter((r) => r.type.startsWith("aws:organizations/") || r.name === "organization"),
      [],
    );
  });
});
