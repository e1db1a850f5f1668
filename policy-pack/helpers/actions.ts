// Matching IAM actions against the patterns a statement lists.

/** Case-insensitive IAM wildcard match: `*` any run of characters, `?` one character. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${re}$`, "i").test(action);
}

/** `*` or `service:*`. */
export function isWildcardAction(action: string): boolean {
  return /^(\*|[a-z0-9-]+:\*)$/i.test(action.trim());
}
