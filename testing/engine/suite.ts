/**
 * What every engine test file needs: skip loudly when the CLI is not built (fail under CI=true),
 * the stack files as they are, and edits of them.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { EngineResult, PULUMI, ROOT, pulumiAvailable } from "./workspace";

/** Skips the suite with the reason when .tools/bin/pulumi is missing; under CI=true it fails. */
export function requirePulumiOrSkip(ctx: Mocha.Context): void {
  if (pulumiAvailable()) return;
  const message = `engine tests need the Pulumi CLI at ${PULUMI} (bash .ci/install-tools pulumi)`;
  if (process.env.CI === "true") throw new Error(`${message}; CI=true does not skip`);
  console.warn(`  SKIPPED: ${message}`);
  ctx.skip();
}

export function stackFileText(stack: string): string {
  return fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8");
}

/** The stack file with `edit` applied to its parsed `config:` map (comments kept). */
export function editedStackFile(
  stack: string,
  edit: (config: Record<string, unknown>) => void,
): string {
  const document = parseDocument(stackFileText(stack));
  const config = document.get("config", true) as { toJSON(): Record<string, unknown> };
  const values = config.toJSON();
  edit(values);
  document.set("config", values);
  return document.toString();
}

/** The engine's words when an operation failed: its message and the CLI's output. */
export function engineText(result: EngineResult): string {
  return [result.message, result.stdout, result.stderr].filter(Boolean).join("\n");
}

/** `type::name` as the URN snapshot records it (without stack and project). */
export function snapshotUrn(urn: string): string {
  return urn.split("::").slice(2).join("::");
}
