/**
 * Three access requests as teams really write them (users that push and pull one repository;
 * instance roles that all hold full ECR access, of which some may only pull; cross-account
 * pulls for the node roles of every cluster), written as registry-hub configs and checked with
 * the IAM simulator against what each request wanted. Where registry-hub cannot say exactly
 * what a request says, the mapping is explained next to the config and the difference is
 * asserted, not hidden.
 */
import * as assert from "node:assert/strict";
import { HubConfig } from "../../config/model";
import { RawConfig } from "../../config/validate";
import { prepare } from "../../prepare";
import { PolicyDocument, policyDocument } from "../../iam/document";
import {
  GET_AUTHORIZATION_TOKEN,
  PULL_ACTIONS,
  PUSH_ACTIONS,
  PUSH_ONLY_ACTIONS,
} from "../../iam/ecr-actions";
import {
  AccessPlan,
  POLICY_SIZE_LIMIT,
  PullerPlan,
  RepositoryPlan,
  planAccess,
} from "../../plan/access";
import { Decision, SimulatedRequest, simulate } from "../../tools/simulate";

const ecrFullAccess = policyDocument([{ Effect: "Allow", Action: "ecr:*", Resource: "*" }]);
const administratorAccess = policyDocument([{ Effect: "Allow", Action: "*", Resource: "*" }]);
const tokenOnly = policyDocument([
  { Effect: "Allow", Action: GET_AUTHORIZATION_TOKEN, Resource: "*" },
]);
/** AmazonECSTaskExecutionRolePolicy (the request's vault-user): ECR read and logs on *. */
const ecsTaskExecution = policyDocument([
  {
    Effect: "Allow",
    Action: [GET_AUTHORIZATION_TOKEN, ...PULL_ACTIONS, "logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: "*",
  },
]);
const CHANGE_POLICY = [
  "ecr:GetRepositoryPolicy",
  "ecr:SetRepositoryPolicy",
  "ecr:DeleteRepositoryPolicy",
];

function validated(raw: RawConfig): HubConfig {
  const validation = prepare(raw);
  if (!validation.ok) throw new Error(validation.problems.join("\n"));
  return validation.model;
}

function repo(plan: AccessPlan, name: string): RepositoryPlan {
  const found = plan.repositories.find((r) => r.repository.name === name);
  assert.ok(found, `no repository ${name}`);
  return found;
}

function puller(plan: AccessPlan, cluster: string, kind: PullerPlan["kind"] = "nodes"): PullerPlan {
  const found = plan.pullers.find((p) => p.cluster.name === cluster && p.kind === kind);
  assert.ok(found, `no ${kind} role for cluster ${cluster}`);
  return found;
}

async function decisions(
  principalArn: string,
  identityPolicies: PolicyDocument[],
  target: { resourceArn: string; resourcePolicy?: PolicyDocument },
  actions: readonly string[],
): Promise<Record<string, Decision>> {
  const entries = await Promise.all(
    actions.map(
      async (action) =>
        [action, await simulate({ principalArn, identityPolicies, action, ...target })] as const,
    ),
  );
  return Object.fromEntries(entries);
}

/** Asserts that every action gets `expected`, naming the ones that do not. */
async function expectAll(
  request: Omit<SimulatedRequest, "action">,
  actions: readonly string[],
  expected: Decision,
): Promise<void> {
  const got = await decisions(request.principalArn, request.identityPolicies, request, actions);
  assert.deepEqual(
    got,
    Object.fromEntries(actions.map((a) => [a, expected])),
    `${request.principalArn} on ${request.resourceArn}`,
  );
}

const on = (r: RepositoryPlan) => ({ resourceArn: r.repository.arn, resourcePolicy: r.policy });

describe("users that push and pull one repository", () => {
  // The request's account is "aws_account_id"; its principals are IAM users. registry-hub takes
  // roles only (a pusher is a CI or workload identity), so each user becomes a role of the
  // same name. The request's second answer adds vault-user (ECS task execution policy: read on *)
  // pushing to rlokinen/first-ecr, and ecr-user (AdministratorAccess) kept off ecr-permissions.
  const ACCOUNT = "123456789012";
  const arn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
  const raw: RawConfig = {
    registry: {
      accountId: ACCOUNT,
      region: "us-east-1",
      deployRoleArn: arn("pulumi-deploy"),
      admins: [arn("registry-admin")],
    },
    access: { mode: "roles" },
    pushers: [
      { name: "push-pull-user-1", principalArn: arn("push-pull-user-1") },
      { name: "push-pull-user-2", principalArn: arn("push-pull-user-2") },
      { name: "vault-user", principalArn: arn("vault-user") },
    ],
    repositories: [
      { name: "ecr-permissions", pushers: ["push-pull-user-1", "push-pull-user-2"] },
      { name: "rlokinen/first-ecr", pushers: ["vault-user"] },
    ],
    accounts: [],
  };
  const plan = planAccess(validated(raw));
  const ecrPermissions = repo(plan, "ecr-permissions");
  const firstEcr = repo(plan, "rlokinen/first-ecr");

  it("takes roles, not users, as pushers (the mapping this test makes)", () => {
    const withUser = structuredClone(raw) as { pushers: { principalArn: string }[] };
    withUser.pushers[0].principalArn = `arn:aws:iam::${ACCOUNT}:user/push-pull-user-1`;
    const validation = prepare(withUser);
    assert.deepEqual(validation.ok ? [] : validation.problems, [
      "registry-hub:pushers[0].principalArn: not an IAM role ARN",
    ]);
  });

  it("push-pull-user-1 and -2 push and pull ecr-permissions with no ECR policy of their own but the token", async () => {
    for (const user of ["push-pull-user-1", "push-pull-user-2"]) {
      await expectAll(
        { principalArn: arn(user), identityPolicies: [tokenOnly], ...on(ecrPermissions) },
        PUSH_ACTIONS,
        "Allowed",
      );
      await expectAll(
        { principalArn: arn(user), identityPolicies: [tokenOnly], resourceArn: "*" },
        [GET_AUTHORIZATION_TOKEN],
        "Allowed",
      );
    }
  });

  it("push-pull-user-1 and -2 cannot push or pull the other repository, even with ecr:*", async () => {
    for (const user of ["push-pull-user-1", "push-pull-user-2"]) {
      await expectAll(
        { principalArn: arn(user), identityPolicies: [ecrFullAccess], ...on(firstEcr) },
        [...PULL_ACTIONS, ...PUSH_ONLY_ACTIONS],
        "ExplicitlyDenied",
      );
    }
  });

  it("vault-user (read-only ECR policy) pushes rlokinen/first-ecr once the repository policy names it", async () => {
    await expectAll(
      { principalArn: arn("vault-user"), identityPolicies: [ecsTaskExecution], ...on(firstEcr) },
      PUSH_ACTIONS,
      "Allowed",
    );
    // "Before adding the above policy": in the request a plain implicit deny; here ecr-permissions'
    // policy, which does not name vault-user, denies its push explicitly.
    await expectAll(
      {
        principalArn: arn("vault-user"),
        identityPolicies: [ecsTaskExecution],
        ...on(ecrPermissions),
      },
      [...PUSH_ONLY_ACTIONS, ...PULL_ACTIONS],
      "ExplicitlyDenied",
    );
  });

  it("ecr-user with AdministratorAccess can neither push nor pull any repository (the request's explicit deny)", async () => {
    for (const r of [ecrPermissions, firstEcr]) {
      await expectAll(
        { principalArn: arn("ecr-user"), identityPolicies: [administratorAccess], ...on(r) },
        [
          ...PULL_ACTIONS,
          ...PUSH_ONLY_ACTIONS,
          "ecr:SetRepositoryPolicy",
          "ecr:PutLifecyclePolicy",
        ],
        "ExplicitlyDenied",
      );
    }
  });

  it("the admin is not locked out of either repository", async () => {
    for (const r of [ecrPermissions, firstEcr]) {
      await expectAll(
        { principalArn: arn("registry-admin"), identityPolicies: [ecrFullAccess], ...on(r) },
        CHANGE_POLICY,
        "Allowed",
      );
    }
  });
});

describe("three instance roles that all hold AmazonEC2ContainerRegistryFullAccess", () => {
  // Instance 1 may push only, instance 2 pull only, instance 3 nothing; all three hold ecr:*.
  // Mapping: instance 1 is a pusher (registry-hub lets pushers pull too: asserted below).
  // Instance 2 is a cluster node role in a consumer account: registry-hub has no pull-only
  // principal inside the registry account (only pushers and admins read images there, and a
  // consumer account may not be the registry account: asserted below). Instance 3 is an
  // unnamed role of the registry account. fa-085 is the request's repository.
  const REGISTRY = "123456789012";
  const CONSUMER = "210987654321";
  const arn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
  const instance1 = arn(REGISTRY, "InstanceRole1");
  const instance2 = arn(CONSUMER, "InstanceRole2");
  const instance3 = arn(REGISTRY, "InstanceRole3");
  const admin = arn(REGISTRY, "registry-admin");
  const raw: RawConfig = {
    registry: {
      accountId: REGISTRY,
      region: "ap-northeast-1",
      deployRoleArn: arn(REGISTRY, "pulumi-deploy"),
      admins: [admin],
    },
    access: { mode: "roles" },
    pushers: [{ name: "instance1", principalArn: instance1 }],
    repositories: [{ name: "fa-085", pushers: ["instance1"] }],
    accounts: [
      {
        name: "consumer",
        accountId: CONSUMER,
        deployRoleArn: arn(CONSUMER, "pulumi-deploy"),
        clusters: [{ name: "instance2", nodeRoleArn: instance2 }],
      },
    ],
  };
  const plan = planAccess(validated(raw));
  const fa085 = repo(plan, "fa-085");

  it("cannot place the pull-only principal in the registry account (why instance 2 is a consumer role)", () => {
    const sameAccount = structuredClone(raw) as {
      accounts: { accountId: string; deployRoleArn: string; clusters: { nodeRoleArn: string }[] }[];
    };
    sameAccount.accounts[0].accountId = REGISTRY;
    sameAccount.accounts[0].deployRoleArn = arn(REGISTRY, "pulumi-deploy");
    sameAccount.accounts[0].clusters[0].nodeRoleArn = arn(REGISTRY, "InstanceRole2");
    const validation = prepare(sameAccount);
    assert.deepEqual(validation.ok ? [] : validation.problems, [
      "registry-hub:accounts[0].accountId: is the registry account; clusters run in consumer accounts",
    ]);
  });

  it("instance 1 (ecr:*) pushes; unlike the request it may also pull, as every registry-hub pusher", async () => {
    await expectAll(
      { principalArn: instance1, identityPolicies: [ecrFullAccess], ...on(fa085) },
      PUSH_ACTIONS,
      "Allowed",
    );
  });

  it("instance 2 (ecr:* plus the program's pull policy) pulls but cannot push", async () => {
    const identity = [ecrFullAccess, puller(plan, "instance2").policy];
    await expectAll(
      { principalArn: instance2, identityPolicies: identity, ...on(fa085) },
      PULL_ACTIONS,
      "Allowed",
    );
    await expectAll(
      { principalArn: instance2, identityPolicies: identity, ...on(fa085) },
      PUSH_ONLY_ACTIONS,
      "ExplicitlyDenied",
    );
  });

  it("instance 3 (ecr:*, in the registry account, not named) is explicitly denied push and pull", async () => {
    await expectAll(
      { principalArn: instance3, identityPolicies: [ecrFullAccess], ...on(fa085) },
      [...PULL_ACTIONS, ...PUSH_ONLY_ACTIONS],
      "ExplicitlyDenied",
    );
  });

  it("the admin (ecr:*) is not locked out, where the request's own policy locks it out", async () => {
    await expectAll(
      { principalArn: admin, identityPolicies: [ecrFullAccess], ...on(fa085) },
      CHANGE_POLICY,
      "Allowed",
    );
    // The request's policy, verbatim: its last statement denies "*" to everyone but instances 1 and 2.
    const requestedPolicy = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Deny",
          Principal: "*",
          NotAction: [
            "ecr:BatchCheckLayerAvailability",
            "ecr:CompleteLayerUpload",
            "ecr:InitiateLayerUpload",
            "ecr:PutImage",
            "ecr:UploadLayerPart",
          ],
          Condition: { ArnEquals: { "aws:PrincipalArn": instance1 } },
        },
        {
          Effect: "Deny",
          Principal: "*",
          NotAction: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          Condition: { ArnEquals: { "aws:PrincipalArn": instance2 } },
        },
        {
          Effect: "Deny",
          Principal: "*",
          Action: "*",
          Condition: { ArnNotEquals: { "aws:PrincipalArn": [instance1, instance2] } },
        },
      ],
    } as unknown as PolicyDocument;
    await expectAll(
      {
        principalArn: admin,
        identityPolicies: [ecrFullAccess],
        resourceArn: fa085.repository.arn,
        resourcePolicy: requestedPolicy,
      },
      CHANGE_POLICY,
      "ExplicitlyDenied",
    );
  });
});

