import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CREDENTIAL_HELPER_SCRIPT,
  HELPER_LIFETIME_SECONDS,
  REFRESH_SECONDS,
  REFRESHER_SCRIPT,
  RETRY_SECONDS,
  TOKEN_VALIDITY_SECONDS,
  worstCaseTokenAgeSeconds,
} from "../../cache/token-refresh";
import { cacheRegistryConfig } from "../../cache/registry-config";

const FAKE_TOKEN = "eyJwYXlsb2FkIjoiZmFrZSJ9".repeat(40);

describe("ECR token refresh", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "token-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function script(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, 0o755);
    return path;
  }

  describe("the credential helper that proxy.exec runs", () => {
    it("prints the token as Docker credential-helper JSON for user AWS", () => {
      const token = join(dir, "password");
      writeFileSync(token, FAKE_TOKEN);
      const helper = script("helper", CREDENTIAL_HELPER_SCRIPT);
      const run = spawnSync(helper, ["get"], {
        input: "https://333333333333.dkr.ecr.us-east-1.amazonaws.com\n",
        env: { PATH: process.env.PATH, ECR_TOKEN_FILE: token },
      });
      assert.equal(run.status, 0, run.stderr.toString());
      assert.deepEqual(JSON.parse(run.stdout.toString()), { Username: "AWS", Secret: FAKE_TOKEN });
    });

    it("fails with a message, and without printing credentials, when there is no token yet", () => {
      const helper = script("helper", CREDENTIAL_HELPER_SCRIPT);
      const run = spawnSync(helper, ["get"], {
        input: "",
        env: { PATH: process.env.PATH, ECR_TOKEN_FILE: join(dir, "none") },
      });
      assert.notEqual(run.status, 0);
      assert.equal(run.stdout.toString(), "");
      assert.match(run.stderr.toString(), /no ECR token/);
    });

    it("answers only the get verb", () => {
      const helper = script("helper", CREDENTIAL_HELPER_SCRIPT);
      const run = spawnSync(helper, ["store"], { input: "", env: { PATH: process.env.PATH } });
      assert.notEqual(run.status, 0);
    });
  });

  describe("the refresher sidecar", function () {
    // Generous bounds: each case ends as soon as its condition holds, a loaded CI machine waits longer.
    this.timeout(30_000);
    /** Runs the refresher with fake commands (`aws` at least) until `until` holds, then stops it. */
    async function runRefresher(
      fakeCommands: Record<string, string>,
      until: () => boolean,
      env: Record<string, string> = {},
    ) {
      const bin = join(dir, "bin");
      mkdirSync(bin);
      for (const [name, text] of Object.entries(fakeCommands)) script(`bin/${name}`, text);
      const refresher = script("refresher", REFRESHER_SCRIPT);
      const child = spawn("/bin/sh", [refresher], {
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          ECR_REGION: "us-east-1",
          ECR_TOKEN_FILE: join(dir, "password"),
          ...env,
        },
      });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      const closed = new Promise((resolve) => child.on("close", resolve));
      const deadline = Date.now() + 20_000;
      while (!until() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      child.kill("SIGKILL");
      await closed;
      return output;
    }

    it("writes a token at start, refreshes on its schedule, and never logs the token", async () => {
      const calls = join(dir, "calls");
      const fakeAws = `#!/bin/sh\necho "$@" >> ${calls}\nprintf '%s-%s' ${FAKE_TOKEN} "$(wc -l < ${calls} | tr -d ' ')"\n`;
      const output = await runRefresher(
        { aws: fakeAws },
        () => existsSync(calls) && readFileSync(calls, "utf8").split("\n").length > 3,
        {
          REFRESH_SECONDS: "1",
        },
      );
      const lines = readFileSync(calls, "utf8").trim().split("\n");
      assert.ok(lines.length >= 3, `refreshed ${lines.length} times`);
      assert.equal(lines[0], "ecr get-login-password --region us-east-1");
      assert.match(readFileSync(join(dir, "password"), "utf8"), new RegExp(`^${FAKE_TOKEN}-\\d+$`));
      assert.equal(
        statSync(join(dir, "password")).mode & 0o077,
        0,
        "only the registry's user reads the token",
      );
      assert.ok(!output.includes(FAKE_TOKEN.slice(0, 20)), "the token is never logged");
    });

    it("keeps the last good token and retries soon when a refresh fails", async () => {
      const sleeps = join(dir, "sleeps");
      writeFileSync(join(dir, "password"), "previous-token");
      const output = await runRefresher(
        {
          aws: "#!/bin/sh\nprintf partial-token\nexit 255\n",
          // Looks at the token directory when the refresher goes to sleep, the one moment
          // between fetches, so the check cannot race the next fetch's redirection.
          sleep: `#!/bin/sh\nif [ -e "$ECR_TOKEN_FILE.tmp" ]; then t=left; else t=clean; fi\necho "$1 $t" >> ${sleeps}\nexec /bin/sleep "$1"\n`,
        },
        () => existsSync(sleeps) && readFileSync(sleeps, "utf8").split("\n").length > 2,
        { RETRY_SECONDS: "1" },
      );
      assert.equal(readFileSync(join(dir, "password"), "utf8"), "previous-token");
      assert.deepEqual(readFileSync(sleeps, "utf8").split("\n").slice(0, 2), [
        "1 clean",
        "1 clean",
      ]);
      assert.match(output, /refresh failed; retrying in 1s/);
      assert.ok(!output.includes("partial-token"));
    });
  });

  describe("timing", () => {
    it("refreshes well inside the token's 12 hours, even after an hour of failed retries", () => {
      assert.equal(TOKEN_VALIDITY_SECONDS, 12 * 3600);
      assert.ok(REFRESH_SECONDS <= 8 * 3600, "at least as often as the usual 8-hour refresh");
      assert.ok(
        HELPER_LIFETIME_SECONDS < REFRESH_SECONDS,
        "the registry re-reads the token between refreshes",
      );
      assert.ok(RETRY_SECONDS <= 300);
      assert.ok(worstCaseTokenAgeSeconds(3600 / RETRY_SECONDS) < TOKEN_VALIDITY_SECONDS);
    });

    it("gives the registry's proxy.exec the helper's lifetime", () => {
      const config = cacheRegistryConfig({
        region: "us-east-1",
        bucket: "b",
        upstreamHost: "h",
        port: 20500,
        rootId: "0123456789abcdef",
        metrics: false,
      });
      assert.equal(config.proxy.exec.lifetime, `${HELPER_LIFETIME_SECONDS}s`);
      assert.equal(Object.keys(config.proxy).includes("password"), false);
    });
  });
});
