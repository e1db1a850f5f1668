import { readStackFile } from "../config/stack-file";
import { HubConfig } from "../config/model";
import { RawConfig } from "../config/validate";
import { prepare } from "../prepare";
import { deployHub } from "../hub";
import { planAccess } from "../plan/access";

export function rawStack(stack: "prod" | "sandbox"): RawConfig {
  return readStackFile(`${__dirname}/../Pulumi.${stack}.yaml`);
}

export function validConfig(raw: RawConfig): HubConfig {
  const prepared = prepare(raw);
  if (!prepared.ok) throw new Error(`config rejected:\n${prepared.problems.join("\n")}`);
  return prepared.model;
}

export function stackConfig(stack: "prod" | "sandbox"): HubConfig {
  return validConfig(rawStack(stack));
}

/** A deep copy to edit in a test without touching the original. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Pulumi.prod.yaml with every optional setting switched on, so tests reach the resources the
 * stack files do not create (the guardrail, the KMS key, the registry scanning configuration).
 */
export function everyOptionRaw(): RawConfig {
  const raw = copy(rawStack("prod"));
  raw.tags = { team: "platform", "cost-center": "cc 42/registry" };
  raw.organization = {
    managementAccountId: "999999999999",
    deployRoleArn: "arn:aws:iam::999999999999:role/pulumi-deploy",
  };
  const registry = raw.registry as Record<string, unknown>;
  registry.encryption = { createKey: true };
  registry.scanning = {
    type: "ENHANCED",
    rules: [
      { frequency: "CONTINUOUS_SCAN", repositoryFilters: ["base/*"] },
      { frequency: "SCAN_ON_PUSH", repositoryFilters: ["*"] },
    ],
  };
  const [microservice] = raw.repositories as Record<string, unknown>[];
  microservice.mutableTagPatterns = ["latest", "dev-*"];
  microservice.lifecycle = {
    protectedTagPatterns: ["v*", "release-*"],
    rules: [
      { tagPrefix: "main-", keepLast: 20 },
      { tagPattern: "pr-*", expireAfterDays: 14 },
    ],
  };
  return raw;
}

/** Deploys a model as the program does, with the plan prepare() would hand over. */
export function deployPlanned(model: HubConfig) {
  return deployHub(model, planAccess(model));
}
