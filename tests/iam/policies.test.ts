import * as assert from "node:assert/strict";
import { repositoryPolicy, RepositoryAccess } from "../../iam/ecr-repository";
import { consumerPullPolicy } from "../../iam/ecr-consumer";
import { renderPolicy, PolicyDocument, PolicyStatement } from "../../iam/document";
import { registryStorageStatements, serviceAccountTrustPolicy } from "../../iam/cache-storage";
import { lifecyclePolicy } from "../../iam/ecr-lifecycle";

const base: RepositoryAccess = {
  mode: "roles",
  partition: "aws",
  registryAccountId: "333333333333",
  pullerArns: ["arn:aws:iam::222222222222:role/b", "arn:aws:iam::111111111111:role/a"],
  pullerAccountIds: ["222222222222", "111111111111"],
  restrictedToClusters: false,
  pusherArns: ["arn:aws:iam::333333333333:role/ci"],
  adminArns: ["arn:aws:iam::333333333333:role/admin"],
  deployRoleArn: "arn:aws:iam::333333333333:role/deploy",
};

function statement(document: PolicyDocument, sid: string): PolicyStatement {
  const found = document.Statement.find((s) => s.Sid === sid);
  assert.ok(found, `no statement ${sid} in ${JSON.stringify(document)}`);
  return found;
}

function actions(s: PolicyStatement): string[] {
  return ([] as string[]).concat(s.Action);
}

describe("repository policy", () => {
  it("roles mode names the consumer accounts as principals and the exact roles in a condition", () => {
    const pull = statement(repositoryPolicy(base), "PullByConsumerRoles");
    assert.deepEqual(pull.Principal, { AWS: ["111111111111", "222222222222"] });
    assert.deepEqual(pull.Condition, {
      ArnEquals: {
        "aws:PrincipalArn": [
          "arn:aws:iam::111111111111:role/a",
          "arn:aws:iam::222222222222:role/b",
        ],
      },
    });
    assert.deepEqual(actions(pull), [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]);
  });

  it("accounts mode trusts the accounts and names no role", () => {
    const policy = repositoryPolicy({ ...base, mode: "accounts" });
    const pull = statement(policy, "PullByConsumerAccounts");
    assert.deepEqual(pull.Principal, { AWS: ["111111111111", "222222222222"] });
    assert.equal(pull.Condition, undefined);
    assert.doesNotMatch(renderPolicy(policy), /role\/a"|role\/b"/);
  });

  it("organization mode trusts the organization id", () => {
    const pull = statement(
      repositoryPolicy({ ...base, mode: "organization", organizationId: "o-abcdefghij" }),
      "PullByOrganization",
    );
    assert.equal(pull.Principal, "*");
    assert.deepEqual(pull.Condition, { StringEquals: { "aws:PrincipalOrgID": "o-abcdefghij" } });
  });

  it("organization mode names the listed clusters' roles, in the organization, for a repository that lists clusters", () => {
    const policy = repositoryPolicy({
      ...base,
      mode: "organization",
      organizationId: "o-abcdefghij",
      restrictedToClusters: true,
    });
    assert.ok(!policy.Statement.some((s) => s.Sid === "PullByOrganization"));
    const pull = statement(policy, "PullByClusterRolesInOrganization");
    assert.deepEqual(pull.Principal, { AWS: ["111111111111", "222222222222"] });
    assert.deepEqual(pull.Condition, {
      ArnEquals: {
        "aws:PrincipalArn": [
          "arn:aws:iam::111111111111:role/a",
          "arn:aws:iam::222222222222:role/b",
        ],
      },
      StringEquals: { "aws:PrincipalOrgID": "o-abcdefghij" },
    });
  });

  it("lets only pushers push, denies pushing to all others but admins, and never uses NotAction", () => {
    const policy = repositoryPolicy(base);
    const push = statement(policy, "PushByPushers");
    assert.equal(push.Principal, "*");
    assert.deepEqual(push.Condition, {
      ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::333333333333:role/ci" },
    });
    const deny = statement(policy, "DenyPushExceptPushersAndAdmins");
    assert.equal(deny.Effect, "Deny");
    assert.deepEqual(deny.Condition, {
      ArnNotEquals: {
        "aws:PrincipalArn": [
          "arn:aws:iam::333333333333:role/admin",
          "arn:aws:iam::333333333333:role/ci",
        ],
      },
    });
    assert.ok(policy.Statement.every((s) => !("NotAction" in s)));
  });

  it("exempts admins and the deploy role from the deny on changing the repository and its policy", () => {
    const deny = statement(repositoryPolicy(base), "DenyChangesExceptAdminsAndDeployRole");
    assert.ok(actions(deny).includes("ecr:SetRepositoryPolicy"));
    assert.ok(actions(deny).includes("ecr:BatchDeleteImage"));
    assert.ok(
      !actions(deny).includes("ecr:GetRepositoryPolicy"),
      "reading the policy is never denied",
    );
    assert.deepEqual(deny.Condition?.ArnNotEquals["aws:PrincipalArn"], [
      "arn:aws:iam::333333333333:role/admin",
      "arn:aws:iam::333333333333:role/deploy",
    ]);
  });

  it("has no push statement when nobody pushes", () => {
    const policy = repositoryPolicy({ ...base, pusherArns: [] });
    assert.ok(!policy.Statement.some((s) => s.Sid === "PushByPushers"));
    assert.equal(
      statement(policy, "DenyPushExceptPushersAndAdmins").Condition?.ArnNotEquals[
        "aws:PrincipalArn"
      ],
      "arn:aws:iam::333333333333:role/admin",
    );
  });
});

