import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildAccessReport } from "../../tools/access-report";
import { diffReports } from "../../tools/access-diff";
import { copy, rawStack, validConfig } from "../../testing/stacks";

describe("access diff", function () {
  this.timeout(20_000);
  const NEW_ROLE = "arn:aws:iam::111111111111:role/nodes.qa.k8s.invalid";

  it("lists the grants a new cluster gains and the policies that grow, nothing else", async () => {
    const before = rawStack("prod");
    const after = copy(before) as any;
    after.accounts[0].clusters.push({ name: "qa", nodeRoleArn: NEW_ROLE });
    const diff = diffReports(
      await buildAccessReport("prod", validConfig(before)),
      await buildAccessReport("prod", validConfig(after)),
    );
    assert.deepEqual(diff.removed, []);
    assert.deepEqual(
      diff.added.map((g) => [g.principal, g.repository, g.capability]),
      ["team/app", "team/worker", "base/python", "tools/debug"].map((repo) => [
        NEW_ROLE,
        repo,
        "pull",
      ]),
    );
    assert.deepEqual(
      diff.policySizes.map((s) => s.repository),
      ["base/python", "team/app", "team/worker", "tools/debug"],
    );
    assert.ok(diff.policySizes.every((s) => s.after! > s.before!));
  });

  it("lists a push grant removed when a repository drops its pusher", async () => {
    const before = rawStack("sandbox");
    const after = copy(before) as any;
    after.repositories[1].pushers = [];
    const diff = diffReports(
      await buildAccessReport("sandbox", validConfig(before)),
      await buildAccessReport("sandbox", validConfig(after)),
    );
    assert.deepEqual(
      diff.removed.map((g) => [g.principal, g.repository, g.capability]),
      [
        ["arn:aws:iam::444444444444:role/github-actions", "team/app", "pull"],
        ["arn:aws:iam::444444444444:role/github-actions", "team/app", "push"],
      ],
    );
    assert.deepEqual(diff.added, []);
  });

  it("npm run access -- --diff REF compares with the file at a git ref", () => {
    const dir = mkdtempSync(join(tmpdir(), "access-diff-"));
    try {
      const git = (...args: string[]) =>
        execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir });
      git("init", "-q");
      const original = readFileSync(join(__dirname, "../../Pulumi.prod.yaml"), "utf8");
      writeFileSync(join(dir, "Pulumi.prod.yaml"), original);
      git("add", ".");
      git("commit", "-qm", "base");
      writeFileSync(
        join(dir, "Pulumi.prod.yaml"),
        original.replace(
          "          nodeRoleArn: arn:aws:iam::111111111111:role/nodes.sandbox.k8s.invalid\n",
          `          nodeRoleArn: arn:aws:iam::111111111111:role/nodes.sandbox.k8s.invalid\n        - name: qa\n          nodeRoleArn: ${NEW_ROLE}\n`,
        ),
      );
      const run = spawnSync(
        process.execPath,
        [
          "-r",
          require.resolve("ts-node/register/transpile-only"),
          join(__dirname, "../../tools/access.ts"),
          "--config-file",
          "Pulumi.prod.yaml",
          "--diff",
          "HEAD",
        ],
        {
          cwd: dir,
          encoding: "utf8",
          env: { ...process.env, TS_NODE_PROJECT: join(__dirname, "../../tsconfig.json") },
        },
      );
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /Access changes against Pulumi\.prod\.yaml at HEAD/);
      assert.match(run.stdout, new RegExp(`\\+ pull team/app  ${NEW_ROLE.replace(/\./g, "\\.")}`));
      assert.doesNotMatch(run.stdout, /^ {2}- /m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
