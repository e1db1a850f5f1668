import * as pulumi from "@pulumi/pulumi";
import { CONFIG_KEYS, PROJECT } from "./schema";
import { HubConfig } from "./model";
import { validateConfig } from "./validate";

/** Reads and checks the stack's config; a bad config stops the program before any resource exists. */
export function readHubConfig(): HubConfig {
  const stackConfig = new pulumi.Config(PROJECT);
  const raw = Object.fromEntries(CONFIG_KEYS.map((key) => [key, stackConfig.getObject<unknown>(key)]));
  const validation = validateConfig(raw);
  if (!validation.ok) {
    throw new pulumi.RunError(
      `invalid ${PROJECT} config in Pulumi.${pulumi.getStack()}.yaml:\n${validation.problems.map((p) => `  ${p}`).join("\n")}`,
    );
  }
  return validation.config;
}
