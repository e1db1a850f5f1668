/**
 * Reads the `registry-hub:*` keys of a Pulumi stack file, for tools that run without Pulumi.
 *
 * The file is read once: by the fast reader (plain-yaml.ts) when it is the plain YAML stack
 * files are written in, otherwise (and only up to MAX_FULL_YAML_CHARACTERS) by the YAML
 * parser, to its syntax tree. Either way it becomes TreeNodes, turned into plain values here
 * rather than by the parser's own toJS, because the parser's checks do not fit a file anyone
 * can edit: its duplicate-key check is quadratic in a map's size, its alias limit counts uses
 * (so one anchor shared by 100 repositories is refused) rather than expansion, and it turns
 * `!!binary`, `!!set`, `!!omap` and `!!timestamp` into values no config key can hold.
 */
import { readFileSync, statSync } from "node:fs";
import {
  CST,
  Composer,
  Document,
  LineCounter,
  Node,
  Parser,
  YAMLParseError,
  isAlias,
  isMap,
  isScalar,
  isSeq,
} from "yaml";
import { TreeNode, readPlainYaml, treeNode } from "./plain-yaml";
import { display, sentence } from "./display";
import { PROJECT } from "./schema";
import { RawConfig, configPath } from "./validate";

/**
 * Far above what any stack needs (the schema is 7 levels deep) and far below what would
 * exhaust the call stack of the checks that walk the values.
 */
export const MAX_DEPTH = 64;
/**
 * Values after aliases are expanded. 5,000 repositories and 1,000 clusters are about 50,000;
 * an alias bomb (an anchor of ten aliases of an anchor of ten...) is refused here, before
 * anything walks the expansion.
 */
export const MAX_VALUES = 2_000_000;

/** A stack file that cannot be read or is not the YAML a stack file holds; one line per problem. */
export class StackFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
    this.name = "StackFileError";
  }
}

/** The `registry-hub:*` entries of a config map, without the namespace; unknown keys stay, to be reported. */
export function namespaced(config: Record<string, unknown>): RawConfig {
  const prefix = `${PROJECT}:`;
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

export function readStackFile(path: string): RawConfig {
  let text: string;
  try {
    // Refused before it is read: a huge file would cost its size in memory first.
    const stat = statSync(path);
    if (stat.isFile() && stat.size > MAX_STACK_FILE_CHARACTERS * 4) {
      throw new StackFileError([`${display(path)}: ${tooLarge()}`]);
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (error instanceof StackFileError) throw error;
    throw new StackFileError([`${display(path)}: ${readFailure(error)}`]);
  }
  return rawConfigFromYaml(text, display(path));
}

function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return "no such file (give --stack NAME for Pulumi.NAME.yaml, or --config-file PATH)";
    case "EISDIR":
      return "is a directory, not a stack file";
    case "EACCES":
      return "cannot be read (permission denied)";
    default:
      return `cannot be read (${code ?? String(error)})`;
  }
}

/**
 * Larger files are read by the fast reader only (config/plain-yaml.ts): the full parser costs
 * about 1 microsecond and 100 bytes per character, so at this size it stays near a second and
 * 100 MB however the YAML is written.
 */
export const MAX_FULL_YAML_CHARACTERS = 512 * 1024;
/** A config of 100,000 repositories (ECR's quota per registry) is about 4.3 MB. */
export const MAX_STACK_FILE_CHARACTERS = 16 * 1024 * 1024;

const PLAIN_YAML =
  "plain YAML only (block maps and lists, one-line strings, one-line [lists] and {maps})";

