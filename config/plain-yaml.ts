/**
 * A fast reader for the YAML that stack files are written in: block maps and lists, one-line
 * plain and quoted strings, and one-line [flow lists] and {flow maps} of them. It builds the
 * same TreeNodes as stack-file.ts makes of the full parser's output, so both are checked by
 * one converter, and it gives up, saying where and why, at anything else (anchors, tags, block or multi-line
 * strings, escapes, ...), which the full parser then reads.
 *
 * Why: the full parser costs about 1 microsecond and 100 bytes per byte of YAML, so a config of
 * 100,000 repositories (ECR's quota, about 4.3 MB) took seconds and hundreds of megabytes.
 */
import { LineCounter, Scalar, ScalarTag, Schema } from "yaml";

/**
 * A YAML node as stack-file.ts checks it, from either reader: small plain objects, since the
 * parser's own node classes cost more than half the time of reading a large file.
 */
export interface TreeNode {
  kind: "scalar" | "seq" | "map" | "alias" | "other";
  /** Where it starts in the text. */
  offset: number;
  /** A scalar's value; an alias's anchor name. */
  value: unknown;
  /** A list's items; a map's values. */
  items: (TreeNode | null)[];
  /** A map's keys, one per value in items. */
  keys: (TreeNode | null)[];
  tag: string | undefined;
  anchor: string | undefined;
}

const NONE: never[] = [];

export function treeNode(
  kind: TreeNode["kind"],
  offset: number,
  value: unknown = null,
  tag?: string,
  anchor?: string,
): TreeNode {
  const collection = kind === "seq" || kind === "map";
  return {
    kind,
    offset,
    value,
    items: collection ? [] : NONE,
    keys: kind === "map" ? [] : NONE,
    tag,
    anchor,
  };
}

export type PlainRead =
  | { ok: true; contents: TreeNode | null }
  | { ok: false; offset: number; why: string; final: boolean };

/** Thrown where the reader stops; `final` when no other reader should try either. */
class Stop extends Error {
  constructor(
    readonly offset: number,
    readonly why: string,
    readonly final = false,
  ) {
    super(why);
  }
}

/** The core schema's implicit scalar types (null, bool, int, float), as the full parser resolves them. */
const IMPLICIT = new Schema({}).tags.filter(
  (tag) => tag.default === true && !tag.collection && tag.test,
) as ScalarTag[];

/** What no plain scalar may start with (YAML 1.2, c-indicator), bar "-" before a non-space. */
const INDICATOR = new Set([..."-?:,[]{}#&*!|>'\"%@`"]);
/** Anything but printable characters and line feeds: tabs, CR, controls, BOM, line separators. */
const UNUSUAL = /[^\n\x20-\x7e\u00a0-\u2027\u202a-\ufefe\uff00-\uffff\ud800-\udfff]/;
/** YAML's limit on an implicit key (a key without "?"). */
const MAX_IMPLICIT_KEY = 1024;

const WHAT: Record<string, string> = {
  "&": "an anchor (&)",
  "*": "an alias (*)",
  "!": "a tag (!)",
  "|": "a block string (|)",
  ">": "a block string (>)",
  "?": "an explicit key (?)",
  "%": "a directive (%)",
};

interface FlowFrame {
  node: TreeNode;
  state: "item" | "colon" | "value" | "comma";
}

interface Open {
  node: TreeNode;
  indent: number;
  /** A list written at its key's own indentation (key:\n- a), closed by the next key there. */
  atKeyIndent: boolean;
}

export function readPlainYaml(
  text: string,
  lineCounter: LineCounter,
  maxDepth: number,
  maxValues: number,
): PlainRead {
  try {
    return { ok: true, contents: new Reader(text, lineCounter, maxDepth, maxValues).read() };
  } catch (error) {
    if (error instanceof Stop) {
      return { ok: false, offset: error.offset, why: error.why, final: error.final };
    }
    throw error;
  }
}

class Reader {
  private readonly open: Open[] = [];
  private root: TreeNode | null = null;
  /** A key or "-" whose value is on the lines below, or null when they hold none. */
  private pending: {
    indent: number;
    inMap: boolean;
    offset: number;
    set: (n: TreeNode) => void;
  } | null = null;
  private values = 0;
  private opened = false;
  private line = "";
  private start = 0;

