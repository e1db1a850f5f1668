/**
 * The access report and the config check on configs far larger than a real stack, with time
 * bounds generous enough for a loaded CI machine and far below what the quadratic versions
 * took (19 s, 93 s and 34 s respectively on the same 2-core machine).
 */
import * as assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { prepare } from "../../prepare";
import { buildAccessReport, capabilityMatrix } from "../../tools/access-report";
import { generateRawConfig } from "../../bench/generate";
import { copy, rawStack, validConfig } from "../../testing/stacks";

function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  return run().then((result) => ({ result, ms: performance.now() - started }));
}

describe("access report and config check at scale", function () {
  this.timeout(60_000);

  it("asks about an admin listed 4,000 times once", async () => {
    const raw = copy(rawStack("prod")) as any;
    raw.registry.admins = Array(4_000).fill(raw.registry.admins[0]);
    const config = validConfig(raw);
    const { result, ms } = await timed(() => buildAccessReport("prod", config));
    const prod = await buildAccessReport("prod", validConfig(rawStack("prod")));
    assert.deepEqual(result.principals, prod.principals);
    assert.ok(ms < 5_000, `${Math.round(ms)} ms`);
  });

  it("reports 2,000 repositories with prod's principals in seconds, each like its model", async () => {
    const raw = copy(rawStack("prod")) as any;
    const models = raw.repositories.slice(1); // microservice's restriction would not fit 2,000
    raw.repositories = Array.from({ length: 2_000 }, (_, i) => ({
      ...models[i % models.length],
      name: `copy/${i}`,
    }));
    const config = validConfig(raw);
    const { result, ms } = await timed(() => buildAccessReport("prod", config));
    assert.ok(ms < 10_000, `${Math.round(ms)} ms`);

    const small = copy(rawStack("prod")) as any;
    small.repositories = models;
    const expected = await buildAccessReport("prod", validConfig(small));
    const can = capabilityMatrix(result);
    const canModel = capabilityMatrix(expected);
    result.principals.forEach((principal, p) => {
      assert.equal(principal.arn, expected.principals[p].arn);
      for (let r = 0; r < 2_000; r++) {
        assert.deepEqual(can(p, r), canModel(p, r % models.length), `${principal.arn} copy/${r}`);
      }
    });
  });

  it("checks roles mode with 5,000 clusters x 5,000 repositories without rendering each policy", () => {
    const raw = generateRawConfig({
      repositories: 5_000,
      clusters: 5_000,
      accounts: 5,
      mode: "roles",
    });
    const started = performance.now();
    const validation = prepare(raw);
    const ms = performance.now() - started;
    assert.equal(validation.ok, false);
    assert.ok(ms < 20_000, `${Math.round(ms)} ms`);
    if (!validation.ok) {
      assert.match(
        validation.problems[0],
        /^registry-hub:repositories\[0\]: repository policy would be [\d,]+ characters in access mode roles/,
      );
    }
  });
});
