/**
 * Configs the schema's shapes let through but AWS (or Kubernetes) cannot deploy, and names
 * that would garble the messages: each starts from Pulumi.prod.yaml and breaks one thing.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { readStackFile } from "../../config/stack-file";
import { prepare } from "../../prepare";

const ROOT = path.resolve(__dirname, "../..");

function prodRaw(): any {
  return structuredClone(readStackFile(path.join(ROOT, "Pulumi.prod.yaml")));
}

function problemsOf(raw: unknown): string[] {
  const validation = prepare(raw as Record<string, unknown>);
  assert.equal(validation.ok, false, "the config should have been rejected");
  return validation.ok ? [] : validation.problems;
}

/** Exactly one problem, at `configPath`, whose message matches. */
function expectOnly(raw: unknown, configPath: string, message: RegExp): string {
  const problems = problemsOf(raw);
  assert.equal(problems.length, 1, problems.join("\n"));
  const prefix = `${configPath}: `;
  assert.ok(problems[0].startsWith(prefix), problems[0]);
  assert.match(problems[0].slice(prefix.length), message);
  return problems[0];
}

const adoptedBeta = (raw: any) => raw.accounts[1].clusters[0];
const createdProd = (raw: any) => raw.accounts[1].clusters[1];

interface Case {
  title: string;
  break: (raw: any) => void;
  path: string;
  message: RegExp;
}

const DIGEST = `@sha256:${"0123456789abcdef".repeat(4)}`;
const withCacheImage = (image: string) => (raw: any) =>
  (adoptedBeta(raw).cache.images = { registry: image });
const CACHE_IMAGE = "registry-hub:accounts[1].clusters[0].cache.images.registry";

