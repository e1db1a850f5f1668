/** Reads the `registry-hub:*` keys of a Pulumi stack file, for tools that run without Pulumi. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { RawConfig } from "./validate";
import { CONFIG_KEYS, PROJECT } from "./schema";

export function rawConfigFromYaml(text: string): RawConfig {
  const document = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const config = document.config ?? {};
  return Object.fromEntries(
    CONFIG_KEYS.filter((key) => `${PROJECT}:${key}` in config).map((key) => [key, config[`${PROJECT}:${key}`]]),
  );
}

export function readStackFile(path: string): RawConfig {
  return rawConfigFromYaml(readFileSync(path, "utf8"));
}
