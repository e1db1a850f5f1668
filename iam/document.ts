/** The IAM policy grammar the builders share, and the one way to turn a document into text. */

export type OneOrMany = string | string[];

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: OneOrMany; Federated?: string; Service?: OneOrMany };
  Action: OneOrMany;
  Resource?: OneOrMany;
  Condition?: Record<string, Record<string, OneOrMany>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/** Sorted and de-duplicated, so the same config always renders the same bytes. */
export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** AWS stores a one-element list as a plain string; writing it that way keeps diffs quiet. */
export function oneOrMany(values: Iterable<string>): OneOrMany {
  const list = sortedUnique(values);
  return list.length === 1 ? list[0] : list;
}

export function policyDocument(statements: PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

/** The exact text sent to AWS; its length is what the 10,240-character limits count. */
export function renderPolicy(document: PolicyDocument): string {
  return JSON.stringify(document);
}
