// IAM policy documents as the rules read them: parsing a `policy` input given as JSON or as an
// object, and the wording shared by the rules' messages.
import type { ReportViolation, ResourceValidation } from "@pulumi/policy";

/** One statement of an IAM policy document, as far as these rules read it. */
export interface Statement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export type ParsedDocument = { statements: Statement[] } | { error: string };

/**
 * Reads a policy document given either as a JSON string or as an object (Pulumi inputs accept
 * both). A value that is unknown during preview throws the SDK's UnknownValueError, which the
 * policy SDK turns into an advisory "can't run during preview" note.
 */
export function parsePolicyDocument(value: unknown): ParsedDocument {
  let doc: unknown = value;
  if (typeof value === "string") {
    try {
      doc = JSON.parse(value);
    } catch (e) {
      return { error: `is not valid JSON (${(e as Error).message})` };
    }
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    return { error: "is not a JSON object" };
  }
  const raw = (doc as { Statement?: unknown }).Statement;
  if (raw === undefined) {
    return { statements: [] };
  }
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  if (list.some((s) => typeof s !== "object" || s === null || Array.isArray(s))) {
    return { error: "has a Statement that is not an object" };
  }
  return { statements: list as Statement[] };
}

/** Normalises a string-or-list field to a list of strings. */
export function asList(value: unknown): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.map((v) => String(v));
}

export function isAllow(s: Statement): boolean {
  return s.Effect === "Allow";
}

export function label(s: Statement, index: number): string {
  return s.Sid ? `statement ${index} (${s.Sid})` : `statement ${index}`;
}

export function quoteList(values: string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}

export function validatePolicyInput(
  types: readonly string[],
  field: string,
  check: (statements: Statement[], report: ReportViolation) => void,
): ResourceValidation {
  return (args, reportViolation) => {
    if (!types.includes(args.type)) {
      return;
    }
    // Reading an unknown value throws UnknownValueError: let it through to the SDK.
    const parsed = parsePolicyDocument(args.props[field]);
    if ("error" in parsed) {
      reportViolation(`${field} ${parsed.error}.`);
      return;
    }
    check(parsed.statements, reportViolation);
  };
}
