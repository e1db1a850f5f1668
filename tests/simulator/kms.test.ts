/**
 * A KMS-encrypted registry, in the IAM simulator. ECR encrypts and decrypts image layers itself,
 * with the grants it creates on the key for each repository (ECR user guide, encryption at
 * rest), so pulling takes no KMS permission from the puller: cross-account pulls keep working
 * on the same two policy halves as without encryption. The key policy lets only the admins and
 * the deploy role manage the key, and use it only through ECR.
 */
import * as assert from "node:assert/strict";
import { HubConfig } from "../../config/model";
import { planAccess } from "../../plan/access";
import { PolicyDocument, policyDocument } from "../../iam/document";
import { GET_AUTHORIZATION_TOKEN, PULL_ACTIONS } from "../../iam/ecr-actions";
import { Decision, simulate } from "../../tools/simulate";
import { everyOptionRaw, validConfig } from "../../testing/stacks";

const KEY_ARN = "arn:aws:kms:us-east-1:333333333333:key/registry-hub-test";
const VIA_ECR = {
  "kms:ViaService": "ecr.us-east-1.amazonaws.com",
  "kms:CallerAccount": "333333333333",
};
const kmsEverything = policyDocument([{ Effect: "Allow", Action: "kms:*", Resource: "*" }]);

describe("simulator: a KMS-encrypted registry", () => {
  let config: HubConfig;
  let withoutKey: HubConfig;

  before(() => {
    config = validConfig(everyOptionRaw());
    const raw = everyOptionRaw();
    delete (raw.registry as Record<string, unknown>).encryption;
    withoutKey = validConfig(raw);
  });

  it("changes no repository policy and no puller's policy: encryption needs nothing from consumers", () => {
    const texts = (c: HubConfig) => {
      const plan = planAccess(c);
      return [
        ...plan.repositories.map((r) => r.policyText),
        ...plan.pullers.map((p) => p.policyText),
      ];
    };
    assert.deepEqual(texts(config), texts(withoutKey));
    for (const puller of planAccess(config).pullers) {
      assert.doesNotMatch(puller.policyText, /kms:/i, puller.principalArn);
    }
  });

  it("lets every cluster's roles still pull every repository they may, across accounts", async () => {
    const plan = planAccess(config);
    const failures: string[] = [];
    for (const puller of plan.pullers) {
      for (const repo of plan.repositories) {
        const allowed =
          repo.repository.clusters === undefined ||
          repo.repository.clusters.includes(puller.cluster.name);
        if (!allowed) continue;
        for (const action of PULL_ACTIONS) {
          const decision = await simulate({
            principalArn: puller.principalArn,
            identityPolicies: [puller.policy],
            action,
            resourceArn: repo.repository.arn,
            resourcePolicy: repo.policy,
          });
          if (decision !== "Allowed")
            failures.push(`${puller.principalArn} ${action} ${repo.repository.name}: ${decision}`);
        }
      }
      const token = await simulate({
        principalArn: puller.principalArn,
        identityPolicies: [puller.policy],
        action: GET_AUTHORIZATION_TOKEN,
        resourceArn: "*",
      });
      if (token !== "Allowed") failures.push(`${puller.principalArn} token: ${token}`);
    }
    assert.deepEqual(failures, []);
  });

  describe("the key policy", () => {
    let keyPolicy: PolicyDocument;
    const onKey = (
      principalArn: string,
      action: string,
      identityPolicies: PolicyDocument[],
      context?: Record<string, string>,
    ): Promise<Decision> =>
      simulate({
        principalArn,
        identityPolicies,
        action,
        resourceArn: KEY_ARN,
        resourcePolicy: keyPolicy,
        context,
      });

    before(() => {
      keyPolicy = planAccess(config).registryKey!.policy;
    });

    it("lets the deploy role and the admins create and retire ECR's grants, through ECR only", async () => {
      for (const principal of [config.registry.deployRoleArn, ...config.registry.admins]) {
        for (const action of ["kms:CreateGrant", "kms:RetireGrant"]) {
          assert.equal(
            await onKey(principal, action, [], VIA_ECR),
            "Allowed",
            `${principal} ${action}`,
          );
          assert.equal(
            await onKey(principal, action, [], { "kms:CallerAccount": "333333333333" }),
            "ImplicitlyDenied",
            `${principal} ${action} outside ECR`,
          );
        }
      }
    });

    it("never lets the admins or the deploy role lock themselves out, nor decrypt directly", async () => {
      for (const principal of [config.registry.deployRoleArn, ...config.registry.admins]) {
        for (const action of ["kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:ScheduleKeyDeletion"]) {
          assert.equal(await onKey(principal, action, []), "Allowed", `${principal} ${action}`);
        }
        assert.equal(await onKey(principal, "kms:Decrypt", []), "ImplicitlyDenied");
      }
    });

    it("grants pullers and pushers nothing on the key, even holding kms:* themselves", async () => {
      const plan = planAccess(config);
      const pusherArns = [...new Set(plan.repositories.flatMap((r) => r.repository.pusherArns))];
      const consumers = [...plan.pullers.map((p) => p.principalArn)];
      for (const principal of consumers) {
        for (const action of ["kms:Decrypt", "kms:CreateGrant", "kms:GenerateDataKey"]) {
          assert.equal(
            await onKey(principal, action, [kmsEverything], VIA_ECR),
            "ImplicitlyDenied",
            `${principal} ${action}`,
          );
        }
      }
      // Same-account pushers: the simulator lets an identity policy alone grant on a key of its
      // own account; KMS does not without a key policy delegating to the account, which this one
      // never does. So for them only what the key policy itself grants is asserted: nothing.
      for (const principal of pusherArns) {
        assert.equal(await onKey(principal, "kms:Decrypt", [], VIA_ECR), "ImplicitlyDenied");
      }
    });
  });
});
