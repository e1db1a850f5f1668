import * as pulumi from "@pulumi/pulumi";
import { namespaced } from "./stack-file";
import { RawConfig } from "./validate";

/** The stack's `registry-hub:*` values as the stack file wrote them. */
export function readStackConfig(): RawConfig {
  return Object.fromEntries(
    Object.entries(namespaced(pulumi.runtime.allConfig())).map(([key, text]) => [
      key,
      parseValue(text as string),
    ]),
  );
}

/** Pulumi hands structured values over as JSON text, plain strings as they are. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