describe("consumer pull policy", () => {
  const pull = { partition: "aws", registryRegion: "us-east-1", registryAccountId: "333333333333" };

  it("allows pull on the central registry's repositories and the token on *", () => {
    const policy = consumerPullPolicy({ ...pull, excludedRepositoryArns: [] });
    assert.deepEqual(
      policy.Statement.map((s) => [s.Sid, s.Effect, s.Resource]),
      [
        ["PullFromCentralRegistry", "Allow", "arn:aws:ecr:us-east-1:333333333333:repository/*"],
        ["GetRegistryToken", "Allow", "*"],
      ],
    );
  });

  it("denies the repositories the cluster is left out of", () => {
    const excluded = [
      "arn:aws:ecr:us-east-1:333333333333:repository/z",
      "arn:aws:ecr:us-east-1:333333333333:repository/a",
    ];
    const deny = statement(
      consumerPullPolicy({ ...pull, excludedRepositoryArns: excluded }),
      "NoPullFromRepositoriesOfOtherClusters",
    );
    assert.equal(deny.Effect, "Deny");
    assert.deepEqual(deny.Resource, [...excluded].sort());
  });
});

describe("cache policies", () => {
  it("grants bucket actions on the bucket ARN and object actions on object ARNs (bucket/* alone answers HTTP 500)", () => {
    const [bucket, objects] = registryStorageStatements("aws", "b", "222222222222");
    assert.equal(bucket.Resource, "arn:aws:s3:::b");
    assert.deepEqual(actions(bucket), [
      "s3:GetBucketLocation",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
    ]);
    assert.equal(objects.Resource, "arn:aws:s3:::b/*");
    assert.ok(
      actions(objects).includes("s3:GetObject") && actions(objects).includes("s3:PutObject"),
    );
    assert.ok(!actions(objects).includes("s3:ListBucket"));
  });

  it("scopes every S3 grant to the bucket's own account (s3:ResourceAccount)", () => {
    for (const statement of registryStorageStatements("aws", "b", "222222222222"))
      assert.deepEqual(statement.Condition, {
        StringEquals: { "s3:ResourceAccount": "222222222222" },
      });
  });

  it("trusts one service account and the STS audience, and strips https:// from the issuer", () => {
    const trust = serviceAccountTrustPolicy({
      partition: "aws",
      accountId: "111111111111",
      oidcIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
      namespace: "ns",
      serviceAccount: "sa",
    });
    assert.deepEqual(trust.Statement[0].Condition, {
      StringEquals: {
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:ns:sa",
      },
    });
  });

  it("expires untagged images after the configured days", () => {
    const policy = lifecyclePolicy({ untaggedExpiryDays: 14, protectedTagPatterns: [], rules: [] });
    assert.deepEqual(policy?.rules[0].selection, {
      tagStatus: "untagged",
      countType: "sinceImagePushed",
      countUnit: "days",
      countNumber: 14,
    });
  });
});
