/**
 * Malformed configs: each case starts from the parsed Pulumi.prod.yaml, breaks one thing, and
 * expects prepare() to reject it with a message that starts with the exact config path.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { readStackFile } from "../../config/stack-file";
import { RawConfig } from "../../config/validate";
import { prepare } from "../../prepare";
import { planAccess } from "../../plan/access";
import { SCP_SIZE_LIMIT } from "../../iam/registry-guardrail";

const ROOT = path.resolve(__dirname, "../..");

/** The raw config, typed just enough to break it: each case writes what the schema must refuse. */
type Cluster = {
  name: string;
  nodeRoleArn?: string;
  eks?: { clusterName: string; oidcIssuer: string; kubernetesVersion?: string };
  create?: { minSize?: number; desiredSize?: number; subnetIds?: string[] };
  cache?: { port?: number; nodeport?: number; images?: { registry?: string } };
  typo?: boolean;
};
type Raw = {
  organization?: { managementAccountId: string; deployRoleArn: string };
  registry: {
    accountId: string;
    deployRoleArn: string;
    previewRoleArn?: string;
    admins?: string[];
    admin?: string[];
  };
  access: { mode: string; organizationId?: string };
  pushers: { name: string; principalArn: string }[];
  repositories: { name: string; pushers?: string[]; clusters?: string[] }[];
  accounts: {
    name: string;
    accountId: string;
    deployRoleArn: string;
    previewRoleArn?: string;
    clusters: Cluster[];
  }[];
};

function prodRaw(): Raw {
  return structuredClone(readStackFile(path.join(ROOT, "Pulumi.prod.yaml")) as unknown as Raw);
}

function problemsOf(raw: Raw | RawConfig): string[] {
  const validation = prepare(raw);
  assert.equal(validation.ok, false, "the config should have been rejected");
  return validation.ok ? [] : validation.problems;
}

