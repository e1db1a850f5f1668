/**
 * Everything before the first resource: the raw `registry-hub:*` values are checked and turned
 * into the model (config/), every policy is rendered (plan/), and the plan is checked against
 * AWS's size limits. prepare() is pure: the program, the access tools, the benchmarks and the
 * tests all start there, and the deploy step takes its result as it is.
 */
import * as pulumi from "@pulumi/pulumi";
import { HubConfig } from "./config/model";
import { readStackConfig } from "./config/pulumi-config";
import { PROJECT } from "./config/schema";
import { RawConfig, formatProblems, validateConfig } from "./config/validate";
import { AccessPlan, planAccess } from "./plan/access";
import { policySizeProblems } from "./plan/limits";

export type Prepared =
  { ok: true; model: HubConfig; plan: AccessPlan } | { ok: false; problems: string[] };

export function prepare(raw: RawConfig): Prepared {
  const validation = validateConfig(raw);
  if (!validation.ok) return validation;
  const model = validation.config;
  const plan = planAccess(model);
  const problems = policySizeProblems(model, plan);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, model, plan };
}

/**
 * prepare() on the stack's own config. A bad config stops the program before any resource
 * exists, with every problem; a RunError prints its message without a stack trace.
 */
export function prepareStack(): { model: HubConfig; plan: AccessPlan } {
  const prepared = prepare(readStackConfig());
  if (prepared.ok) return prepared;
  throw new pulumi.RunError(
    `invalid ${PROJECT} config in Pulumi.${pulumi.getStack()}.yaml:\n${formatProblems(prepared.problems)}`,
  );
}
