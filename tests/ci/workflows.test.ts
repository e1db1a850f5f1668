// The GitHub workflows, parsed: what runs on a pull request and on main, with which rights.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const dir = path.join(__dirname, "..", "..", ".github", "workflows");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

interface Job {
  name?: string;
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: string | Record<string, string>;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
}

interface Workflow {
  on: Record<string, { branches?: string[] } | null>;
  permissions?: string | Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  jobs: Record<string, Job>;
}

function load(file: string): { text: string; workflow: Workflow } {
  const text = fs.readFileSync(path.join(dir, file), "utf8");
  return { text, workflow: parse(text) as Workflow };
}

const preview = load("preview.yml");
const deploy = load("deploy.yml");
const workflows = { "preview.yml": preview, "deploy.yml": deploy };

const ACTION = {
  checkout: "actions/checkout",
  setupNode: "actions/setup-node",
  awsCredentials: "aws-actions/configure-aws-credentials",
  pulumi: "pulumi/actions",
  stickyComment: "marocchino/sticky-pull-request-comment",
};

function uses(step: Step, action: string): boolean {
  return step.uses?.split("@")[0] === action;
}

function stepIndex(job: Job, test: (s: Step) => boolean, what: string): number {
  const i = job.steps.findIndex(test);
  assert.ok(i >= 0, `no step ${what} in job ${job.name ?? ""}`);
  return i;
}

function needsOf(job: Job): string[] {
  return job.needs === undefined ? [] : ([] as string[]).concat(job.needs);
}

/**
 * The job must run Pulumi with OIDC credentials, the policy pack and the given command, its AWS
 * profiles written by `npm run aws-profiles` for `role`, and its Pulumi token from `tokenSecret`.
 */
function assertPulumiJob(
  job: Job,
  command: string,
  stack: string,
  role: "deploy" | "preview",
  tokenSecret: string,
): Step {
  const credentials = stepIndex(job, (s) => uses(s, ACTION.awsCredentials), "configuring AWS");
  const pulumi = stepIndex(job, (s) => uses(s, ACTION.pulumi), "running pulumi/actions");
  assert.ok(credentials < pulumi, "AWS credentials come before Pulumi");
  const aws = job.steps[credentials].with ?? {};
  assert.match(String(aws["role-to-assume"]), /^\$\{\{ vars\.AWS_[A-Z_]+_ROLE_ARN \}\}$/);
  assert.ok(!("aws-access-key-id" in aws) && !("aws-secret-access-key" in aws), "OIDC, no keys");
  assert.strictEqual(typeof job.permissions, "object");
  const permissions = job.permissions as Record<string, string>;
  assert.strictEqual(permissions["id-token"], "write");
  assert.strictEqual(permissions["contents"], "read");
  const step = job.steps[pulumi];
  assert.strictEqual(step.with?.["command"], command);
  assert.strictEqual(step.with?.["stack-name"], stack);
  assert.strictEqual(step.with?.["policyPacks"], "policy-pack");
  assert.strictEqual(step.env?.["PULUMI_ACCESS_TOKEN"], `\${{ secrets.${tokenSecret} }}`);
  const profilesAt = stepIndex(
    job,
    (s) => /npm run --silent aws-profiles/.test(s.run ?? ""),
    "the AWS profiles",
  );
  const profiles = job.steps[profilesAt].run ?? "";
  assert.match(profiles, new RegExp(`--role ${role} > "\\$\\{RUNNER_TEMP\\}/aws-config"$`));
  assert.ok(credentials < profilesAt && profilesAt < pulumi);
  assert.strictEqual(step.env?.["AWS_CONFIG_FILE"], "${{ runner.temp }}/aws-config");
  // The pack's own dependencies are installed before Pulumi loads it.
  stepIndex(job, (s) => s.run === "npm ci --prefix policy-pack", "installing the policy pack");
  return step;
}

