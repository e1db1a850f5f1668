// The pack's own files: what `pulumi preview --policy-pack policy-pack` loads after `npm ci`
// inside policy-pack/. index.ts is read as text, never imported: importing it would start the
// policy gRPC server.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { policies } from "../../policy-pack/policies";

const packDir = path.join(__dirname, "..", "..", "policy-pack");
const read = (file: string) => fs.readFileSync(path.join(packDir, file), "utf8");

interface PackageJson {
  name: string;
  main?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

interface PackageLock {
  lockfileVersion: number;
  packages: Record<
    string,
    {
      version?: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    }
  >;
}

describe("policy pack", () => {
  it("has uniquely named, described rules", () => {
    const names = policies.map((p) => p.name);
    assert.strictEqual(new Set(names).size, names.length);
    for (const p of policies) {
      assert.match(p.name, /^[a-z0-9-]+$/);
      assert.ok(p.description.length > 20, `${p.name} needs a description`);
      assert.strictEqual(p.enforcementLevel, undefined, `${p.name}: the pack sets the level`);
    }
  });

  it("creates the PolicyPack in index.ts only, with every rule mandatory", () => {
    const index = read("index.ts");
    assert.match(index, /new PolicyPack\(\s*"registry-hub",/);
    assert.match(index, /enforcementLevel: "mandatory"/);
    assert.match(index, /import \{ policies \} from "\.\/policies";/);
    assert.match(index, /^\s+policies,$/m);
  });

  it("keeps policies.ts, rules/ and helpers/ free of side effects: only type imports from @pulumi/policy", () => {
    const files = [
      "policies.ts",
      ...["rules", "helpers"].flatMap((dir) =>
        fs
          .readdirSync(path.join(packDir, dir))
          .filter((f) => f.endsWith(".ts"))
          .map((f) => `${dir}/${f}`),
      ),
    ];
    for (const file of files) {
      const source = read(file);
      const imports = [...source.matchAll(/^import [^;]*?from "([^"]+)";/gm)];
      assert.ok(file.startsWith("helpers/") || imports.length > 0, file);
      for (const [statement, from] of imports) {
        // Modules of the pack are held to the same rule; anything else is imported as types.
        if (!from.startsWith(".")) {
          assert.match(statement, /^import type /, `${file}: ${statement}`);
        }
      }
      assert.doesNotMatch(source, /^import "/m, file);
      assert.doesNotMatch(source, /new PolicyPack/, file);
    }
  });

  it("has one module in rules/ and one test file in tests/policy-pack/rules/ per rule, named after it", () => {
    const names = policies.map((p) => p.name).sort();
    const modules = fs
      .readdirSync(path.join(packDir, "rules"))
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();
    assert.deepStrictEqual(modules, names);
    const testDir = path.join(__dirname, "rules");
    const testFiles = fs
      .readdirSync(testDir)
      .map((f) => f.replace(/\.test\.ts$/, ""))
      .sort();
    assert.deepStrictEqual(testFiles, names);
    for (const name of names) {
      // describeRule checks that the file sees its rule both pass and fail.
      const source = fs.readFileSync(path.join(testDir, `${name}.test.ts`), "utf8");
      assert.match(source, /^describeRule\(/m, name);
    }
  });

  it("declares a Node.js pack, named in index.ts (PulumiPolicy.yaml has no name field)", () => {
    const manifest = parse(read("PulumiPolicy.yaml")) as Record<string, unknown>;
    assert.strictEqual(manifest["runtime"], "nodejs");
    assert.deepStrictEqual(Object.keys(manifest).sort(), ["description", "runtime"]);
  });

  it("pins its own dependencies to the repository's versions, TypeScript 5 included", () => {
    const pack = JSON.parse(read("package.json")) as PackageJson;
    const root = JSON.parse(
      fs.readFileSync(path.join(packDir, "..", "package.json"), "utf8"),
    ) as PackageJson;
    assert.strictEqual(pack.main, "index.ts");
    const rootVersions = { ...root.dependencies, ...root.devDependencies };
    const packVersions = { ...pack.dependencies, ...pack.devDependencies };
    for (const name of [
      "@pulumi/policy",
      "@pulumi/pulumi",
      "typescript",
      "ts-node",
      "@types/node",
    ]) {
      assert.match(packVersions[name] ?? "", /^\d+\.\d+\.\d+$/, `${name} is pinned`);
      assert.strictEqual(packVersions[name], rootVersions[name], `${name} as in the root`);
    }
    assert.match(packVersions["typescript"], /^5\./);
  });

  it("has a package-lock.json in step with its package.json", () => {
    const pack = JSON.parse(read("package.json")) as PackageJson;
    const lock = JSON.parse(read("package-lock.json")) as PackageLock;
    assert.ok(lock.lockfileVersion >= 2);
    assert.deepStrictEqual(lock.packages[""].dependencies, pack.dependencies);
    assert.deepStrictEqual(lock.packages[""].devDependencies, pack.devDependencies);
    for (const [name, version] of Object.entries({
      ...pack.dependencies,
      ...pack.devDependencies,
    })) {
      assert.strictEqual(lock.packages[`node_modules/${name}`]?.version, version, name);
    }
  });
});