/** `label` names the file in messages (a path, or a path at a git ref), already made safe with display(). */
export function rawConfigFromYaml(text: string, label: string): RawConfig {
  if (text.length > MAX_STACK_FILE_CHARACTERS)
    throw new StackFileError([`${label}: ${tooLarge()}`]);
  const plainLines = new LineCounter();
  const plain = readPlainYaml(text, plainLines, MAX_DEPTH, MAX_VALUES);
  let read: { contents: TreeNode | null; lineCounter: LineCounter };
  if (plain.ok) {
    read = { contents: plain.contents, lineCounter: plainLines };
  } else if (plain.final || text.length > MAX_FULL_YAML_CHARACTERS) {
    const { line, col } = plainLines.linePos(plain.offset);
    const why = plain.final
      ? plain.why
      : `${plain.why}: a stack file over ${MAX_FULL_YAML_CHARACTERS / 1024} KiB is read as ${PLAIN_YAML}, to keep reading it fast`;
    throw new StackFileError([`${label}:${line}:${col}: ${why}`]);
  } else {
    read = fullYaml(text, label);
  }
  const { contents, lineCounter } = read;
  const at = (offset: number | undefined) => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return `${label}:${line}:${col}`;
  };
  const problems: string[] = [];
  const root = new Converter(lineCounter, (node, path, message) =>
    problems.push(
      `${at(node?.offset)}: ${path.length > 0 ? `${documentPath(path)}: ` : ""}${message}`,
    ),
  ).convert(contents);
  if (problems.length > 0) throw new StackFileError(problems);
  if (root === null || root === undefined) return {};
  if (!isPlainObject(root))
    throw new StackFileError([`${at(0)}: a stack file is a map with a config key`]);
  const config = root.config ?? {};
  if (!isPlainObject(config))
    throw new StackFileError([`${at(contents?.offset)}: config: must be a map`]);
  return namespaced(config);
}

function tooLarge(): string {
  return `is larger than ${MAX_STACK_FILE_CHARACTERS / 1024 / 1024} MiB; a config of 100,000 repositories (ECR's quota per registry) is about 4.3 MB`;
}

/**
 * The full parser, for what the fast reader gives up on: parsed once, each document's depth
 * measured on its syntax tree (see documentTooDeep) before it is composed.
 */
function fullYaml(
  text: string,
  label: string,
): { contents: TreeNode | null; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  function* depthChecked(tokens: Generator<CST.Token>) {
    for (const token of tokens) {
      const deep =
        token.type === "document" && token.value && documentTooDeep(token.value, lineCounter);
      if (deep) throw new StackFileError([`${label}:${deep}`]);
      yield token;
    }
  }
  let document: Document.Parsed | undefined;
  const composer = new Composer({ uniqueKeys: false });
  for (const next of composer.compose(depthChecked(parser.parse(text)), true, text.length)) {
    if (!document) document = next;
    else {
      document.errors.push(
        new YAMLParseError([next.range[0], next.range[1]], "MULTIPLE_DOCS", "a second document"),
      );
      break;
    }
  }
  const at = (offset: number | undefined) => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return `${label}:${line}:${col}`;
  };
  // The first syntax error only: the ones after it are mostly its echoes.
  const [syntax] = document ? [...document.errors, ...document.warnings] : [];
  if (syntax)
    throw new StackFileError([
      `${at(syntax.pos[0])}: ${syntaxSentence(syntax.code, syntax.message)}`,
    ]);
  return { contents: treeOf(document?.contents), lineCounter };
}

/** The parser's node as the converter reads it; recursion is bounded by documentTooDeep. */
function treeOf(node: unknown): TreeNode | null {
  if (node === null || node === undefined) return null;
  const yaml = node as Node;
  const offset = yaml.range?.[0] ?? 0;
  const of = (kind: TreeNode["kind"], value: unknown = null) =>
    treeNode(kind, offset, value, yaml.tag, yaml.anchor);
  if (isAlias(yaml)) return of("alias", yaml.source);
  if (isScalar(yaml)) return of("scalar", yaml.value);
  if (isSeq(yaml)) {
    const seq = of("seq");
    for (const item of yaml.items) seq.items.push(treeOf(item));
    return seq;
  }
  if (isMap(yaml)) {
    const map = of("map");
    for (const pair of yaml.items) {
      map.keys.push(treeOf(pair.key));
      map.items.push(treeOf(pair.value));
    }
    return map;
  }
  return of("other");
}

/**
 * The parser builds its tree recursively and fails at about 1,000 levels with a stack
 * overflow, so depth is measured first on its flat syntax tree, with an explicit stack.
 * Returns "line:column: path: message" for the first collection nested too deep.
 */