const CASES: Case[] = [
  {
    title: "an admin in the aws-cn partition",
    break: (raw) => (raw.registry.admins = ["arn:aws-cn:iam::333333333333:role/registry-admin"]),
    path: "registry-hub:registry.admins[0]",
    message: /^is in partition aws-cn; the registry \(region us-east-1\) is in partition aws$/,
  },
  {
    title: "a pusher in the aws-us-gov partition",
    break: (raw) =>
      (raw.pushers[0].principalArn = "arn:aws-us-gov:iam::333333333333:role/github-actions"),
    path: "registry-hub:pushers[0].principalArn",
    message: /^is in partition aws-us-gov; the registry/,
  },
  {
    title: "a node role in the aws-iso-b partition",
    break: (raw) =>
      (raw.accounts[0].clusters[0].nodeRoleArn = "arn:aws-iso-b:iam::111111111111:role/nodes"),
    path: "registry-hub:accounts[0].clusters[0].nodeRoleArn",
    message: /^is in partition aws-iso-b; the registry/,
  },
  {
    title: "an ARN in no partition (arn:awsx:)",
    break: (raw) => (raw.registry.deployRoleArn = "arn:awsx:iam::333333333333:role/pulumi-deploy"),
    path: "registry-hub:registry.deployRoleArn",
    message: /^not an IAM role ARN: no AWS partition is called awsx/,
  },
  {
    title: "an ARN in no partition (arn:aws-:)",
    break: (raw) => (raw.accounts[0].deployRoleArn = "arn:aws-:iam::111111111111:role/x"),
    path: "registry-hub:accounts[0].deployRoleArn",
    message: /^not an IAM role ARN: no AWS partition is called aws-/,
  },
  {
    title: "an account whose region is in another partition",
    break: (raw) => (raw.accounts[0].region = "cn-north-1"),
    path: "registry-hub:accounts[0].region",
    message:
      /^cn-north-1 is in partition aws-cn; the registry \(region us-east-1\) is in partition aws, and images are not shared across partitions$/,
  },
  {
    title: "an empty role name (role/)",
    break: (raw) => (raw.registry.admins = ["arn:aws:iam::333333333333:role/"]),
    path: "registry-hub:registry.admins[0]",
    message: /^not an IAM role ARN: the role name is empty$/,
  },
  {
    title: "an empty path segment (role//x)",
    break: (raw) => (raw.registry.admins = ["arn:aws:iam::333333333333:role//x"]),
    path: "registry-hub:registry.admins[0]",
    message: /^not an IAM role ARN: the role path has an empty segment/,
  },
  {
    title: "a role name of 65 characters",
    break: (raw) => (raw.registry.admins = [`arn:aws:iam::333333333333:role/${"a".repeat(65)}`]),
    path: "registry-hub:registry.admins[0]",
    message: /^the role name has 65 characters; IAM allows 1-64$/,
  },
  {
    title: "a role path of 513 characters",
    break: (raw) =>
      (raw.registry.admins = [`arn:aws:iam::333333333333:role/${"p".repeat(511)}/admin`]),
    path: "registry-hub:registry.admins[0]",
    message: /^the role path has 513 characters; IAM allows at most 512$/,
  },
  {
    title: "a 10,000-character instance type",
    break: (raw) => (createdProd(raw).create.instanceType = `m6i.${"x".repeat(9996)}`),
    path: "registry-hub:accounts[1].clusters[1].create.instanceType",
    message: /^has 10,000 characters; EC2 instance type names are far shorter$/,
  },
  {
    title: "a 10,000-character OIDC id",
    break: (raw) =>
      (adoptedBeta(raw).eks.oidcIssuer =
        `oidc.eks.us-east-1.amazonaws.com/id/${"A".repeat(10_000)}`),
    path: "registry-hub:accounts[1].clusters[0].eks.oidcIssuer",
    message: /^has 10,036 characters; an OIDC provider URL has at most 255 characters/,
  },
  {
    title: "an OIDC id of 33 hex digits",
    break: (raw) =>
      (adoptedBeta(raw).eks.oidcIssuer = `oidc.eks.us-east-1.amazonaws.com/id/${"A".repeat(33)}`),
    path: "registry-hub:accounts[1].clusters[0].eks.oidcIssuer",
    message: /^not an EKS OIDC issuer \(.*the ID 32 hex digits in capitals as EKS makes it/,
  },
  {
    title: "an OIDC issuer of China's partition for a cluster in aws",
    break: (raw) =>
      (adoptedBeta(raw).eks.oidcIssuer =
        "oidc.eks.us-east-1.amazonaws.com.cn/id/B3A1C0FFEE0000000000000000000001"),
    path: "registry-hub:accounts[1].clusters[0].eks.oidcIssuer",
    message:
      /^has host oidc\.eks\.us-east-1\.amazonaws\.com\.cn; EKS issuers of region us-east-1 \(partition aws\) are on oidc\.eks\.us-east-1\.amazonaws\.com$/,
  },
  {
    title: "a cache image whose path has an empty component (a..b)",
    break: withCacheImage(`registry.example/a..b${DIGEST}`),
    path: CACHE_IMAGE,
    message:
      /^repository path component a\.\.b is not one the image reference grammar allows: lower-case letters and digits, separated by one \. or _, by __, or by dashes$/,
  },
  {
    title: "a cache image on a host that is no host name",
    break: withCacheImage(`registry_1.example/app${DIGEST}`),
    path: CACHE_IMAGE,
    message: /^registry host registry_1\.example is not a host name/,
  },
  {
    title: "a cache image on port 99999",
    break: withCacheImage(`registry.example:99999/app${DIGEST}`),
    path: CACHE_IMAGE,
    message: /^registry port 99999 is not a port \(1-65535\)$/,
  },
  {
    title: "a cache image tagged .3",
    break: withCacheImage(`registry.example/app:.3${DIGEST}`),
    path: CACHE_IMAGE,
    message:
      /^tag \.3 is not an image tag: 1-128 letters, digits, _ \. and -, not starting with \. or -$/,
  },
  {
    title: "a cache image with a tag of 129 characters",
    break: withCacheImage(`registry.example/app:${"t".repeat(129)}${DIGEST}`),
    path: CACHE_IMAGE,
    message: /^tag "t{100}" \(and 29 more characters\) is not an image tag/,
  },
  {
    title: "a cache image whose name has 256 characters",
    break: withCacheImage(`registry.example/${"a".repeat(239)}${DIGEST}`),
    path: CACHE_IMAGE,
    message:
      /^the image name \(registry and repository\) has 256 characters; image references allow at most 255$/,
  },
  {
    title: "maxSize 10^12",
    break: (raw) => (createdProd(raw).create.maxSize = 1e12),
    path: "registry-hub:accounts[1].clusters[1].create.maxSize",
    message: /^Kubernetes supports at most 5,000 nodes per cluster$/,
  },
  {
    title: "the same subnet twice",
    break: (raw) => (createdProd(raw).create.subnetIds[2] = "subnet-0a1b2c3d4e5f60001"),
    path: "registry-hub:accounts[1].clusters[1].create.subnetIds[2]",
    message: /^subnet subnet-0a1b2c3d4e5f60001 is already listed at subnetIds\[0\]$/,
  },
  {
    title: "two adopted entries for one EKS cluster",
    break: (raw) =>
      raw.accounts[1].clusters.push({
        name: "beta-again",
        nodeRoleArn: "arn:aws:iam::222222222222:role/nodes.beta2",
        eks: { ...adoptedBeta(raw).eks },
      }),
    path: "registry-hub:accounts[1].clusters[2].eks.clusterName",
    message:
      /^EKS cluster beta in account 222222222222 \(us-east-1\) is already configured at registry-hub:accounts\[1\]\.clusters\[0\]\.eks\.clusterName; one cluster, one entry$/,
  },
  {
    title: "an adopted entry for the cluster another entry creates",
    break: (raw) =>
      raw.accounts[1].clusters.push({
        name: "prod-adopted",
        nodeRoleArn: "arn:aws:iam::222222222222:role/nodes.prod2",
        eks: { ...adoptedBeta(raw).eks, clusterName: "prod" },
      }),
    path: "registry-hub:accounts[1].clusters[2].eks.clusterName",
    message:
      /^EKS cluster prod .* already configured at registry-hub:accounts\[1\]\.clusters\[1\]\.name;/,
  },
];

describe("config limits: what AWS cannot deploy is refused with its path and rule", () => {
  for (const c of CASES) {
    it(`rejects ${c.title} at ${c.path}`, () => {
      const raw = prodRaw();
      c.break(raw);
      expectOnly(raw, c.path, c.message);
    });
  }

  it("still accepts role paths, and a cluster adopted under the same name in another region", () => {
    const raw = prodRaw();
    raw.registry.admins = ["arn:aws:iam::333333333333:role/team/ops/registry-admin"];
    raw.accounts.push({
      name: "west",
      accountId: "444444444444",
      deployRoleArn: "arn:aws:iam::444444444444:role/pulumi-deploy",
      region: "us-west-2",
      clusters: [],
    });
    const validation = prepare(raw);
    assert.ok(validation.ok, validation.ok ? "" : validation.problems.join("\n"));
  });
});

describe("config limits: what AWS and Kubernetes accept still passes", () => {
  it("accepts image references the grammar allows", () => {
    for (const image of [
      `localhost:5000/team/app:v1.2_rc-1${DIGEST}`,
      `[::1]:5000/app${DIGEST}`,
      `Registry.Example:65535/a__b/c---d.e_f${DIGEST}`,
      `registry.example/${"a".repeat(238)}:${"t".repeat(128)}${DIGEST}`,
    ]) {
      const raw = prodRaw();
      withCacheImage(image)(raw);
      const validation = prepare(raw);
      assert.ok(validation.ok, validation.ok ? "" : validation.problems.join("\n"));
    }
  });

  it("accepts an aws-cn cluster's issuer on amazonaws.com.cn", () => {
    const raw = prodRaw();
    raw.registry.region = "cn-north-1";
    const cn = (arn: string) => arn.replace("arn:aws:", "arn:aws-cn:");
    raw.registry.deployRoleArn = cn(raw.registry.deployRoleArn);
    const withPreview = (target: object) => {
      const t = target as { previewRoleArn?: string };
      if (t.previewRoleArn) t.previewRoleArn = cn(t.previewRoleArn);
    };
    withPreview(raw.registry);
    raw.registry.admins = raw.registry.admins.map(cn);
    raw.pushers[0].principalArn = cn(raw.pushers[0].principalArn);
    for (const account of raw.accounts) {
      account.deployRoleArn = cn(account.deployRoleArn);
      withPreview(account);
      for (const cluster of account.clusters)
        if (cluster.nodeRoleArn) cluster.nodeRoleArn = cn(cluster.nodeRoleArn);
    }
    adoptedBeta(raw).eks.oidcIssuer =
      "oidc.eks.cn-north-1.amazonaws.com.cn/id/B3A1C0FFEE0000000000000000000001";
    const validation = prepare(raw);
    assert.ok(validation.ok, validation.ok ? "" : validation.problems.join("\n"));
  });
});

describe("config messages: names from the file are escaped and cut", () => {
  it("escapes a newline, so a name cannot forge a problem line", () => {
    const raw = prodRaw();
    raw.repositories[1].pushers = ["ci\nregistry-hub:registry.accountId: forged"];
    const [problem] = problemsOf(raw);
    assert.equal(
      problem,
      'registry-hub:repositories[1].pushers[0]: unknown pusher "ci\\nregistry-hub:registry.accountId: forged" (not in registry-hub:pushers)',
    );
  });

  it("escapes ANSI escapes, NUL bytes and C1 controls", () => {
    const raw = prodRaw();
    raw.repositories[0].clusters = ["\u001b[2J\u0000beta\u009b"];
    const [problem] = problemsOf(raw);
    const controls = [...problem].filter(
      (c) => c.charCodeAt(0) < 0x20 || (c >= "\u007f" && c <= "\u009f"),
    );
    assert.deepEqual(controls, [], JSON.stringify(problem));
    assert.match(problem, /unknown cluster "\\u001b\[2J\\u0000beta\\u009b"/);
  });

  it("cuts a 5 MB name to 100 characters and says how much is left", () => {
    const raw = prodRaw();
    raw.repositories[1].pushers = ["x".repeat(5_000_000)];
    const [problem] = problemsOf(raw);
    assert.ok(problem.length < 300, `${problem.length} characters`);
    assert.match(problem, /unknown pusher "x{100}" \(and 4,999,900 more characters\)/);
  });

  it("escapes an unknown key in its config path", () => {
    const raw = prodRaw();
    raw.registry["admin\nx"] = [];
    assert.deepEqual(problemsOf(raw), [
      'registry-hub:registry["admin\\nx"]: unknown key (a typo?)',
    ]);
  });

  it("lists the first five of many unknown keys, then a count", function () {
    this.timeout(10_000);
    const raw = prodRaw();
    for (let i = 0; i < 45_000; i++) raw.registry[`k${i}`] = i;
    const started = Date.now();
    const problems = problemsOf(raw);
    assert.ok(Date.now() - started < 5_000);
    assert.deepEqual(problems, [
      ...[0, 1, 2, 3, 4].map((i) => `registry-hub:registry.k${i}: unknown key (a typo?)`),
      "registry-hub:registry: and 44,995 more unknown keys",
    ]);
  });
});