/** Asserts one problem is `<path>: <message>` with message matching; returns all problems. */
function expectProblem(raw: Raw, configPath: string, message: RegExp): string[] {
  const problems = problemsOf(raw);
  const prefix = `${configPath}: `;
  const hit = problems.find((p) => p.startsWith(prefix));
  assert.ok(hit, `no problem starts with "${prefix}"; got:\n  ${problems.join("\n  ")}`);
  assert.match(hit.slice(prefix.length), message);
  for (const p of problems)
    assert.match(p, /^registry-hub:[a-zA-Z]+(\.|\[|:)/, `problem without a config path: ${p}`);
  return problems;
}

interface Case {
  title: string;
  break: (raw: Raw) => void;
  path: string;
  message: RegExp;
  /** Breaking this one thing yields exactly this many problems (default 1). */
  count?: number;
}

type Adopted = Cluster & { eks: NonNullable<Cluster["eks"]>; cache: NonNullable<Cluster["cache"]> };
type Created = Cluster & {
  create: NonNullable<Cluster["create"]>;
  cache: NonNullable<Cluster["cache"]>;
};
const adoptedBeta = (raw: Raw) => raw.accounts[1].clusters[0] as Adopted;
const createdProd = (raw: Raw) => raw.accounts[1].clusters[1] as Created;

const CASES: Case[] = [
  {
    title: "a registry account id with 11 digits",
    break: (raw) => (raw.registry.accountId = "33333333333"),
    path: "registry-hub:registry.accountId",
    message: /not a 12-digit AWS account id/,
  },
  {
    title: "a consumer account id with letters",
    break: (raw) => (raw.accounts[0].accountId = "11111111111x"),
    path: "registry-hub:accounts[0].accountId",
    message: /not a 12-digit AWS account id/,
  },
  {
    title: "a node role that is a user ARN",
    break: (raw) => (adoptedBeta(raw).nodeRoleArn = "arn:aws:iam::222222222222:user/nodes.beta"),
    path: "registry-hub:accounts[1].clusters[0].nodeRoleArn",
    message: /not an IAM role ARN/,
  },
  {
    title: "an admin given as an account id instead of a role ARN",
    break: (raw) => (raw.registry.admins = ["333333333333"]),
    path: "registry-hub:registry.admins[0]",
    message: /not an IAM role ARN/,
  },
  {
    title: "a node role in another account than its cluster's",
    break: (raw) =>
      (raw.accounts[0].clusters[0].nodeRoleArn =
        "arn:aws:iam::222222222222:role/nodes.dev.k8s.invalid"),
    path: "registry-hub:accounts[0].clusters[0].nodeRoleArn",
    message: /^must be a role of its account 111111111111$/,
  },
  {
    title: "the same cluster name in two accounts",
    break: (raw) =>
      raw.accounts[1].clusters.push({
        name: "dev",
        nodeRoleArn: "arn:aws:iam::222222222222:role/nodes.dev2",
      }),
    path: "registry-hub:accounts[1].clusters[2].name",
    message:
      /^cluster name dev is already used at registry-hub:accounts\[0\]\.clusters\[0\]\.name$/,
  },
  {
    title: "two clusters of one account sharing a node role",
    break: (raw) =>
      (raw.accounts[0].clusters[1].nodeRoleArn = raw.accounts[0].clusters[0].nodeRoleArn),
    path: "registry-hub:accounts[0].clusters[1].nodeRoleArn",
    message:
      /^role arn:aws:iam::111111111111:role\/nodes\.dev\.k8s\.invalid is already used at registry-hub:accounts\[0\]\.clusters\[0\]\.nodeRoleArn$/,
  },
  {
    title: "an adopted cluster whose node role is the role the program creates for another",
    break: (raw) =>
      (adoptedBeta(raw).nodeRoleArn = "arn:aws:iam::222222222222:role/registry-hub-prod-nodes"),
    path: "registry-hub:accounts[1].clusters[1].create",
    message:
      /^role arn:aws:iam::222222222222:role\/registry-hub-prod-nodes is already used at registry-hub:accounts\[1\]\.clusters\[0\]\.nodeRoleArn$/,
  },
  {
    title: "two node roles of one account with one name on two paths",
    break: (raw) => {
      raw.accounts[0].clusters[0].nodeRoleArn = "arn:aws:iam::111111111111:role/dev-nodes";
      raw.accounts[0].clusters[1].nodeRoleArn = "arn:aws:iam::111111111111:role/team/dev-nodes";
    },
    path: "registry-hub:accounts[0].clusters[1].nodeRoleArn",
    message:
      /^role arn:aws:iam::111111111111:role\/team\/dev-nodes is already used at registry-hub:accounts\[0\]\.clusters\[0\]\.nodeRoleArn \(as arn:aws:iam::111111111111:role\/dev-nodes; IAM role names are unique in an account whatever their path and case\)$/,
  },
  {
    title: "two node roles of one account whose names differ in case only",
    break: (raw) => {
      raw.accounts[0].clusters[0].nodeRoleArn = "arn:aws:iam::111111111111:role/dev-nodes";
      raw.accounts[0].clusters[1].nodeRoleArn = "arn:aws:iam::111111111111:role/DEV-NODES";
    },
    path: "registry-hub:accounts[0].clusters[1].nodeRoleArn",
    message:
      /^role arn:aws:iam::111111111111:role\/DEV-NODES is already used at registry-hub:accounts\[0\]\.clusters\[0\]\.nodeRoleArn \(as arn:aws:iam::111111111111:role\/dev-nodes; IAM role names are unique/,
  },
  {
    title:
      "an adopted node role named, on another path and in other case, like the role created for another cluster",
    break: (raw) =>
      (adoptedBeta(raw).nodeRoleArn =
        "arn:aws:iam::222222222222:role/custom/Registry-Hub-Prod-Nodes"),
    path: "registry-hub:accounts[1].clusters[1].create",
    message:
      /^role arn:aws:iam::222222222222:role\/registry-hub-prod-nodes is already used at registry-hub:accounts\[1\]\.clusters\[0\]\.nodeRoleArn \(as arn:aws:iam::222222222222:role\/custom\/Registry-Hub-Prod-Nodes; IAM role names are unique/,
  },
  {
    title: "an adopted node role named, on another path, like another cluster's cache role",
    break: (raw) =>
      raw.accounts[1].clusters.push({
        name: "gamma",
        nodeRoleArn: "arn:aws:iam::222222222222:role/team/registry-hub-beta-cache",
      }),
    path: "registry-hub:accounts[1].clusters[2].nodeRoleArn",
    message:
      /^role arn:aws:iam::222222222222:role\/team\/registry-hub-beta-cache is already used at registry-hub:accounts\[1\]\.clusters\[0\]\.cache \(as arn:aws:iam::222222222222:role\/registry-hub-beta-cache; /,
  },
  {
    title: "a repository configured twice",
    break: (raw) => raw.repositories.push({ name: "team/app" }),
    path: "registry-hub:repositories[5].name",
    message: /^repository team\/app is already used at registry-hub:repositories\[1\]\.name$/,
  },
  {
    title: "a repository naming an unknown pusher",
    break: (raw) => (raw.repositories[1].pushers = ["ci", "cd"]),
    path: "registry-hub:repositories[1].pushers[1]",
    message: /^unknown pusher cd /,
  },
  {
    title: "a repository naming an unknown cluster",
    break: (raw) => (raw.repositories[0].clusters = ["beta", "prd"]),
    path: "registry-hub:repositories[0].clusters[1]",
    message: /^unknown cluster prd /,
  },
  {
    title: "a repository name with upper case",
    break: (raw) => (raw.repositories[1].name = "Team/app"),
    path: "registry-hub:repositories[1].name",
    message: /not a valid ECR repository name/,
  },
  {
    title: "a repository name with a leading slash",
    break: (raw) => (raw.repositories[1].name = "/team/app"),
    path: "registry-hub:repositories[1].name",
    message: /not a valid ECR repository name/,
  },
  {
    title: "a repository name of 257 characters",
    break: (raw) => (raw.repositories[1].name = `team/${"a".repeat(252)}`),
    path: "registry-hub:repositories[1].name",
    message: /2-256 characters/,
  },
  {
    title: "organization mode without organizationId",
    break: (raw) => (raw.access = { mode: "organization" }),
    path: "registry-hub:access.organizationId",
    message: /required when mode is organization/,
  },
  {
    title: "an unknown access mode",
    break: (raw) => (raw.access = { mode: "role" }),
    path: "registry-hub:access.mode",
    message: /roles.*accounts.*organization/,
  },
  {
    title: "a typo in a key (nodeport)",
    break: (raw) => (adoptedBeta(raw).cache = { nodeport: 30500 }),
    path: "registry-hub:accounts[1].clusters[0].cache.nodeport",
    message: /^unknown key \(a typo\?\)$/,
  },
  {
    title: "a typo in a registry key (admin instead of admins)",
    break: (raw) => {
      raw.registry.admin = raw.registry.admins;
      delete raw.registry.admins;
    },
    path: "registry-hub:registry.admin",
    message: /^unknown key \(a typo\?\)$/,
    count: 2, // and registry.admins: required
  },
  {
    title: "a typo in a top-level key (registry-hub:pusher)",
    break: (raw) => {
      (raw as RawConfig).pusher = raw.pushers;
    },
    path: "registry-hub:pusher",
    message: /^unknown key \(a typo\?\)$/,
  },
  {
    title: "no registry at all",
    break: (raw) => delete (raw as Partial<Raw>).registry,
    path: "registry-hub:registry",
    message: /^required$/,
  },
  {
    title: "no repositories at all",
    break: (raw) => (raw.repositories = []),
    path: "registry-hub:repositories",
    message: /at least one repository/,
  },
  {
    title: "an empty admin list",
    break: (raw) => (raw.registry.admins = []),
    path: "registry-hub:registry.admins",
    message: /at least one admin/,
  },
  {
    title: "a consumer account that is the registry account",
    break: (raw) => {
      raw.accounts[0].accountId = "333333333333";
      raw.accounts[0].deployRoleArn = "arn:aws:iam::333333333333:role/pulumi-deploy";
      raw.accounts[0].previewRoleArn = "arn:aws:iam::333333333333:role/pulumi-preview";
      raw.accounts[0].clusters = [];
    },
    path: "registry-hub:accounts[0].accountId",
    message: /is the registry account/,
  },
  {
    title: "a consumer account's preview role in another account",
    break: (raw) =>
      (raw.accounts[0].previewRoleArn = "arn:aws:iam::222222222222:role/pulumi-preview"),
    path: "registry-hub:accounts[0].previewRoleArn",
    message: /must be a role of account 111111111111/,
  },
  {
    title: "the registry preview role in a consumer account",
    break: (raw) => (raw.registry.previewRoleArn = "arn:aws:iam::111111111111:role/pulumi-preview"),
    path: "registry-hub:registry.previewRoleArn",
    message: /the preview role must be a role of the registry account 333333333333/,
  },
  {
    title: "a consumer account's preview role in another partition",
    break: (raw) =>
      (raw.accounts[0].previewRoleArn = "arn:aws-cn:iam::111111111111:role/pulumi-preview"),
    path: "registry-hub:accounts[0].previewRoleArn",
    message: /is in partition aws-cn; the registry \(region us-east-1\) is in partition aws/,
  },
  {
    title: "the registry deploy role in a consumer account",
    break: (raw) => (raw.registry.deployRoleArn = "arn:aws:iam::111111111111:role/pulumi-deploy"),
    path: "registry-hub:registry.deployRoleArn",
    message: /must be a role of the registry account 333333333333/,
  },
  {
    title: "an account deploy role in another account",
    break: (raw) =>
      (raw.accounts[1].deployRoleArn = "arn:aws:iam::111111111111:role/pulumi-deploy"),
    path: "registry-hub:accounts[1].deployRoleArn",
    message: /^must be a role of account 222222222222$/,
  },
  {
    title: "a pusher outside the registry account",
    break: (raw) => (raw.pushers[0].principalArn = "arn:aws:iam::111111111111:role/github-actions"),
    path: "registry-hub:pushers[0].principalArn",
    message: /must be a role of the registry account/,
  },
  {
    title: "a cache on an adopted cluster without eks",
    break: (raw) => delete raw.accounts[1].clusters[0].eks,
    path: "registry-hub:accounts[1].clusters[0].eks",
    message:
      /adopted cluster with a cache needs eks\.clusterName, eks\.oidcIssuer and eks\.kubernetesVersion/,
  },
  {
    title: "both nodeRoleArn and create",
    break: (raw) => (createdProd(raw).nodeRoleArn = "arn:aws:iam::222222222222:role/nodes.prod"),
    path: "registry-hub:accounts[1].clusters[1].nodeRoleArn",
    message: /exactly one/,
    count: 2, // it now also counts as adopted, and its cache has no eks
  },
  {
    title: "neither nodeRoleArn nor create",
    break: (raw) => delete raw.accounts[0].clusters[0].nodeRoleArn,
    path: "registry-hub:accounts[0].clusters[0].nodeRoleArn",
    message: /exactly one/,
  },
  {
    title: "eks on a created cluster",
    break: (raw) => (createdProd(raw).eks = adoptedBeta(raw).eks),
    path: "registry-hub:accounts[1].clusters[1].eks",
    message: /only for adopted clusters/,
  },
  {
    title: "a cache on a created cluster older than Kubernetes 1.29",
    break: (raw) => ((createdProd(raw).create as { version: string }).version = "1.28"),
    path: "registry-hub:accounts[1].clusters[1].create.version",
    message: /1\.29 or later/,
  },
  {
    title: "a cache port in the NodePort range, which kube-proxy may capture",
    break: (raw) => (adoptedBeta(raw).cache.port = 30500),
    path: "registry-hub:accounts[1].clusters[0].cache.port",
    message: /1024-29999/,
  },
  {
    title: "a privileged cache port",
    break: (raw) => (createdProd(raw).cache.port = 80),
    path: "registry-hub:accounts[1].clusters[1].cache.port",
    message: /1024-29999/,
  },
  {
    title: "an adopted cluster with a cache and no declared Kubernetes version",
    break: (raw) => delete adoptedBeta(raw).eks.kubernetesVersion,
    path: "registry-hub:accounts[1].clusters[0].eks.kubernetesVersion",
    message: /must declare its Kubernetes version \(1\.29 or later\)/,
  },
  {
    title: "an adopted cluster with a cache older than Kubernetes 1.29",
    break: (raw) => (adoptedBeta(raw).eks.kubernetesVersion = "1.28"),
    path: "registry-hub:accounts[1].clusters[0].eks.kubernetesVersion",
    message: /1\.29 or later \(native sidecars\)/,
  },
  {
    title: "a cache image by tag only",
    break: (raw) => (adoptedBeta(raw).cache.images = { registry: "registry:3.1.1" }),
    path: "registry-hub:accounts[1].clusters[0].cache.images.registry",
    message: /pinned by digest/,
  },
  {
    title: "minSize above desiredSize",
    break: (raw) => (createdProd(raw).create.minSize = 4),
    path: "registry-hub:accounts[1].clusters[1].create.desiredSize",
    message: /minSize <= desiredSize <= maxSize/,
  },
  {
    title: "a vpcId without subnetIds",
    break: (raw) => delete createdProd(raw).create.subnetIds,
    path: "registry-hub:accounts[1].clusters[1].create.subnetIds",
    message: /together/,
  },
  {
    title: "an oidcIssuer with https://",
    break: (raw) =>
      (adoptedBeta(raw).eks.oidcIssuer = `https://${adoptedBeta(raw).eks.oidcIssuer}`),
    path: "registry-hub:accounts[1].clusters[0].eks.oidcIssuer",
    message: /without https:\/\//,
  },
  {
    title: "an oidcIssuer in another region than the account's",
    break: (raw) =>
      (adoptedBeta(raw).eks.oidcIssuer =
        "oidc.eks.eu-west-1.amazonaws.com/id/B3A1C0FFEE0000000000000000000001"),
    path: "registry-hub:accounts[1].clusters[0].eks.oidcIssuer",
    message: /^is not in the account's region us-east-1$/,
  },
  {
    title: "the registry account as the organization's management account",
    break: (raw) =>
      (raw.organization = {
        managementAccountId: "333333333333",
        deployRoleArn: "arn:aws:iam::333333333333:role/pulumi-deploy",
      }),
    path: "registry-hub:organization.managementAccountId",
    message:
      /^is the registry account; service control policies never apply to the management account/,
  },
  {
    title: "an organization deploy role outside the management account",
    break: (raw) =>
      (raw.organization = {
        managementAccountId: "999900000001",
        deployRoleArn: "arn:aws:iam::333333333333:role/pulumi-deploy",
      }),
    path: "registry-hub:organization.deployRoleArn",
    message: /^must be a role of the management account 999900000001$/,
  },
  {
    title: "an organization without its deploy role",
    break: (raw) => ((raw as RawConfig).organization = { managementAccountId: "999900000001" }),
    path: "registry-hub:organization.deployRoleArn",
    message: /^required$/,
  },
  {
    title: "a cluster name with upper case",
    break: (raw) => (raw.accounts[0].clusters[0].name = "Dev"),
    path: "registry-hub:accounts[0].clusters[0].name",
    message: /lower-case/,
  },
];

describe("config errors: prepare() rejects malformed configs with the config path", () => {
  it("accepts both stack files as they are", () => {
    for (const stack of ["prod", "sandbox"]) {
      const validation = prepare(readStackFile(path.join(ROOT, `Pulumi.${stack}.yaml`)));
      assert.ok(
        validation.ok,
        `Pulumi.${stack}.yaml: ${validation.ok ? "" : validation.problems.join("; ")}`,
      );
    }
  });

  for (const c of CASES) {
    it(`rejects ${c.title} at ${c.path}`, () => {
      const raw = prodRaw();
      c.break(raw);
      const problems = expectProblem(raw, c.path, c.message);
      assert.equal(
        problems.length,
        c.count ?? 1,
        `expected ${c.count ?? 1} problem(s), got:\n  ${problems.join("\n  ")}`,
      );
    });
  }

  it("accepts one role name in two accounts", () => {
    const raw = prodRaw();
    raw.accounts[0].clusters[0].nodeRoleArn = "arn:aws:iam::111111111111:role/team/nodes";
    adoptedBeta(raw).nodeRoleArn = "arn:aws:iam::222222222222:role/team/nodes";
    const validation = prepare(raw);
    assert.ok(validation.ok, validation.ok ? "" : validation.problems.join("\n"));
  });

  it("reports every shape problem at once", () => {
    const raw = prodRaw();
    raw.registry.accountId = "3";
    raw.repositories[1].name = "Team/App";
    adoptedBeta(raw).cache.port = 1;
    createdProd(raw).create.minSize = 5;
    raw.accounts[0].clusters[1].typo = true;
    const problems = problemsOf(raw);
    const paths = problems.map((p) => p.slice(0, p.indexOf(": ")));
    assert.deepEqual(paths.sort(), [
      "registry-hub:accounts[0].clusters[1].typo",
      "registry-hub:accounts[1].clusters[0].cache.port",
      "registry-hub:accounts[1].clusters[1].create.desiredSize",
      "registry-hub:registry.accountId",
      "registry-hub:repositories[1].name",
    ]);
  });

  it("reports every cross-reference problem at once", () => {
    const raw = prodRaw();
    raw.registry.deployRoleArn = "arn:aws:iam::111111111111:role/pulumi-deploy";
    raw.repositories[1].pushers = ["nobody"];
    raw.repositories[0].clusters = ["beta", "nowhere"];
    raw.accounts[0].clusters[0].nodeRoleArn = "arn:aws:iam::222222222222:role/nodes.dev";
    raw.repositories.push({ name: "tools/debug" });
    const paths = problemsOf(raw).map((p) => p.slice(0, p.indexOf(": ")));
    assert.deepEqual(paths.sort(), [
      "registry-hub:accounts[0].clusters[0].nodeRoleArn",
      "registry-hub:registry.deployRoleArn",
      "registry-hub:repositories[0].clusters[1]",
      "registry-hub:repositories[1].pushers[0]",
      "registry-hub:repositories[5].name",
    ]);
  });

  // Regression test: the config check used to look for cross-reference problems only once the
  // schema passed, so this config reported the port alone (fixed in 9f38c1f).
  it("reports shape and cross-reference problems together", () => {
    const raw = prodRaw();
    adoptedBeta(raw).cache.port = 1; // shape
    raw.repositories[1].pushers = ["nobody"]; // cross-reference
    const paths = problemsOf(raw).map((p) => p.slice(0, p.indexOf(": ")));
    assert.deepEqual(paths.sort(), [
      "registry-hub:accounts[1].clusters[0].cache.port",
      "registry-hub:repositories[1].pushers[0]",
    ]);
  });

  it("refuses a role whose inline policies together outgrow IAM's limit, naming the role, its size and the limit", () => {
    const raw = prodRaw();
    // 220 repositories only the prod cluster pulls: every other role denies each by ARN.
    for (let i = 0; i < 220; i++)
      raw.repositories.push({ name: `prod-only/service-${i}`, clusters: ["prod"] });
    const problems = problemsOf(raw);
    assert.deepEqual(
      problems.map((p) => p.slice(0, p.indexOf(": "))),
      [
        "registry-hub:accounts[0].clusters[0]",
        "registry-hub:accounts[0].clusters[1]",
        "registry-hub:accounts[1].clusters[0]",
        "registry-hub:accounts[1].clusters[0].cache",
      ],
    );
    assert.match(
      problems[0],
      /^registry-hub:accounts\[0\]\.clusters\[0\]: role arn:aws:iam::111111111111:role\/nodes\.dev\.k8s\.invalid would carry 1\d,\d{3} characters of inline policy \(1 policy from this program, whitespace not counted\), over IAM's 10,240 limit for all inline policies of a role together; /,
    );
    assert.match(
      problems[3],
      /role arn:aws:iam::222222222222:role\/registry-hub-beta-cache would carry/,
    );
  });

  it("needs no size check for the service control policy: it fits wherever the repository policies do", () => {
    // Admins are its only variable part, and every repository policy names them three times.
    const withAdmins = (count: number) => {
      const raw = prodRaw();
      raw.organization = {
        managementAccountId: "999900000001",
        deployRoleArn: "arn:aws:iam::999900000001:role/pulumi-deploy",
      };
      raw.registry.admins = Array.from(
        { length: count },
        (_, i) => `arn:aws:iam::333333333333:role/team-with-a-long-name/registry-admin-${i}`,
      );
      return prepare(raw);
    };
    let most = 1;
    while (withAdmins(most + 1).ok) most++;
    const validation = withAdmins(most);
    assert.ok(validation.ok && most > 10);
    const scp = planAccess(validation.model).guardrail?.policyText ?? "";
    assert.ok(scp.length > 0 && scp.length <= SCP_SIZE_LIMIT, `${most} admins: ${scp.length}`);
  });

  describe("an oversized roles-mode repository policy", () => {
    /** 160 adopted clusters spread over 4 accounts: their node roles do not fit one policy. */
    function manyClusters(): Raw {
      const raw = prodRaw();
      raw.accounts = [0, 1, 2, 3].map((a) => {
        const accountId = `10000000000${a}`;
        return {
          name: `team-${a}`,
          accountId,
          deployRoleArn: `arn:aws:iam::${accountId}:role/pulumi-deploy`,
          clusters: Array.from({ length: 40 }, (_, c) => ({
            name: `cluster-${a}-${c}`,
            nodeRoleArn: `arn:aws:iam::${accountId}:role/eks-node-group-cluster-${a}-${c}`,
          })),
        };
      });
      raw.repositories[0].clusters = ["cluster-0-0"]; // microservice stays small
      return raw;
    }

    it("is rejected naming each repository and the modes that fit", () => {
      const problems = problemsOf(manyClusters());
      // microservice (repositories[0]) names one cluster and fits; the four others do not.
      assert.deepEqual(
        problems.map((p) => p.slice(0, p.indexOf(": "))),
        [1, 2, 3, 4].map((i) => `registry-hub:repositories[${i}]`),
      );
      for (const p of problems) {
        assert.match(
          p,
          /repository policy would be \d{2},\d{3} characters in access mode roles, over ECR's 10,240 limit/,
        );
        assert.match(
          p,
          /set registry-hub:access\.mode to a mode that fits: accounts \([\d,]+\), organization \([\d,]+\) with registry-hub:access\.organizationId$/,
        );
      }
    });

    it("names no organizationId when one is configured", () => {
      const raw = manyClusters();
      raw.access = { mode: "roles", organizationId: "o-abcdefghij" };
      for (const p of problemsOf(raw)) assert.match(p, /organization \([\d,]+\)$/);
    });

    it("in organization mode, counts the roles a repository that lists clusters names", () => {
      const raw = manyClusters();
      raw.access = { mode: "organization", organizationId: "o-abcdefghij" };
      raw.repositories[0].clusters = raw.accounts.flatMap((a) => a.clusters.map((c) => c.name));
      const problems = problemsOf(raw);
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(
        problems[0],
        /^registry-hub:repositories\[0\]: repository policy would be \d{2},\d{3} characters in access mode organization, over ECR's 10,240 limit; set registry-hub:access\.mode to a mode that fits: accounts \(/,
      );
    });

    it("fits in accounts mode", () => {
      const raw = manyClusters();
      raw.access = { mode: "accounts" };
      const validation = prepare(raw);
      assert.ok(validation.ok, validation.ok ? "" : validation.problems.join("\n"));
    });
  });
});