function documentTooDeep(value: CST.Token, lines: LineCounter): string | undefined {
  const stack: { token: CST.Token; depth: number; path: PropertyKey[] }[] = [
    { token: value, depth: 0, path: [] },
  ];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const { token, depth, path } = next;
    if (
      token.type !== "block-map" &&
      token.type !== "block-seq" &&
      token.type !== "flow-collection"
    )
      continue;
    if (depth > MAX_DEPTH) {
      const { line, col } = lines.linePos(token.offset);
      return `${line}:${col}: ${documentPath(path)}: nested deeper than ${MAX_DEPTH} levels`;
    }
    const list =
      token.type === "block-seq" ||
      (token.type === "flow-collection" && token.start.source === "[");
    const children = token.items.flatMap((item, i) =>
      item.value
        ? [{ token: item.value, depth: depth + 1, path: [...path, list ? i : keyText(item.key)] }]
        : [],
    );
    // Reversed, so the first too-deep collection in the file is the one reported.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
  return undefined;
}

function keyText(key: CST.Token | null | undefined): string {
  const scalar = key ? CST.resolveAsScalar(key) : null;
  return scalar ? scalar.value : "?";
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The parser's messages say where, then quote the line; the position is given separately here. */
function syntaxSentence(code: string, message: string): string {
  if (/end with a \]/.test(message)) return "a [ list is not closed with ]";
  if (/end with a \}/.test(message)) return "a { map is not closed with }";
  switch (code) {
    case "TAB_AS_INDENT":
      return "a tab is used for indentation; YAML indents with spaces only";
    case "MISSING_CHAR":
      return /quote/.test(message) ? "a quoted string is not closed" : firstClause(message);
    case "MULTIPLE_DOCS":
      return "a second YAML document starts here (---); a stack file holds one document";
    case "TAG_RESOLVE_FAILED":
      return `${firstClause(message)}; use plain YAML values, without tags`;
    default:
      return firstClause(message);
  }
}

function firstClause(message: string): string {
  return sentence(message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, ""));
}

/** `config.registry-hub:X...` as the config path the validation messages use; the rest as it is. */
function documentPath(path: PropertyKey[]): string {
  const [first, second, ...rest] = path;
  if (first === "config" && typeof second === "string" && second.startsWith(`${PROJECT}:`)) {
    return configPath([second.slice(PROJECT.length + 1), ...rest]);
  }
  return configPath(path, "");
}

const CORE_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

interface Converted {
  value: unknown;
  /** Values in the expanded tree, this one included. */
  size: number;
  /** Levels below this one in the expanded tree. */
  height: number;
}

type Report = (node: TreeNode | undefined, path: PropertyKey[], message: string) => void;

/** A path as a chain to the root: built per value, made an array only for a message. */
type Path = { up: Path; key: PropertyKey } | null;

function pathArray(path: Path): PropertyKey[] {
  const keys: PropertyKey[] = [];
  for (let at = path; at; at = at.up) keys.push(at.key);
  return keys.reverse();
}

/**
 * Syntax tree to plain values, in document order so that an alias finds the last anchor of
 * its name before it, as YAML defines. An anchored node is converted once and shared by its
 * aliases, and its size is added per use, so counting the expansion costs no expansion.
 */
class Converter {
  private readonly anchors = new Map<string, TreeNode>();
  private readonly converted = new Map<TreeNode, Converted | "in progress">();
  private total = 0;
  private stopped = false;

  constructor(
    private readonly lineCounter: LineCounter,
    private readonly report: Report,
  ) {}

  convert(node: TreeNode | null): unknown {
    return node ? this.node(node, null, 0).value : null;
  }

  private fail(node: TreeNode | undefined, path: Path, message: string): Converted {
    this.report(node, pathArray(path), message);
    return { value: null, size: 1, height: 0 };
  }

  /** `values`: 1 for a value written out, the whole expansion for an alias. */
  private count(node: TreeNode, path: Path, values: number, result: Converted): Converted {
    this.total += values;
    if (this.total > MAX_VALUES && !this.stopped) {
      // One message: every later value would repeat it.
      this.stopped = true;
      this.report(
        node,
        pathArray(path),
        `expands to more than ${MAX_VALUES.toLocaleString("en-US")} values (aliases included); ` +
          "a stack config is far smaller, so this looks like an alias bomb",
      );
    }
    return result;
  }

