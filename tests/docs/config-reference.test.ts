/**
 * docs/config.md is rendered from the config schema: it must be what the schema renders now,
 * and every key of the schema must say what it means.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  CONFIG_DOC_PATH,
  configKeyRows,
  renderConfigReference,
  undescribedKeys,
} from "../../tools/config-docs";

describe("the stack config reference (docs/config.md)", () => {
  it("is what tools/config-docs.ts renders from the schema", () => {
    let current: string | undefined;
    try {
      current = readFileSync(CONFIG_DOC_PATH, "utf8");
    } catch {
      current = undefined;
    }
    assert.ok(current !== undefined, "docs/config.md is missing: run `npm run docs`");
    const rendered = renderConfigReference();
    if (current !== rendered) {
      const currentLines = current.split("\n");
      const renderedLines = rendered.split("\n");
      const line = renderedLines.findIndex((text, i) => currentLines[i] !== text);
      assert.fail(
        `docs/config.md is stale (first difference at line ${line + 1}): run \`npm run docs\` and commit it\n` +
          `  file:   ${currentLines[line] ?? "(end of file)"}\n` +
          `  schema: ${renderedLines[line] ?? "(end of file)"}`,
      );
    }
  });

  it("renders the same bytes every time", () => {
    assert.equal(renderConfigReference(), renderConfigReference());
  });

  it("gives every key of the schema a description", () => {
    assert.deepEqual(
      undescribedKeys(),
      [],
      "give these keys a .describe() text in config/schema.ts or config/repository-options.ts",
    );
  });

  it("documents every key, one section per top-level key", () => {
    const text = renderConfigReference();
    const paths = configKeyRows().map((row) => row.path);
    for (const path of [
      "registry.accountId",
      "registry.encryption.kmsKeyArn",
      "repositories[].lifecycle.rules[].keepLast",
      "accounts[].clusters[].cache.port",
      "accounts[].clusters[].cache.metrics.podMonitor",
      "accounts[].clusters[].create.subnetIds",
    ]) {
      assert.ok(paths.includes(path), `${path} is not among the documented keys`);
    }
    for (const key of [
      "tags",
      "registry",
      "access",
      "organization",
      "pushers",
      "repositories",
      "accounts",
    ]) {
      assert.match(text, new RegExp(`^## registry-hub:${key}$`, "m"));
    }
    assert.match(
      text,
      /`accounts\[\]\.clusters\[\]\.cache\.port` \| integer \| optional \| `20500` \|/,
    );
  });
});