  constructor(
    private readonly text: string,
    private readonly lineCounter: LineCounter,
    private readonly maxDepth: number,
    private readonly maxValues: number,
  ) {}

  read(): TreeNode | null {
    const unusual = UNUSUAL.exec(this.text);
    if (unusual) this.stop(unusual.index, "a tab, a carriage return or a control character");
    for (let start = 0; start <= this.text.length;) {
      const end = this.text.indexOf("\n", start);
      const stop = end < 0 ? this.text.length : end;
      this.lineCounter.addNewLine(start);
      this.line = this.text.slice(start, stop);
      this.start = start;
      this.readLine();
      start = stop + 1;
    }
    this.resolvePending(-1, false, false);
    return this.root;
  }

  private stop(offset: number, why: string, final = false): never {
    throw new Stop(offset, why, final);
  }

  private at(column: number): number {
    return this.start + column;
  }

  private count(offset: number) {
    if (++this.values > this.maxValues) {
      this.stop(
        offset,
        `holds more than ${this.maxValues.toLocaleString("en-US")} values; a stack config is far smaller`,
        true,
      );
    }
  }

  private scalar(value: unknown, column: number): TreeNode {
    return this.node("scalar", this.at(column), value);
  }

  private node(kind: TreeNode["kind"], offset: number, value: unknown = null): TreeNode {
    this.count(offset);
    return treeNode(kind, offset, value);
  }