  private node(node: TreeNode | null, path: Path, depth: number): Converted {
    if (node === null) return { value: null, size: 1, height: 0 };
    if (this.stopped) return { value: null, size: 1, height: 0 };
    if (depth > MAX_DEPTH) {
      return this.fail(node, path, `nested deeper than ${MAX_DEPTH} levels`);
    }
    if (node.anchor) this.anchors.set(node.anchor, node);
    if (node.kind === "alias") return this.alias(node, path, depth);
    const result = this.value(node, path, depth);
    // A value written out counts once, here; an alias counts its whole expansion per use.
    return this.count(node, path, 1, result);
  }

  private alias(node: TreeNode, path: Path, depth: number): Converted {
    const source = String(node.value);
    const target = this.anchors.get(source);
    if (!target) {
      return this.fail(
        node,
        path,
        `alias *${display(source)} has no anchor &${display(source)} before it`,
      );
    }
    const done = this.converted.get(target);
    if (done === "in progress") {
      return this.fail(node, path, `alias *${display(source)} is inside the value it names`);
    }
    const result = done ?? this.node(target, path, depth);
    if (depth + result.height > MAX_DEPTH) {
      return this.fail(
        node,
        path,
        `nested deeper than ${MAX_DEPTH} levels (through alias *${display(source)})`,
      );
    }
    return this.count(node, path, result.size, result);
  }

  private value(node: TreeNode, path: Path, depth: number): Converted {
    const tag = node.tag;
    if (tag !== undefined && !CORE_TAGS.has(tag)) {
      return this.fail(
        node,
        path,
        `${displayTag(tag)} is not a plain YAML value; write a plain map, list, string or number`,
      );
    }
    if (node.anchor) this.converted.set(node, "in progress");
    const result = this.plain(node, path, depth);
    if (node.anchor) this.converted.set(node, result);
    return result;
  }

  private plain(node: TreeNode, path: Path, depth: number): Converted {
    if (node.kind === "scalar") {
      const v = node.value;
      if (v === null || typeof v === "string" || typeof v === "boolean" || typeof v === "number") {
        return { value: v, size: 1, height: 0 };
      }
      return this.fail(node, path, "is not a plain YAML value; write a string or a number");
    }
    if (node.kind === "seq") {
      const items: unknown[] = [];
      let size = 1;
      let height = 0;
      node.items.forEach((item, i) => {
        const child = this.node(item, { up: path, key: i }, depth + 1);
        items.push(child.value);
        size += child.size;
        height = Math.max(height, child.height + 1);
      });
      return { value: items, size, height };
    }
    if (node.kind === "map") {
      const object: Record<string, unknown> = {};
      const firstAt = new Map<string, TreeNode>();
      let size = 1;
      let height = 0;
      for (let i = 0; i < node.keys.length; i++) {
        const keyNode = node.keys[i];
        const key =
          keyNode?.kind === "scalar" && keyNode.tag === undefined ? keyNode.value : undefined;
        if (typeof key !== "string" && typeof key !== "number") {
          this.fail(keyNode ?? node, path, "a map key must be a plain string");
          continue;
        }
        const name = String(key);
        const first = firstAt.get(name);
        if (first) {
          const { line, col } = this.position(first);
          this.fail(
            keyNode ?? node,
            { up: path, key: name },
            `duplicate key (first at line ${line}, column ${col})`,
          );
          continue;
        }
        firstAt.set(name, keyNode ?? node);
        const child = this.node(node.items[i], { up: path, key: name }, depth + 1);
        // defineProperty: a key named __proto__ is data here, not the object's prototype.
        if (name === "__proto__") {
          Object.defineProperty(object, name, {
            value: child.value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else object[name] = child.value;
        size += child.size;
        height = Math.max(height, child.height + 1);
      }
      return { value: object, size, height };
    }
    return this.fail(node, path, "is not a plain YAML value");
  }

  private position(node: TreeNode): { line: number; col: number } {
    return this.lineCounter.linePos(node.offset);
  }
}

function displayTag(tag: string): string {
  return tag.startsWith("tag:yaml.org,2002:") ? `!!${tag.slice(18)}` : display(tag);
}
