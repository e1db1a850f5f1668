/**
 * The AWS partitions an ARN may name. Depends on display() only, so both halves of the schema
 * (schema.ts and repository-options.ts) can check ARNs with it.
 */
import { display } from "./display";

/** The partitions the AWS SDKs know (their partitions.json); ARNs name one of these. */
export const PARTITIONS = [
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
] as const;

/** Why `partition` (an ARN's second field) names no partition, or undefined if it names one. */
export function unknownPartition(partition: string): string | undefined {
  return (PARTITIONS as readonly string[]).includes(partition)
    ? undefined
    : `no AWS partition is called ${display(partition)} (${PARTITIONS.join(", ")})`;
}
