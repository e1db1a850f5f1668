/**
 * tools/aws-profiles.ts: the profiles cover exactly what the program's providers and kubeconfigs
 * use, a preview's profiles hold no deploy role, and an account without a preview role stops a
 * preview (exit 2) instead of falling back to its deploy role.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse, stringify } from "yaml";
import { collect, installMocks } from "../../testing/mock-runtime";
import { deployPlanned, stackConfig } from "../../testing/stacks";
import { credentialTargets } from "../../plan/credentials";
import { renderProfiles } from "../../tools/aws-profiles";

installMocks();

const ROOT = path.resolve(__dirname, "../..");

function profiles(text: string): Map<string, Record<string, string>> {
  const result = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const line of text.split("\n")) {
    const header = /^\[profile (.+)\]$/.exec(line);
    if (header) result.set(header[1], (current = {}));
    else if (line.includes(" = ") && current) {
      const [key, value] = line.split(" = ");
      current[key] = value;
    }
  }
  return result;
}

for (const stack of ["prod", "sandbox"] as const) {
  describe(`npm run aws-profiles, Pulumi.${stack}.yaml`, () => {
    const config = stackConfig(stack);
    const targets = credentialTargets(config);

    it("names exactly the profiles the program's providers and kubeconfigs use", async () => {
      const resources = await collect(() => deployPlanned(config));
      const used = new Set(
        resources
          .filter((r) => r.type === "pulumi:providers:aws")
          .map((r) => r.inputs.profile as string),
      );
      const rendered = renderProfiles(pulumi.getStack(), targets, "deploy");
      assert.ok(rendered.ok);
      assert.deepEqual([...profiles(rendered.text).keys()].sort(), [...used].sort());
      const created = resources.filter((r) => r.type === "eks:index:Cluster");
      for (const cluster of created) {
        const profile = (cluster.inputs.providerCredentialOpts as { profileName: string })
          .profileName;
        assert.ok(used.has(profile), `${profile} of the cluster's kubeconfig has a profile`);
      }
    });

    it("a preview's profiles assume the read-only roles only; a deploy's the deploy roles", () => {
      const preview = renderProfiles(stack, targets, "preview");
      const deploy = renderProfiles(stack, targets, "deploy");
      assert.ok(preview.ok && deploy.ok);
      for (const t of targets) {
        assert.ok(
          !preview.text.includes(t.deployRoleArn),
          `${t.name}: no deploy role in a preview`,
        );
        assert.equal(
          profiles(preview.text).get(`registry-hub-${stack}-${t.name}`)?.role_arn,
          t.previewRoleArn,
        );
        assert.equal(
          profiles(deploy.text).get(`registry-hub-${stack}-${t.name}`)?.role_arn,
          t.deployRoleArn,
        );
      }
    });
  });
}

describe("npm run aws-profiles without a preview role", function () {
  this.timeout(30_000);

  it("refuses the preview, naming every account without one, and exits 2; deploy profiles still print", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "aws-profiles-"));
    try {
      type WithPreview = { previewRoleArn?: string };
      const raw = parse(readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")) as {
        config: { "registry-hub:registry": WithPreview; "registry-hub:accounts": WithPreview[] };
      };
      delete raw.config["registry-hub:registry"].previewRoleArn;
      delete raw.config["registry-hub:accounts"][1].previewRoleArn;
      const file = path.join(dir, "Pulumi.prod.yaml");
      writeFileSync(file, stringify(raw));
      const tool = (role: string) =>
        spawnSync(
          process.execPath,
          [
            "-r",
            "ts-node/register/transpile-only",
            path.join(ROOT, "tools/aws-profiles.ts"),
            "--stack",
            "prod",
            "--config-file",
            file,
            "--role",
            role,
          ],
          {
            cwd: ROOT,
            encoding: "utf8",
            env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
          },
        );
      const preview = tool("preview");
      assert.equal(preview.status, 2, preview.stderr);
      assert.equal(preview.stdout, "");
      assert.match(
        preview.stderr,
        /registry\.previewRoleArn: not set; a preview of this stack needs a role of account 333333333333/,
      );
      assert.match(preview.stderr, /accounts\[1\]\.previewRoleArn: not set/);
      assert.doesNotMatch(preview.stderr, /accounts\[0\]/);
      assert.doesNotMatch(preview.stderr, /\n\s+at /, "no stack trace");
      const deploy = tool("deploy");
      assert.equal(deploy.status, 0, deploy.stderr);
      assert.equal(profiles(deploy.stdout).size, 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
