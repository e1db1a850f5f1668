// Values that are unknown during preview, for the stack rules.

export const UNKNOWN = Symbol("unknown");

/**
 * During preview a property that depends on a resource not yet created is unknown, and reading
 * it throws the SDK's UnknownValueError. Stack rules read such values with this helper and skip
 * the check they cannot make; the same rules run again on the real values at `pulumi up`.
 */
export function known<T>(read: () => T): T | typeof UNKNOWN {
  try {
    return read();
  } catch (e) {
    if (isUnknownValueError(e)) {
      return UNKNOWN;
    }
    throw e;
  }
}

function isUnknownValueError(e: unknown): boolean {
  // Compare by name, not instanceof: the pack's node_modules and the repository's may hold
  // different copies of @pulumi/policy.
  return e instanceof Error && e.constructor.name === "UnknownValueError";
}
