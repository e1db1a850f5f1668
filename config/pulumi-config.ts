import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "./schema";
import { namespaced } from "./stack-file";
import { HubConfig } from "./model";
import { formatProblems, validateConfig } from "./validate";

/** Reads and checks the stack's config; a bad config stops the program before any resource exists. */
export function readHubConfig(): HubConfig {
  const raw = Object.fromEntries(
    Object.entries(namespaced(pulumi.runtime.allConfig())).map(([key, text]) => [
      key,
      parseValue(text as string),
    ]),
  );
  const validation = validateConfig(raw);
  if (!validation.ok) {
    throw new pulumi.RunError(
      `invalid ${PROJECT} config in Pulumi.${pulumi.getStack()}.yaml:\n${formatProblems(validation.problems)}`,
    );
  }
  return validation.config;
}

/** Pulumi hands structured values over as JSON text, plain strings as they are. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
