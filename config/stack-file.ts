/** Reads the `registry-hub:*` keys of a Pulumi stack file, for tools that run without Pulumi. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { RawConfig } from "./validate";
import { PROJECT } from "./schema";

/** The `registry-hub:*` entries of a config map, without the namespace; unknown keys stay, to be reported. */
export function namespaced(config: Record<string, unknown>): RawConfig {
  const prefix = `${PROJECT}:`;
  return Object.fromEntries(
    Object.entries(config)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
}

export function rawConfigFromYaml(text: string): RawConfig {
  const document = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const config = document.config ?? {};
  return namespaced(config);
}

export function readStackFile(path: string): RawConfig {
  return rawConfigFromYaml(readFileSync(path, "utf8"));
}