describe("GitHub workflows", () => {
  for (const [file, { text, workflow }] of Object.entries(workflows)) {
    describe(file, () => {
      it("pins every action to a full commit SHA with its version in a comment", () => {
        const lines = text.split("\n").filter((l) => /^\s*-?\s*uses:/.test(l));
        assert.ok(lines.length > 0);
        for (const line of lines) {
          assert.match(line, /uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, line);
        }
      });

      it("grants no write-all and reads contents by default", () => {
        assert.doesNotMatch(text, /write-all/);
        assert.deepStrictEqual(workflow.permissions, { contents: "read" });
        for (const [name, job] of Object.entries(workflow.jobs)) {
          assert.strictEqual(typeof job.permissions, "object", `${name} lists its permissions`);
        }
      });

      it("never runs on pull_request_target", () => {
        assert.ok(!("pull_request_target" in workflow.on));
      });
    });
  }

  it("uses the same commit of an action in both workflows", () => {
    const pins = new Map<string, Set<string>>();
    for (const { text } of Object.values(workflows)) {
      for (const m of text.matchAll(/uses: ([\w.-]+\/[\w.-]+)@([0-9a-f]{40} # \S+)/g)) {
        pins.set(m[1], (pins.get(m[1]) ?? new Set()).add(m[2]));
      }
    }
    for (const [action, versions] of pins) {
      assert.strictEqual(versions.size, 1, `${action}: ${[...versions].join(", ")}`);
    }
  });

  describe("preview.yml", () => {
    const { workflow } = preview;
    const job = workflow.jobs["preview"];

    it("runs on pull requests to main, one preview per pull request at a time", () => {
      assert.deepStrictEqual(Object.keys(workflow.on), ["pull_request"]);
      assert.deepStrictEqual(workflow.on["pull_request"]?.branches, ["main"]);
      assert.match(workflow.concurrency?.group ?? "", /github\.event\.pull_request\.number/);
    });

    it("first runs the repository's checks", () => {
      const checks = workflow.jobs["checks"];
      const runs = checks.steps.map((s) => s.run).filter(Boolean);
      for (const command of [
        "bash .ci/run",
        "npm run lint",
        "npm ci --prefix policy-pack",
        "npx tsc --noEmit -p policy-pack",
      ]) {
        assert.ok(runs.includes(command), command);
      }
      assert.deepStrictEqual(needsOf(job), ["checks"]);
    });

    it("sets up Go from the tools' go.mod and caches the built tools before .ci/run", () => {
      const steps = workflow.jobs["checks"].steps;
      const at = (predicate: (s: Step) => boolean) => steps.findIndex(predicate);
      const setupGo = at((s) => uses(s, "actions/setup-go"));
      const cache = at((s) => uses(s, "actions/cache"));
      const run = at((s) => s.run === "bash .ci/run");
      assert.ok(
        setupGo >= 0 && cache >= 0 && setupGo < run && cache < run,
        "setup-go, cache, then .ci/run",
      );
      assert.equal(steps[setupGo].with?.["go-version-file"], "tools/pulumi/go.mod");
      assert.equal(steps[cache].with?.["path"], "~/.cache/registry-hub-tools");
      assert.match(
        String(steps[cache].with?.["key"]),
        /hashFiles\('tools\/\*\/go\.mod', 'tools\/\*\/go\.sum'/,
      );
    });

    it("gives the pull request's code no write credential: no deploy role, no deploy token", () => {
      for (const [name, pullRequestJob] of Object.entries(workflow.jobs)) {
        const text = JSON.stringify(pullRequestJob);
        assert.doesNotMatch(text, /secrets\.PULUMI_(ACCESS|SANDBOX|PROD)_TOKEN/, name);
        assert.doesNotMatch(text, /vars\.AWS_[A-Z_]*DEPLOY[A-Z_]*/, name);
        assert.doesNotMatch(text, /--role deploy/, name);
      }
    });

    it("previews sandbox and prod with the policy pack and a comment on the pull request", () => {
      assert.deepStrictEqual(job.strategy?.matrix?.["stack"], ["sandbox", "prod"]);
      const step = assertPulumiJob(
        job,
        "preview",
        "${{ matrix.stack }}",
        "preview",
        "PULUMI_PREVIEW_TOKEN",
      );
      assert.ok(step.with?.["comment-on-pr"] === true || step.with?.["comment-on-pr"] === "true");
      assert.strictEqual((job.permissions as Record<string, string>)["pull-requests"], "write");
    });

    it("posts the access diff against the base branch, with its whole history fetched", () => {
      const checkout = job.steps[stepIndex(job, (s) => uses(s, ACTION.checkout), "checkout")];
      assert.strictEqual(checkout.with?.["fetch-depth"], 0);
      const diff = stepIndex(job, (s) => /npm run .*access/.test(s.run ?? ""), "access diff");
      const step = job.steps[diff];
      assert.match(
        step.run ?? "",
        /npm run --silent access -- --stack "\$\{STACK\}" --diff "origin\/\$\{BASE_REF\}"/,
      );
      assert.deepStrictEqual(step.env, {
        STACK: "${{ matrix.stack }}",
        BASE_REF: "${{ github.base_ref }}",
      });
      assert.match(step.run ?? "", /> access-diff\.md$/m);
      const post = stepIndex(job, (s) => uses(s, ACTION.stickyComment), "posting the diff");
      assert.ok(diff < post);
      assert.strictEqual(job.steps[post].with?.["path"], "access-diff.md");
      assert.strictEqual(job.steps[post].with?.["header"], "access-diff-${{ matrix.stack }}");
    });
  });

  describe("deploy.yml", () => {
    const { workflow } = deploy;

    it("runs on pushes to main, one deployment at a time, never cancelled", () => {
      assert.deepStrictEqual(Object.keys(workflow.on), ["push"]);
      assert.deepStrictEqual(workflow.on["push"]?.branches, ["main"]);
      assert.ok(workflow.concurrency?.group);
      assert.strictEqual(workflow.concurrency?.["cancel-in-progress"], false);
    });

    it("updates sandbox first, then prod after the production environment's approval", () => {
      const sandbox = workflow.jobs["sandbox"];
      const prod = workflow.jobs["prod"];
      assert.deepStrictEqual(Object.keys(workflow.jobs), ["sandbox", "prod"]);
      assertPulumiJob(sandbox, "up", "sandbox", "deploy", "PULUMI_SANDBOX_TOKEN");
      assertPulumiJob(prod, "up", "prod", "deploy", "PULUMI_PROD_TOKEN");
      assert.deepStrictEqual(needsOf(sandbox), []);
      assert.deepStrictEqual(needsOf(prod), ["sandbox"]);
      // Different credentials: approving prod releases prod's role and token, not sandbox's.
      const roleOf = (job: Job) =>
        job.steps.find((s) => uses(s, ACTION.awsCredentials))?.with?.["role-to-assume"];
      assert.equal(roleOf(sandbox), "${{ vars.AWS_SANDBOX_DEPLOY_ROLE_ARN }}");
      assert.equal(roleOf(prod), "${{ vars.AWS_PROD_DEPLOY_ROLE_ARN }}");
      const environment = prod.environment;
      assert.strictEqual(
        typeof environment === "string" ? environment : environment?.name,
        "production",
      );
    });
  });
});
