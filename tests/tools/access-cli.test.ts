/**
 * tools/access.ts as people run it: a child process. Three spawns, run in parallel once, since
 * each costs about 1.5 s of ts-node start-up.
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { readStackFile } from "../../config/stack-file";
import { validateConfig } from "../../config/validate";
import { GET_AUTHORIZATION_TOKEN, PULL_ACTIONS, PUSH_ONLY_ACTIONS } from "../../iam/ecr-actions";
import { PolicyDocument } from "../../iam/document";
import { planAccess } from "../../plan/access";
import { simulate } from "../../tools/simulate";

const ROOT = path.resolve(__dirname, "../..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runAccess(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", "tools/access.ts", ...args],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

interface JsonReport {
  stack: string;
  accessMode: string;
  repositories: { name: string; arn: string; policy: PolicyDocument; policyChars: number }[];
  identityPolicies: { principalArn: string; accountId: string; policy: PolicyDocument }[];
  decisions: { principal: string; repository: string; action: string; decision: string }[];
}

describe("tools/access.ts (child process)", function () {
  // Three ts-node start-ups at once: on a loaded 2-core machine 20 s was not enough (CI run).
  this.timeout(60_000);
  const prod = validateConfig(readStackFile(path.join(ROOT, "Pulumi.prod.yaml")));
  if (!prod.ok) throw new Error(prod.problems.join("\n"));
  const plan = planAccess(prod.config);
  const nodeRoles = plan.pullers.filter((p) => p.kind === "nodes");

  let tmp: string;
  let invalidFile: string;
  let json: Run;
  let text: Run;
  let invalid: Run;

  before(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), "access-cli-"));
    invalidFile = path.join(tmp, "Pulumi.broken.yaml");
    // Prod's config with two things broken.
    const raw = structuredClone(readStackFile(path.join(ROOT, "Pulumi.prod.yaml"))) as {
      registry: { accountId: string };
      accounts: { clusters: { cache?: { port: number } }[] }[];
    };
    raw.registry.accountId = "33333333333";
    raw.accounts[1].clusters[0].cache!.port = 80;
    writeFileSync(
      invalidFile,
      stringify({
        config: Object.fromEntries(Object.entries(raw).map(([k, v]) => [`registry-hub:${k}`, v])),
      }),
    );
    [json, text, invalid] = await Promise.all([
      runAccess(["--stack", "prod", "--json"]),
      runAccess(["--stack", "prod"]),
      runAccess(["--config-file", invalidFile]),
    ]);
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe("--stack prod --json", () => {
    let report: JsonReport;
    before(() => {
      assert.equal(json.code, 0, json.stderr);
      report = JSON.parse(json.stdout) as JsonReport; // exactly one JSON document, nothing else on stdout
    });

    it("prints one JSON object with the documented keys", () => {
      assert.equal(typeof report, "object");
      for (const key of ["stack", "accessMode", "repositories", "identityPolicies", "decisions"]) {
        assert.ok(key in report, `missing key ${key}`);
      }
      assert.equal(report.stack, "prod");
      assert.equal(report.accessMode, "roles");
      for (const r of report.repositories)
        assert.deepEqual(Object.keys(r).sort(), ["arn", "name", "policy", "policyChars"]);
      for (const p of report.identityPolicies)
        assert.deepEqual(Object.keys(p).sort(), ["accountId", "policy", "principalArn"]);
      for (const d of report.decisions)
        assert.deepEqual(Object.keys(d).sort(), ["action", "decision", "principal", "repository"]);
    });

    it("reports the policies the program deploys, with policyChars = JSON.stringify(policy).length", () => {
      assert.deepEqual(
        report.repositories.map((r) => ({ name: r.name, arn: r.arn, policy: r.policy })),
        plan.repositories.map((r) => ({
          name: r.repository.name,
          arn: r.repository.arn,
          policy: r.policy,
        })),
      );
      for (const r of report.repositories) {
        assert.equal(r.policyChars, JSON.stringify(r.policy).length, r.name);
        assert.ok(r.policyChars > 0 && r.policyChars <= 10_240);
      }
      assert.deepEqual(
        report.identityPolicies,
        plan.pullers.map((p) => ({
          principalArn: p.principalArn,
          accountId: p.cluster.accountId,
          policy: p.policy,
        })),
      );
    });

    it("decides for node and cache roles exactly what the simulator decides with the reported policies", async () => {
      const mismatches: string[] = [];
      let checked = 0;
      for (const identity of report.identityPolicies) {
        const own = report.decisions.filter((d) => d.principal === identity.principalArn);
        assert.equal(
          own.length,
          1 + report.repositories.length * (PULL_ACTIONS.length + PUSH_ONLY_ACTIONS.length),
          identity.principalArn,
        );
        for (const d of own) {
          const repo = report.repositories.find((r) => r.name === d.repository);
          const decision = await simulate({
            principalArn: identity.principalArn,
            identityPolicies: [identity.policy],
            action: d.action,
            resourceArn: repo ? repo.arn : "*",
            resourcePolicy: repo?.policy,
          });
          checked++;
          if (decision !== d.decision)
            mismatches.push(
              `${d.principal} ${d.action} ${d.repository}: report ${d.decision}, simulator ${decision}`,
            );
        }
      }
      assert.ok(checked >= 6 * 36);
      assert.deepEqual(mismatches, []);
    });

    it("has the expected decisions for prod's node roles, the dev/microservice exclusion and outsiders", () => {
      const decision = (principal: string, repository: string, action: string) =>
        report.decisions.find(
          (d) => d.principal === principal && d.repository === repository && d.action === action,
        )?.decision;
      for (const node of nodeRoles) {
        assert.equal(decision(node.principalArn, "*", GET_AUTHORIZATION_TOKEN), "Allowed");
        assert.equal(decision(node.principalArn, "team/app", "ecr:BatchGetImage"), "Allowed");
        assert.equal(decision(node.principalArn, "team/app", "ecr:PutImage"), "ExplicitlyDenied");
        const allowed = ["beta", "prod"].includes(node.cluster.name);
        assert.equal(
          decision(node.principalArn, "microservice", "ecr:BatchGetImage"),
          allowed ? "Allowed" : "ExplicitlyDenied",
        );
      }
      assert.equal(
        decision("arn:aws:iam::333333333333:role/someone-else", "team/app", "ecr:BatchGetImage"),
        "ExplicitlyDenied",
      );
      assert.equal(
        decision("arn:aws:iam::999999999999:role/someone-else", "team/app", "ecr:BatchGetImage"),
        "ImplicitlyDenied",
      );
      assert.equal(
        decision("arn:aws:iam::111111111111:role/someone-else", "team/app", "ecr:BatchGetImage"),
        "ImplicitlyDenied",
      );
      assert.equal(
        decision("arn:aws:iam::333333333333:role/github-actions", "team/app", "ecr:PutImage"),
        "Allowed",
      );
      assert.equal(
        decision("arn:aws:iam::333333333333:role/github-actions", "tools/debug", "ecr:PutImage"),
        "ExplicitlyDenied",
      );
    });
  });

  describe("--stack prod (text matrix)", () => {
    it("exits 0 and lists every node role with pull, never push, and microservice only for beta and prod", () => {
      assert.equal(text.code, 0, text.stderr);
      const lines = text.stdout.split("\n");
      assert.match(lines[0], /^Stack prod, access mode roles/);
      const header = lines.find((l) => l.startsWith("principal"));
      assert.ok(header);
      const columns = header.split(/\s{2,}/);
      assert.deepEqual(columns, ["principal", ...plan.repositories.map((r) => r.repository.name)]);
      for (const node of nodeRoles) {
        const row = lines.find((l) => l.startsWith(`${node.principalArn} `));
        assert.ok(row, `no row for ${node.principalArn}`);
        const cells = row.split(/\s{2,}/).slice(1);
        const expected = plan.repositories.map((r) =>
          r.repository.clusters === undefined || r.repository.clusters.includes(node.cluster.name)
            ? "pull"
            : "-",
        );
        assert.deepEqual(cells, expected, node.principalArn);
      }
      assert.match(text.stdout, /Repository policy sizes:/);
    });
  });

  describe("--config-file with an invalid config", () => {
    it("exits 2 with the registry-hub: problems on stderr, nothing on stdout and no stack trace", () => {
      assert.equal(invalid.code, 2, invalid.stderr);
      assert.equal(invalid.stdout, "");
      const lines = invalid.stderr.trimEnd().split("\n");
      assert.equal(lines[0], `${invalidFile}: invalid registry-hub config:`);
      assert.deepEqual(
        lines
          .slice(1)
          .map((l) => l.trim())
          .sort(),
        [
          "registry-hub:accounts[1].clusters[0].cache.port: a port in 1024-29999 (unprivileged, below the NodePort range)",
          "registry-hub:registry.accountId: not a 12-digit AWS account id",
        ],
      );
      assert.doesNotMatch(invalid.stderr, /^\s+at /m);
      assert.doesNotMatch(invalid.stderr, /Error:/);
    });
  });
});