  private readLine() {
    const line = this.line;
    let indent = 0;
    while (line.charCodeAt(indent) === 32) indent++;
    if (indent === line.length || line[indent] === "#") return;
    if (indent === 0 && /^(---|\.\.\.)( |$)/.test(line)) {
      // One --- may open the document; the full parser says what a second one means.
      if (
        line.startsWith("---") &&
        /^--- *(#.*)?$/.test(line) &&
        this.root === null &&
        !this.opened
      ) {
        this.opened = true;
        return;
      }
      this.stop(this.at(0), "a document marker (--- or ...)");
    }
    const seqEntry =
      line[indent] === "-" && (indent + 1 === line.length || line[indent + 1] === " ");
    this.resolvePending(indent, seqEntry, true);
    while (this.open.length > 0 && this.top().indent > indent) this.open.pop();
    if (this.open.length > 0 && this.top().atKeyIndent && this.top().indent === indent && !seqEntry)
      this.open.pop();
    if (this.open.length === 0) {
      if (this.root !== null) this.stop(this.at(indent), "a line less indented than the first");
      this.root = this.node("map", this.at(indent));
      this.open.push({ node: this.root, indent, atKeyIndent: false });
    }
    const top = this.top();
    // Deeper than the collection it would belong to, with no key or - waiting for a value: a
    // value continued on a new line, or an indentation error. The parser says which.
    if (top.indent !== indent) this.stop(this.at(indent), "an indentation no line above has");
    if (top.node.kind === "seq") {
      if (!seqEntry) this.stop(this.at(indent), "a line that is not a - item in a list");
      this.seqItem(top.node, indent);
    } else {
      if (seqEntry) this.stop(this.at(indent), "a - item among keys");
      this.mapEntry(top.node, indent);
    }
  }

  private top(): Open {
    return this.open[this.open.length - 1];
  }

  /** The line at `indent` either starts the pending value, or the value was null. */
  private resolvePending(indent: number, seqEntry: boolean, content: boolean) {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    const nested =
      content &&
      (indent > pending.indent || (indent === pending.indent && pending.inMap && seqEntry));
    if (!nested) {
      pending.set(this.node("scalar", pending.offset));
      return;
    }
    if (this.open.length >= this.maxDepth)
      this.stop(this.at(indent), `nesting deeper than ${this.maxDepth} levels`);
    const node = this.node(seqEntry ? "seq" : "map", this.at(indent));
    pending.set(node);
    this.open.push({ node, indent, atKeyIndent: indent === pending.indent });
  }

  private seqItem(seq: TreeNode, indent: number) {
    const line = this.line;
    let column = indent + 1;
    while (line.charCodeAt(column) === 32) column++;
    if (column === line.length || line[column] === "#") {
      this.pending = {
        indent,
        inMap: false,
        offset: this.at(indent),
        set: (node) => seq.items.push(node),
      };
      return;
    }
    if (line[column] === "-" && (column + 1 === line.length || line[column + 1] === " ")) {
      this.stop(this.at(column), "a list item that is a list on the same line");
    }
    if (this.keyEnd(column) >= 0) {
      // - name: ci: a map whose first key is on the item's line.
      if (this.open.length >= this.maxDepth)
        this.stop(this.at(column), `nesting deeper than ${this.maxDepth} levels`);
      const map = this.node("map", this.at(column));
      seq.items.push(map);
      this.open.push({ node: map, indent: column, atKeyIndent: false });
      this.mapEntry(map, column);
      return;
    }
    seq.items.push(this.value(column));
  }

  /** The column of the ":" that ends a key starting at `column`, or -1. */
  private keyEnd(column: number): number {
    const line = this.line;
    const first = line[column];
    if (first === '"' || first === "'") {
      const end = this.quotedEnd(column);
      return line[end] === ":" && (end + 1 === line.length || line[end + 1] === " ") ? end : -1;
    }
    for (let i = line.indexOf(":", column); i >= 0; i = line.indexOf(":", i + 1)) {
      if (i + 1 === line.length || line[i + 1] === " ") return i;
    }
    return -1;
  }

  private mapEntry(map: TreeNode, column: number) {
    const line = this.line;
    const end = this.keyEnd(column);
    if (end < 0) this.stop(this.at(column), "a line that is neither key: value nor - item");
    if (end - column > MAX_IMPLICIT_KEY) this.stop(this.at(column), "a key over 1,024 characters");
    const first = line[column];
    let key: TreeNode;
    if (first === '"' || first === "'") {
      key = this.quoted(column);
    } else {
      const text = line.slice(column, end);
      if (INDICATOR.has(first) || text.includes(" #") || text.endsWith(" ")) {
        this.stop(this.at(column), WHAT[first] ?? "a key plain YAML does not write so");
      }
      key = this.plain(text, column);
    }
    let value = end + 1;
    while (line.charCodeAt(value) === 32) value++;
    const index = map.keys.push(key) - 1;
    map.items.push(null);
    if (value === line.length || line[value] === "#") {
      if (value < line.length && line[value - 1] !== " ")
        this.stop(this.at(value), "a # without a space before it");
      this.pending = {
        indent: column,
        inMap: true,
        offset: this.at(end),
        set: (node) => (map.items[index] = node),
      };
      return;
    }
    map.items[index] = this.value(value);
  }

  /** A value that ends on its line: quoted, flow, or plain; a comment may follow. */
  private value(column: number): TreeNode {
    const line = this.line;
    const first = line[column];
    let node: TreeNode;
    let end: number;
    if (first === '"' || first === "'") {
      node = this.quoted(column);
      end = this.quotedEnd(column);
    } else if (first === "[" || first === "{") {
      [node, end] = this.flow(column);
    } else {
      const dashed = first === "-" && column + 1 < line.length && line[column + 1] !== " ";
      if (INDICATOR.has(first) && !dashed) {
        this.stop(this.at(column), WHAT[first] ?? `a value starting with ${first}`);
      }
      const comment = line.indexOf(" #", column);
      const text = (comment < 0 ? line.slice(column) : line.slice(column, comment)).trimEnd();
      if (text.includes(": ") || text.endsWith(":"))
        this.stop(this.at(column), "a key: value inside a value");
      return this.plain(text, column);
    }
    if (!/^( +#.*| *)$/.test(line.slice(end)))
      this.stop(this.at(end), "more after a quoted or flow value");
    return node;
  }

  private plain(text: string, column: number): TreeNode {
    const tag = IMPLICIT.find((t) => t.test?.test(text));
    if (!tag) return this.scalar(text, column);
    let failed = false;
    const value = tag.resolve(text, () => (failed = true), {});
    if (failed) this.stop(this.at(column), "a value the YAML core schema does not resolve");
    return this.scalar(value instanceof Scalar ? value.value : value, column);
  }

  /** The column after the closing quote of the string opening at `column`, or the line's length. */
  /**
   * The column after the closing quote of the string opening at `column`; the reader stops at
   * a string that does not close on its line or holds a \ escape (the parser resolves those).
   */
  private quotedEnd(column: number): number {
    const line = this.line;
    const quote = line[column];
    for (let i = column + 1; i < line.length; i++) {
      if (line[i] === "\\" && quote === '"') break;
      if (line[i] !== quote) continue;
      if (quote === "'" && line[i + 1] === "'") {
        i++;
        continue;
      }
      return i + 1;
    }
    return this.stop(
      this.at(column),
      "a string quoted over more than one line, or with a \\ escape",
    );
  }

  private quoted(column: number): TreeNode {
    const line = this.line;
    const end = this.quotedEnd(column);
    const inner = line.slice(column + 1, end - 1);
    return this.scalar(line[column] === "'" ? inner.replace(/''/g, "'") : inner, column);
  }

  /** Opens a flow collection at column `i`, within the depth bound. */
  private flowPush(frames: FlowFrame[], i: number) {
    if (this.open.length + frames.length >= this.maxDepth)
      this.stop(this.at(i), `nesting deeper than ${this.maxDepth} levels`);
    frames.push({
      node: this.node(this.line[i] === "[" ? "seq" : "map", this.at(i)),
      state: "item",
    });
  }

  /** Puts a finished node where the frame on top expects one. */
  private flowPlace(frames: FlowFrame[], node: TreeNode, i: number) {
    const frame = frames[frames.length - 1];
    if (frame.node.kind === "seq") {
      frame.node.items.push(node);
      frame.state = "comma";
    } else if (frame.state === "item") {
      if (node.kind !== "scalar") this.stop(this.at(i), "a collection as a map key");
      frame.node.keys.push(node);
      frame.state = "colon";
    } else {
      frame.node.items.push(node);
      frame.state = "comma";
    }
  }

  /** A flow collection that closes on its line: [a, "b"], {k: v}, nested; returns it and the column after it. */
  private flow(column: number): [TreeNode, number] {
    const line = this.line;
    const frames: FlowFrame[] = [];
    this.flowPush(frames, column);
    let i = column + 1;
    for (;;) {
      while (line.charCodeAt(i) === 32) i++;
      if (i >= line.length) this.stop(this.at(column), "a flow collection over more than one line");
      const c = line[i];
      const frame = frames[frames.length - 1];
      const closes = frame.node.kind === "seq" ? "]" : "}";
      if (c === closes && (frame.state === "item" || frame.state === "comma")) {
        frames.pop();
        i++;
        if (frames.length === 0) return [frame.node, i];
        this.flowPlace(frames, frame.node, i);
        continue;
      }
      if (frame.state === "comma") {
        if (c !== ",") this.stop(this.at(i), "a flow collection without a comma between items");
        frame.state = "item";
        i++;
        continue;
      }
      if (frame.state === "colon") {
        if (c !== ":") this.stop(this.at(i), "a flow map key without a value");
        frame.state = "value";
        i++;
        continue;
      }
      if (c === "[" || c === "{") {
        if (frame.node.kind === "map" && frame.state === "item") {
          this.stop(this.at(i), "a collection as a map key");
        }
        this.flowPush(frames, i);
        i++;
        continue;
      }
      if (c === '"' || c === "'") {
        this.flowPlace(frames, this.quoted(i), i);
        i = this.quotedEnd(i);
        continue;
      }
      if (INDICATOR.has(c) && !(c === "-" && /[^ ,[\]{}]/.test(line[i + 1] ?? " "))) {
        this.stop(this.at(i), WHAT[c] ?? `a ${c} where a flow item was expected`);
      }
      let j = i;
      while (j < line.length && !",[]{}".includes(line[j])) {
        if (line[j] === ":" && /^[ ,[\]{}]?$/.test(line[j + 1] ?? "")) break;
        if (line[j] === "#" && line[j - 1] === " ")
          this.stop(this.at(j), "a comment inside a flow collection");
        j++;
      }
      const stopsAtColon = line[j] === ":";
      if (stopsAtColon && !(frame.node.kind === "map" && frame.state === "item")) {
        this.stop(this.at(j), "a key: value inside a flow list or value");
      }
      this.flowPlace(frames, this.plain(line.slice(i, j).trimEnd(), i), i);
      i = j;
    }
  }
}
