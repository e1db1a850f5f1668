/**
 * How a value from a config file appears in a message: names come from files anyone can edit,
 * so a newline would forge a problem line, an escape sequence would reach the terminal, and a
 * megabyte-long name would bury every other problem.
 */

/** Longer values are cut: enough to recognise a name, short enough to keep one line readable. */
export const DISPLAY_LIMIT = 100;

/** What the messages print bare: names, ids, ARNs, repository paths, git refs like HEAD~1. */
const PLAIN = /^[\w./:@+=,~^-]+$/;

/**
 * The value as it is when it is plain and short, otherwise JSON-quoted (control characters,
 * quotes and line breaks escaped) and cut to DISPLAY_LIMIT characters with the count of the rest.
 */
export function display(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  if (text.length <= DISPLAY_LIMIT && PLAIN.test(text)) return text;
  const cut = text.length > DISPLAY_LIMIT ? text.slice(0, DISPLAY_LIMIT) : text;
  const more = text.length - cut.length;
  return `${escapeText(cut)}${more > 0 ? ` (and ${more.toLocaleString("en-US")} more characters)` : ""}`;
}

/**
 * JSON.stringify escapes C0 controls, quotes and backslashes; the rest of what a terminal
 * interprets (C1 controls such as the one-byte CSI, line and paragraph separators, bidi
 * overrides that reorder what is shown) is escaped the same way. A lone surrogate left by the
 * cut is escaped by JSON.stringify too.
 */
function escapeText(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * A sentence from a library (the YAML parser's) that may quote the file: escaped as display()
 * does, without the quotes around the whole, and cut to twice DISPLAY_LIMIT.
 */
export function sentence(text: string): string {
  const cut = text.length > 2 * DISPLAY_LIMIT ? `${text.slice(0, 2 * DISPLAY_LIMIT)}...` : text;
  return escapeText(cut).slice(1, -1);
}

/** A count with thousands separators, as messages print sizes: 10,240. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
