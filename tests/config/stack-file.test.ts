/**
 * Stack files that are not the YAML a stack file holds: each is refused with file:line:column,
 * the config path where there is one, and one sentence; never a parser stack trace.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LineCounter, parse } from "yaml";
import { readPlainYaml } from "../../config/plain-yaml";
import {
  MAX_FULL_YAML_CHARACTERS,
  MAX_STACK_FILE_CHARACTERS,
  StackFileError,
  namespaced,
  rawConfigFromYaml,
  readStackFile,
} from "../../config/stack-file";
import { RawConfig } from "../../config/validate";

const FILE = "Pulumi.test.yaml";
const ROOT = path.resolve(__dirname, "../..");

/** A stack file: the aws:region key, then `body` (indented two spaces, under config:). */
function stack(body: string): string {
  return `config:\n  aws:region: us-east-1\n${body}`;
}

function problemsOf(text: string): string[] {
  try {
    rawConfigFromYaml(text, FILE);
  } catch (error) {
    assert.ok(error instanceof StackFileError, `not a StackFileError: ${String(error)}`);
    return error.problems;
  }
  assert.fail("the file should have been refused");
}

function expectOne(text: string, expected: RegExp): void {
  const problems = problemsOf(text);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(problems[0], expected);
}

describe("stack files: YAML the parser rejects", () => {
  const cases: [string, string, RegExp][] = [
    [
      "a duplicate key",
      stack("  registry-hub:access:\n    mode: roles\n    mode: accounts\n"),
      /^Pulumi\.test\.yaml:5:5: registry-hub:access\.mode: duplicate key \(first at line 4, column 5\)$/,
    ],
    [
      "a tab for indentation",
      stack("  registry-hub:access:\n\tmode: roles\n"),
      /^Pulumi\.test\.yaml:4:1: a tab is used for indentation; YAML indents with spaces only$/,
    ],
    [
      "an unterminated quote",
      stack("  registry-hub:access:\n    mode: 'roles\n"),
      /^Pulumi\.test\.yaml:\d+:\d+: a quoted string is not closed$/,
    ],
    [
      "an unterminated flow list",
      stack("  registry-hub:pushers: [a, b\n"),
      /^Pulumi\.test\.yaml:\d+:\d+: a \[ list is not closed with \]$/,
    ],
    [
      "two documents",
      stack("  a: 1\n---\nconfig: {}\n"),
      /^Pulumi\.test\.yaml:4:1: a second YAML document starts here \(---\); a stack file holds one document$/,
    ],
    [
      "a trailing ---",
      stack("  a: 1\n---\n"),
      /^Pulumi\.test\.yaml:4:1: a second YAML document starts here/,
    ],
    [
      "an unresolved alias",
      stack("  registry-hub:pushers: *nope\n"),
      /^Pulumi\.test\.yaml:3:25: registry-hub:pushers: alias \*nope has no anchor &nope before it$/,
    ],
    [
      "an alias inside the value it names",
      stack("  registry-hub:pushers: &p [*p]\n"),
      /^Pulumi\.test\.yaml:3:\d+: registry-hub:pushers\[0\]: alias \*p is inside the value it names$/,
    ],
  ];
  for (const [title, text, expected] of cases) {
    it(`refuses ${title} with file:line:column and one sentence`, () => expectOne(text, expected));
  }

  it("refuses an alias bomb by its expanded size, at once", function () {
    this.timeout(5_000);
    // Nine levels of ten aliases each: a billion values once expanded.
    let body = "  registry-hub:x0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i < 9; i++) {
      body += `  registry-hub:x${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]\n`;
    }
    const started = Date.now();
    expectOne(
      stack(body),
      /^Pulumi\.test\.yaml:\d+:\d+: registry-hub:x\d\[\d\]: expands to more than 2,000,000 values \(aliases included\)/,
    );
    assert.ok(Date.now() - started < 2_000);
  });

  it("reads a missing file and a directory as one sentence each, no errno text", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "stack-file-"));
    try {
      const refused = (file: string) => {
        try {
          readStackFile(file);
        } catch (error) {
          assert.ok(error instanceof StackFileError);
          return error.problems;
        }
        return assert.fail("should have been refused");
      };
      assert.deepEqual(refused(path.join(dir, "Pulumi.none.yaml")), [
        `${path.join(dir, "Pulumi.none.yaml")}: no such file (give --stack NAME for Pulumi.NAME.yaml, or --config-file PATH)`,
      ]);
      assert.deepEqual(refused(dir), [`${dir}: is a directory, not a stack file`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("stack files: values no config key can hold", () => {
  it("refuses a list nested 1,000 deep with its path, no stack overflow", () => {
    const text = stack(`  registry-hub:repositories: ${"[".repeat(1000)}${"]".repeat(1000)}\n`);
    expectOne(
      text,
      /^Pulumi\.test\.yaml:3:\d+: registry-hub:repositories(\[0\])+: nested deeper than 64 levels$/,
    );
  });

  it("refuses a map nested 1,000 deep with its path", () => {
    const text = stack(`  registry-hub:registry: ${"{a: ".repeat(1000)}1${"}".repeat(1000)}\n`);
    expectOne(
      text,
      /^Pulumi\.test\.yaml:3:\d+: registry-hub:registry(\.a)+: nested deeper than 64 levels$/,
    );
  });

  it("refuses a block map nested 1,000 deep", () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `${" ".repeat(4 + i)}k:`).join("\n");
    expectOne(
      stack(`  registry-hub:registry:\n${lines} 1\n`),
      /^Pulumi\.test\.yaml:\d+:\d+: registry-hub:registry(\.k)+: nested deeper than 64 levels$/,
    );
  });

  for (const [tag, value] of [
    ["!!binary", "aGVsbG8="],
    ["!!set", "{mode}"],
    ["!!omap", "[mode: roles]"],
    ["!!timestamp", "2001-12-14"],
  ]) {
    it(`refuses ${tag} where a map is expected, with the path`, () => {
      expectOne(
        stack(`  registry-hub:access: ${tag} ${value}\n`),
        new RegExp(
          `^Pulumi\\.test\\.yaml:3:\\d+: registry-hub:access: ${tag} is not a plain YAML value; write a plain map, list, string or number$`,
        ),
      );
    });
  }

  it("lists every such problem at once", () => {
    const problems = problemsOf(
      stack("  registry-hub:access: !!set {mode}\n  registry-hub:pushers: !!binary aGVsbG8=\n"),
    );
    assert.deepEqual(
      problems.map((p) => p.split(": ")[1]),
      ["registry-hub:access", "registry-hub:pushers"],
    );
  });
});

describe("stack files: valid YAML is read", () => {
  it("accepts one anchor used by 100 repositories", () => {
    const repositories = Array.from(
      { length: 100 },
      (_, i) => `    - name: repo-${i}\n      pushers: *p\n`,
    ).join("");
    const raw = rawConfigFromYaml(
      stack(`  registry-hub:pushers: &p [ci]\n  registry-hub:repositories:\n${repositories}`),
      FILE,
    ) as { repositories: { pushers: string[] }[] };
    assert.equal(raw.repositories.length, 100);
    assert.ok(raw.repositories.every((r) => r.pushers[0] === "ci"));
  });

  it("accepts an anchor of 1,000 values used 1,000 times: a million values, under the bound", () => {
    const uses = Array.from({ length: 1_000 }, () => "*l").join(", ");
    const raw = rawConfigFromYaml(
      stack(
        `  registry-hub:list: &l [${Array(1_000).fill("x").join(", ")}]\n  registry-hub:uses: [${uses}]\n`,
      ),
      FILE,
    );
    assert.equal((raw.uses as unknown[][]).length, 1_000);
  });

  it("keeps a key named __proto__ as data, to be reported as unknown", () => {
    const raw = rawConfigFromYaml(stack("  registry-hub:access:\n    __proto__: {a: 1}\n"), FILE);
    assert.deepEqual(Object.keys(raw.access as RawConfig), ["__proto__"]);
  });
});

describe("stack files: large maps parse in linear time", function () {
  this.timeout(30_000);
  const keys = (n: number) => Array.from({ length: n }, (_, i) => `    k${i}: 1`).join("\n") + "\n";

  it("reads 150,000 keys in well under the 125 s the parser's own duplicate check took", () => {
    const started = Date.now();
    const raw = rawConfigFromYaml(stack(`  registry-hub:registry:\n${keys(150_000)}`), FILE);
    assert.equal(Object.keys(raw.registry as RawConfig).length, 150_000);
    const ms = Date.now() - started;
    assert.ok(ms < 15_000, `${ms} ms`);
  });

  it("finds a duplicate among 150,000 keys with both positions", () => {
    const started = Date.now();
    expectOne(
      stack(`  registry-hub:registry:\n${keys(150_000)}    k7: 2\n`),
      /^Pulumi\.test\.yaml:150004:5: registry-hub:registry\.k7: duplicate key \(first at line 11, column 5\)$/,
    );
    const ms = Date.now() - started;
    assert.ok(ms < 15_000, `${ms} ms`);
  });
});

describe("stack files: the fast reader reads what the YAML parser reads, or leaves it to the parser", () => {
  /** Whether the fast reader (config/plain-yaml.ts) read `text` itself. */
  const readFast = (text: string) => readPlainYaml(text, new LineCounter(), 64, 1_000_000).ok;
  /** The config as the YAML parser reads it, for comparison. */
  const parsed = (text: string) => namespaced((parse(text) as { config: RawConfig }).config);

  const plain: [string, string][] = [
    ["the stack files", readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8")],
    ["the sandbox file", readFileSync(path.join(ROOT, "Pulumi.sandbox.yaml"), "utf8")],
    [
      "scalars of every core type",
      stack(
        "  registry-hub:x:\n    a: 1\n    b: -2\n    c: 0x1F\n    d: 0o17\n    e: 1.5e3\n    f: .inf\n" +
          "    g: true\n    h: False\n    i: ~\n    j: null\n    k:\n    l: '007'\n    m: \"1.0\"\n" +
          "    n: 1.31\n    o: yes\n    p: -x\n    q: a#b\n    r: a # a comment\n",
      ),
    ],
    [
      "quotes, colons and comments",
      stack(
        "  # a comment\n  'registry-hub:y': 'it''s # not a comment: really'\n" +
          '  "registry-hub:z": "a: b # c"   # a comment\n  registry-hub:arn: arn:aws:iam::1:role/a\n',
      ),
    ],
    [
      "flow lists and maps on one line",
      stack(
        "  registry-hub:x: [arn:aws:iam::333333333333:role/a, 'b, c', \"d\", [1, [2]], {}]\n" +
          "  registry-hub:y: { enabled: true, port: 20502, 'q': [a], \"n\": {m: x} }\n" +
          "  registry-hub:z: []\n",
      ),
    ],
    [
      "lists at their key's indentation, and nested",
      stack(
        "  registry-hub:x:\n  - a\n  - name: b\n    list:\n    - c\n    -\n      d: 1\n    - \n" +
          "    other: 2\n  registry-hub:y: 3\n",
      ),
    ],
    ["a document opened with ---", `---\n${stack("  registry-hub:x: 1\n")}`],
    ["an empty file", ""],
  ];
  for (const [title, text] of plain) {
    it(`reads ${title} itself, with the parser's values`, () => {
      assert.ok(readFast(text), "the fast reader gave up");
      assert.deepEqual(rawConfigFromYaml(text, FILE), text === "" ? {} : parsed(text));
    });
  }

  const others: [string, string][] = [
    ["an anchor and an alias", stack("  registry-hub:x: &a [1]\n  registry-hub:y: *a\n")],
    ["a block string", stack("  registry-hub:x: |\n    line 1\n    line 2\n")],
    ["a folded string", stack("  registry-hub:x: >-\n    line 1\n    line 2\n")],
    ["a plain string over two lines", stack("  registry-hub:x: a\n    b\n")],
    ["a value below its key", stack("  registry-hub:x:\n    just text\n")],
    ["a quoted string over two lines", stack("  registry-hub:x: 'a\n    b'\n")],
    ["an escape", stack('  registry-hub:x: "a\\tb\\u00e9"\n')],
    ["a flow list over two lines", stack("  registry-hub:x: [a,\n    b]\n")],
    ["a tag", stack("  registry-hub:x: !!str 1\n")],
    ["an explicit key", stack("  ? registry-hub:x\n  : 1\n")],
    ["a list in a list on one line", stack("  registry-hub:x:\n    - - a\n")],
    ["CRLF line ends", stack("  registry-hub:x: 1\r\n  registry-hub:y: 2\r\n")],
    ["a tab in a value", stack("  registry-hub:x: a\tb\n")],
    ["a key of 1,025 characters", stack(`  registry-hub:${"k".repeat(1_012)}: 1\n`)],
  ];
  for (const [title, text] of others) {
    it(`leaves ${title} to the parser, with the same values`, () => {
      assert.equal(readFast(text), false, "the fast reader read it");
      let expected: unknown;
      try {
        expected = parsed(text);
      } catch {
        expected = "refused";
      }
      let actual: unknown;
      try {
        actual = rawConfigFromYaml(text, FILE);
      } catch (error) {
        assert.ok(error instanceof StackFileError, String(error));
        actual = "refused";
      }
      assert.deepEqual(actual, expected);
    });
  }

  it("refuses a file over 16 MiB before reading it", () => {
    expectOne(
      stack(`  registry-hub:x: ${"x".repeat(MAX_STACK_FILE_CHARACTERS)}\n`),
      /^Pulumi\.test\.yaml: is larger than 16 MiB; a config of 100,000 repositories \(ECR's quota per registry\) is about 4\.3 MB$/,
    );
  });

  it("refuses what it does not read in a file too large for the parser, with line and column", () => {
    const filler = "  registry-hub:x:\n" + "    - a\n".repeat(MAX_FULL_YAML_CHARACTERS / 8);
    expectOne(
      stack(`${filler}  registry-hub:y: &a 1\n`),
      /^Pulumi\.test\.yaml:65540:19: an anchor \(&\): a stack file over 512 KiB is read as plain YAML only \(block maps and lists, one-line strings, one-line \[lists\] and \{maps\}\), to keep reading it fast$/,
    );
  });
});
