/**
 * tools/access.ts given bad input: exit 2 with one plain message (and the usage line where the
 * command line is wrong), no stack trace; and its output whole when read through a slow pipe.
 * The runs start together in before(), since each costs about 1.5 s of ts-node start-up.
 */
import * as assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { generateRawConfig } from "../../bench/generate";

const ROOT = path.resolve(__dirname, "../..");
const TOOL = path.join(ROOT, "tools/access.ts");
const USAGE =
  "usage: npm run access -- (--stack NAME | --config-file PATH) [--json] [--diff GIT_REF]";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const access = (args: string[], cwd = ROOT) =>
  run(
    process.execPath,
    ["-r", require.resolve("ts-node/register/transpile-only"), TOOL, ...args],
    cwd,
  );

function stackText(raw: Record<string, unknown>): string {
  return stringify({
    config: Object.fromEntries(Object.entries(raw).map(([k, v]) => [`registry-hub:${k}`, v])),
  });
}

function assertClean(r: Run) {
  assert.doesNotMatch(r.stderr, /^\s+at /m, "a stack trace");
  assert.doesNotMatch(r.stderr, /Error:|ENOENT|EISDIR/);
  assert.equal(r.stdout, "");
}

describe("tools/access.ts with bad input (child processes)", function () {
  this.timeout(60_000);
  let tmp: string;
  let repo: string;
  const runs: Record<string, Run> = {};
  let bigJsonLength = 0;

  before(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), "access-errors-"));
    writeFileSync(path.join(tmp, "tab.yaml"), "config:\n  registry-hub:access:\n\tmode: roles\n");
    // A git repository whose first commit lacks the stack file and whose second has it.
    repo = path.join(tmp, "repo");
    const git = (...args: string[]) =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: repo });
    execFileSync("git", ["init", "-q", repo]);
    writeFileSync(path.join(repo, "README"), "x\n");
    git("add", ".");
    git("commit", "-qm", "no stack file yet");
    writeFileSync(
      path.join(repo, "Pulumi.prod.yaml"),
      readFileSync(path.join(ROOT, "Pulumi.prod.yaml")),
    );
    git("add", ".");
    git("commit", "-qm", "stack file");
    // 40 repositories: the JSON report is several times the 64 KiB a pipe buffers.
    const big = path.join(tmp, "big.yaml");
    writeFileSync(
      big,
      stackText(
        generateRawConfig({ repositories: 40, clusters: 6, accounts: 3, mode: "accounts" }),
      ),
    );
    const [toFile] = await Promise.all([
      run("sh", [
        "-c",
        `"$0" -r ts-node/register/transpile-only tools/access.ts --config-file "$1" --json > "$2"`,
        process.execPath,
        big,
        path.join(tmp, "big.json"),
      ]),
      (async () => {
        const entries: [string, Promise<Run>][] = [
          ["tab", access(["--config-file", path.join(tmp, "tab.yaml")])],
          ["missing", access(["--stack", "nosuch"])],
          ["directory", access(["--config-file", tmp])],
          ["unknown option", access(["--stack", "prod", "--bogus"])],
          ["missing argument", access(["--stack"])],
          ["diff option", access(["--stack", "prod", `--diff=--output=${path.join(tmp, "x")}`])],
          ["diff unknown ref", access(["--stack", "prod", "--diff", "no-such-ref"], repo)],
          ["diff ref without the file", access(["--stack", "prod", "--diff", "HEAD~1"], repo)],
          [
            "slow pipe",
            run("sh", [
              "-c",
              `"$0" -r ts-node/register/transpile-only tools/access.ts --config-file "$1" --json | (sleep 2; wc -c)`,
              process.execPath,
              big,
            ]),
          ],
        ];
        for (const [name, pending] of entries) runs[name] = await pending;
      })(),
    ]);
    assert.equal(toFile.code, 0, toFile.stderr);
    bigJsonLength = readFileSync(path.join(tmp, "big.json")).length;
  });

  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("refuses a stack file with a tab for indentation: exit 2, file:line:column, one sentence", () => {
    const r = runs.tab;
    assert.equal(r.code, 2, r.stderr);
    assertClean(r);
    assert.equal(
      r.stderr,
      `${path.join(tmp, "tab.yaml")}:3:1: a tab is used for indentation; YAML indents with spaces only\n`,
    );
  });

  it("refuses a missing stack file without an errno dump", () => {
    const r = runs.missing;
    assert.equal(r.code, 2, r.stderr);
    assertClean(r);
    assert.equal(
      r.stderr,
      "Pulumi.nosuch.yaml: no such file (give --stack NAME for Pulumi.NAME.yaml, or --config-file PATH)\n",
    );
  });

  it("refuses a directory as --config-file", () => {
    const r = runs.directory;
    assert.equal(r.code, 2, r.stderr);
    assertClean(r);
    assert.equal(r.stderr, `${tmp}: is a directory, not a stack file\n`);
  });

  for (const name of ["unknown option", "missing argument"]) {
    it(`refuses an ${name} with the usage line`, () => {
      const r = runs[name];
      assert.equal(r.code, 2, r.stderr);
      assertClean(r);
      const lines = r.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[0], name === "unknown option" ? /'--bogus'/ : /'--stack/);
      assert.equal(lines[1], USAGE);
    });
  }

  it("never hands --diff's argument to git as an option", () => {
    const r = runs["diff option"];
    assert.equal(r.code, 2, r.stderr);
    assertClean(r);
    assert.match(r.stderr, /^--diff: --output=\S+ is not a commit in this git repository/);
    assert.ok(!existsSync(path.join(tmp, "x")), "git wrote the --output file");
  });

  it("refuses a --diff ref that does not exist instead of diffing against nothing", () => {
    const r = runs["diff unknown ref"];
    assert.equal(r.code, 2, r.stderr);
    assertClean(r);
    assert.match(r.stderr, /^--diff: no-such-ref is not a commit in this git repository/);
    assert.ok(r.stderr.trimEnd().endsWith(USAGE));
  });

  it("diffs a file that a known ref lacks as new", () => {
    const r = runs["diff ref without the file"];
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Access changes against Pulumi\.prod\.yaml at HEAD~1:\n/);
    assert.match(
      r.stdout,
      /^ {2}\+ push team\/app {2}arn:aws:iam::333333333333:role\/github-actions$/m,
    );
    assert.doesNotMatch(r.stdout, /^ {2}- /m);
  });

  it("writes the whole --json document into a pipe that is read late", () => {
    const r = runs["slow pipe"];
    assert.equal(r.code, 0, r.stderr);
    assert.ok(bigJsonLength > 4 * 65_536, `${bigJsonLength} bytes`);
    assert.equal(Number(r.stdout.trim()), bigJsonLength);
  });
});
