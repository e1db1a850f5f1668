/**
 * What the optional service control policy adds, simulated with and without it: registry-level
 * ECR actions (no repository policy reaches them), creating or deleting repositories, changing
 * the roles the repository policies exempt, and creating ECR's service-linked roles.
 */
import * as assert from "node:assert/strict";
import { policyDocument } from "../../iam/document";
import { REGISTRY_ACTIONS } from "../../iam/ecr-actions";
import { ROLE_CHANGE_ACTIONS } from "../../iam/registry-guardrail";
import { planAccess } from "../../plan/access";
import { Decision, SimulatedRequest, simulate } from "../../tools/simulate";
import { copy, rawStack, validConfig } from "../../testing/stacks";

const ecrFullAccess = policyDocument([{ Effect: "Allow", Action: "ecr:*", Resource: "*" }]);
const iamFullAccess = policyDocument([{ Effect: "Allow", Action: "iam:*", Resource: "*" }]);

describe("simulator: the registry account's service control policy", () => {
  const raw = copy(rawStack("prod"));
  raw.organization = {
    managementAccountId: "999900000001",
    deployRoleArn: "arn:aws:iam::999900000001:role/pulumi-deploy",
  };
  const config = validConfig(raw);
  const plan = planAccess(config);
  const scp = plan.guardrail!.policy;
  const registry = config.registry.accountId;
  const someone = `arn:aws:iam::${registry}:role/someone-else`;
  const pusher = config.repositories[0].pusherArns[0];
  const [repo] = plan.repositories;
  const newRepository = `arn:aws:ecr:${config.registry.region}:${registry}:repository/not-managed`;

  async function decisions(
    requests: Omit<SimulatedRequest, "identityPolicies">[],
    withScp: boolean,
  ): Promise<Decision[]> {
    return Promise.all(
      requests.map((r) =>
        simulate({
          ...r,
          identityPolicies: [r.action.startsWith("iam:") ? iamFullAccess : ecrFullAccess],
          ...(withScp && { serviceControlPolicies: [scp] }),
        }),
      ),
    );
  }
  const registryLevel = (principalArn: string) =>
    REGISTRY_ACTIONS.map((action) => ({ principalArn, action, resourceArn: "*" }));

  it("without it, a registry-account role holding ecr:* changes the registry: replication, registry policy, scanning, cache rules", async () => {
    const got = await decisions(registryLevel(someone), false);
    assert.deepEqual(new Set(got), new Set(["Allowed"]));
  });

  it("with it, every registry-level action is denied to everyone but the admins and the deploy role", async () => {
    for (const principal of [someone, pusher]) {
      const got = await decisions(registryLevel(principal), true);
      assert.deepEqual(new Set(got), new Set(["ExplicitlyDenied"]), principal);
    }
    for (const principal of [...config.registry.admins, config.registry.deployRoleArn]) {
      const got = await decisions(registryLevel(principal), true);
      assert.deepEqual(new Set(got), new Set(["Allowed"]), principal);
    }
  });

  it("with it, deleting a repository is denied even where no repository policy denies it, and creating one beside the managed ones too", async () => {
    const unprotected = [
      // A repository whose policy an admin removed: only the SCP is left.
      { principalArn: someone, action: "ecr:DeleteRepository", resourceArn: repo.repository.arn },
      { principalArn: someone, action: "ecr:CreateRepository", resourceArn: newRepository },
      { principalArn: someone, action: "ecr:SetRepositoryPolicy", resourceArn: newRepository },
    ];
    assert.deepEqual(await decisions(unprotected, false), ["Allowed", "Allowed", "Allowed"]);
    // The policy of an unmanaged repository stays settable, but with creation denied none can
    // appear; repositories that existed before are the gap (docs/security.md).
    assert.deepEqual(await decisions(unprotected, true), [
      "ExplicitlyDenied",
      "ExplicitlyDenied",
      "Allowed",
    ]);
    const deploy = config.registry.deployRoleArn;
    assert.deepEqual(
      await decisions(
        [
          { principalArn: deploy, action: "ecr:CreateRepository", resourceArn: newRepository },
          { principalArn: deploy, action: "ecr:DeleteRepository", resourceArn: newRepository },
        ],
        true,
      ),
      ["Allowed", "Allowed"],
    );
  });

  it("with it, pulls and pushes the repository policies allow still work", async () => {
    const got = await Promise.all([
      simulate({
        principalArn: pusher,
        identityPolicies: [
          policyDocument([{ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }]),
        ],
        action: "ecr:PutImage",
        resourceArn: repo.repository.arn,
        resourcePolicy: repo.policy,
        serviceControlPolicies: [scp],
      }),
      ...plan.pullers.map((p) =>
        simulate({
          principalArn: p.principalArn,
          identityPolicies: [p.policy],
          action: "ecr:BatchGetImage",
          resourceArn: plan.repositories[1].repository.arn,
          resourcePolicy: plan.repositories[1].policy,
          // The SCP sits on the registry account only; consumer accounts have their own.
        }),
      ),
    ]);
    assert.deepEqual(new Set(got), new Set(["Allowed"]));
  });

  describe("the roles the repository policies exempt (admins, deploy role, pushers)", () => {
    const pushers = [...new Set(config.repositories.flatMap((r) => r.pusherArns))];
    const exempt = [...config.registry.admins, config.registry.deployRoleArn, ...pushers];
    const changes = (principalArn: string, roles = exempt) =>
      roles.flatMap((resourceArn) =>
        ROLE_CHANGE_ACTIONS.map((action) => ({ principalArn, action, resourceArn })),
      );

    it("without it, a registry-account role holding iam:* may change their trust and policies, and so become them", async () => {
      const got = await decisions(changes(someone), false);
      assert.deepEqual(new Set(got), new Set(["Allowed"]));
      assert.ok(pushers.length > 0 && got.length === exempt.length * ROLE_CHANGE_ACTIONS.length);
    });

    it("with it, every change to them is denied to everyone but the admins, the deploy role and pushers included", async () => {
      for (const principal of [someone, config.registry.deployRoleArn, ...pushers]) {
        const got = await decisions(changes(principal), true);
        assert.deepEqual(new Set(got), new Set(["ExplicitlyDenied"]), principal);
      }
      for (const admin of config.registry.admins) {
        const got = await decisions(changes(admin), true);
        assert.deepEqual(new Set(got), new Set(["Allowed"]), admin);
      }
    });

    it("with it, other roles of the account are left to the account's own policies", async () => {
      const other = `arn:aws:iam::${registry}:role/some-team-role`;
      const got = await decisions(changes(someone, [other]), true);
      assert.deepEqual(new Set(got), new Set(["Allowed"]));
    });
  });

  describe("service-linked roles, which the repository policies let read images", () => {
    const create = (principalArn: string, service: string) => ({
      principalArn,
      action: "iam:CreateServiceLinkedRole",
      resourceArn: `arn:aws:iam::${registry}:role/aws-service-role/${service}/AWSServiceRoleForX`,
      context: { "iam:AWSServiceName": service },
    });
    const ecrServices = [
      "ecr.amazonaws.com",
      "replication.ecr.amazonaws.com",
      "pullthroughcache.ecr.amazonaws.com",
    ];

    it("without it, a registry-account role holding iam:* creates ECR's service-linked roles", async () => {
      const got = await decisions(
        ecrServices.map((s) => create(someone, s)),
        false,
      );
      assert.deepEqual(new Set(got), new Set(["Allowed"]));
    });

    it("with it, only the admins and the deploy role create ECR's; other services' stay the account's choice", async () => {
      for (const principal of [someone, pusher]) {
        const got = await decisions(
          ecrServices.map((s) => create(principal, s)),
          true,
        );
        assert.deepEqual(new Set(got), new Set(["ExplicitlyDenied"]), principal);
      }
      for (const principal of [...config.registry.admins, config.registry.deployRoleArn]) {
        const got = await decisions(
          ecrServices.map((s) => create(principal, s)),
          true,
        );
        assert.deepEqual(new Set(got), new Set(["Allowed"]), principal);
      }
      // The gap docs/security.md names: another service's role, which then reads images.
      assert.deepEqual(await decisions([create(someone, "inspector2.amazonaws.com")], true), [
        "Allowed",
      ]);
    });
  });
});