describe("cross-account pulls: registry 333333333333, clusters in 111111111111 and 222222222222", () => {
  const arn = (account: string, name: string) => `arn:aws:iam::${account}:role/${name}`;
  const nodes = (account: string, cluster: string) => arn(account, `nodes.${cluster}.k8s.invalid`);
  const account = (name: string, accountId: string, clusters: string[]) => ({
    name,
    accountId,
    deployRoleArn: arn(accountId, "pulumi-deploy"),
    clusters: clusters.map((cluster) => ({
      name: cluster,
      nodeRoleArn: nodes(accountId, cluster),
    })),
  });
  const raw: RawConfig = {
    registry: {
      accountId: "333333333333",
      region: "us-east-1",
      deployRoleArn: arn("333333333333", "pulumi-deploy"),
      admins: [arn("333333333333", "registry-admin")],
    },
    access: { mode: "roles" },
    // Every cluster pulls every repository: no clusters lists.
    repositories: [{ name: "microservice" }, { name: "team/app" }, { name: "base/python" }],
    accounts: [
      account("sandbox", "111111111111", ["dev", "sandbox"]),
      account("prod", "222222222222", ["beta", "prod"]),
    ],
  };
  const config = validated(raw);
  const plan = planAccess(config);
  /** The request's node-role policy: ECR read (and a bit more) on "*". */
  const requestedNodePolicy = policyDocument([
    {
      Effect: "Allow",
      Action: [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:DescribeRepositories",
        "ecr:GetAuthorizationToken",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:ListImages",
      ],
      Resource: "*",
    },
  ]);

  it("has the four node roles as pullers and policies well under ECR's limit", () => {
    assert.deepEqual(
      plan.pullers.map((p) => p.principalArn),
      [
        nodes("111111111111", "dev"),
        nodes("111111111111", "sandbox"),
        nodes("222222222222", "beta"),
        nodes("222222222222", "prod"),
      ],
    );
    for (const r of plan.repositories)
      assert.ok(
        r.policyText.length < POLICY_SIZE_LIMIT / 4,
        `${r.repository.name}: ${r.policyText.length}`,
      );
  });

  it("every cluster's node role pulls every repository (both halves from the program) and cannot push", async () => {
    for (const p of plan.pullers) {
      await expectAll(
        { principalArn: p.principalArn, identityPolicies: [p.policy], resourceArn: "*" },
        [GET_AUTHORIZATION_TOKEN],
        "Allowed",
      );
      for (const r of plan.repositories) {
        await expectAll(
          { principalArn: p.principalArn, identityPolicies: [p.policy], ...on(r) },
          PULL_ACTIONS,
          "Allowed",
        );
        await expectAll(
          { principalArn: p.principalArn, identityPolicies: [p.policy], ...on(r) },
          PUSH_ONLY_ACTIONS,
          "ExplicitlyDenied",
        );
      }
    }
  });

  it("the request's own node policy (read on *) also serves as the identity half", async () => {
    for (const p of plan.pullers) {
      for (const r of plan.repositories) {
        await expectAll(
          { principalArn: p.principalArn, identityPolicies: [requestedNodePolicy], ...on(r) },
          PULL_ACTIONS,
          "Allowed",
        );
      }
    }
  });

  it("cross-account needs both halves: no identity policy denies, and the request's one-role repository policy denies the others", async () => {
    const microservice = repo(plan, "microservice");
    for (const p of plan.pullers) {
      await expectAll(
        { principalArn: p.principalArn, identityPolicies: [], ...on(microservice) },
        PULL_ACTIONS,
        "ImplicitlyDenied",
      );
    }
    // The request's microservice policy names only nodes.sandbox: the repository half for the others is missing.
    const requestedRepositoryPolicy = policyDocument([
      {
        Sid: "cross-account",
        Effect: "Allow",
        Principal: { AWS: nodes("111111111111", "sandbox") },
        Action: [...PULL_ACTIONS],
      },
    ]);
    for (const p of plan.pullers) {
      const expected: Decision = p.cluster.name === "sandbox" ? "Allowed" : "ImplicitlyDenied";
      await expectAll(
        {
          principalArn: p.principalArn,
          identityPolicies: [p.policy],
          resourceArn: microservice.repository.arn,
          resourcePolicy: requestedRepositoryPolicy,
        },
        PULL_ACTIONS,
        expected,
      );
    }
  });

  it("other roles of the clusters' accounts do not pull, even with the request's read-on-* policy (roles mode)", async () => {
    for (const accountId of ["111111111111", "222222222222"]) {
      for (const r of plan.repositories) {
        await expectAll(
          {
            principalArn: arn(accountId, "someone-else"),
            identityPolicies: [requestedNodePolicy],
            ...on(r),
          },
          PULL_ACTIONS,
          "ImplicitlyDenied",
        );
      }
    }
  });

  it("the registry admin is not locked out", async () => {
    for (const r of plan.repositories) {
      await expectAll(
        { principalArn: config.registry.admins[0], identityPolicies: [ecrFullAccess], ...on(r) },
        CHANGE_POLICY,
        "Allowed",
      );
    }
  });
});
