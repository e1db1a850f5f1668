// The layers' import rules, checked over every TypeScript module in the repository: config/ is
// read first and depends on no later stage, iam/ builds documents from plain inputs, plan/ knows
// nothing of Pulumi resources, and the tests' own code stays out of the program.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const SKIPPED_DIRS = new Set(["node_modules", "bin", ".git", ".tools", ".tmp"]);

/**
 * Known back-arrows, being removed: each is `importer -> imported` (repository paths, no .ts).
 * Empty since prepare() took the size checks out of config/ and naming/ the ARNs out of iam/.
 */
const ALLOWED: readonly string[] = [];

/** Where a module may not import from: [importer's folder, forbidden targets, why]. */
const LAYER_RULES: ReadonlyArray<[string, readonly string[], string]> = [
  ["config/", ["plan/", "iam/", "components/", "cache/", "hub", "tools/"], "config is read first"],
  ["iam/", ["config/", "plan/", "components/"], "iam builds documents from plain inputs"],
  ["plan/", ["components/", "hub"], "the plan knows nothing of resources"],
];

function typescriptFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) {
      return SKIPPED_DIRS.has(entry.name) ? [] : typescriptFiles(path.join(dir, entry.name));
    }
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")
      ? [path.join(dir, entry.name)]
      : [];
  });
}

/** The relative specifiers a module imports, exports from or requires. */
function relativeImports(source: string): string[] {
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\b(?:require|import)\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return patterns
    .flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]))
    .filter((specifier) => specifier.startsWith("."));
}

/** `importer -> imported`, both as repository paths without extension or /index. */
function importEdges(): string[] {
  const withoutExtension = (p: string) => p.replace(/\.ts$/, "").replace(/\/index$/, "");
  return typescriptFiles(ROOT).flatMap((file) => {
    const importer = withoutExtension(path.relative(ROOT, file).split(path.sep).join("/"));
    return relativeImports(fs.readFileSync(file, "utf8")).map((specifier) => {
      const target = path.relative(ROOT, path.resolve(path.dirname(file), specifier));
      return `${importer} -> ${withoutExtension(target.split(path.sep).join("/"))}`;
    });
  });
}

/** `hub` names the module hub.ts; `plan/` anything under plan/. */
function within(modulePath: string, prefix: string): boolean {
  return prefix.endsWith("/")
    ? modulePath.startsWith(prefix)
    : modulePath === prefix || modulePath.startsWith(`${prefix}/`);
}

describe("architecture: imports between layers", () => {
  const edges = importEdges();
  const split = (edge: string) => edge.split(" -> ") as [string, string];

  it("finds the program's imports (so the rules below check something)", () => {
    assert.ok(edges.includes("hub -> plan/access"), edges.slice(0, 20).join("\n"));
    assert.ok(edges.some((e) => e.startsWith("tests/")));
  });

  for (const [layer, forbidden, why] of LAYER_RULES) {
    it(`${layer} imports none of ${forbidden.join(", ")} (${why})`, () => {
      const violations = edges.filter((edge) => {
        const [importer, imported] = split(edge);
        return (
          within(importer, layer) &&
          forbidden.some((f) => within(imported, f)) &&
          !ALLOWED.includes(edge)
        );
      });
      assert.deepEqual(violations, []);
    });
  }

  it("nothing outside tests/ imports from tests/", () => {
    const violations = edges.filter((edge) => {
      const [importer, imported] = split(edge);
      return !within(importer, "tests/") && within(imported, "tests/");
    });
    assert.deepEqual(violations, []);
  });

  it("only tests/ and bench/ import testing/", () => {
    const violations = edges.filter((edge) => {
      const [importer, imported] = split(edge);
      return (
        !["tests/", "bench/", "testing/"].some((p) => within(importer, p)) &&
        within(imported, "testing/")
      );
    });
    assert.deepEqual(violations, []);
  });

  it("allows only back-arrows that are still there, so the list empties as they go", () => {
    assert.deepEqual(
      ALLOWED.filter((edge) => !edges.includes(edge)),
      [],
    );
  });
});
