/**
 * The offline record of a provider's schema: no npm package ships a provider's schema.json, but
 * the typed SDKs' generated .js files name, for every resource and function, exactly the input
 * properties the SDK sends (`resourceInputs["x"] = args?.x`) and the outputs it expects
 * (`resourceInputs["y"] = undefined /*out*\/`). The stand-in providers check against this record,
 * so a property the SDK would not send is refused, as the real provider's schema would refuse it.
 */
import * as fs from "fs";
import * as path from "path";

export interface ResourceRecord {
  /** Properties the SDK sends: given by the program, or constants such as `apiVersion`. */
  readonly inputs: readonly string[];
  /** Every property the SDK declares, inputs and outputs. */
  readonly properties: readonly string[];
  /** A component the provider constructs (`remote: true` in the SDK). */
  readonly remote: boolean;
}

export interface FunctionRecord {
  /** Argument names the SDK sends to the function. */
  readonly args: readonly string[];
}

export interface SdkRecord {
  readonly pkg: string;
  readonly version: string;
  readonly resources: Readonly<Record<string, ResourceRecord>>;
  readonly functions: Readonly<Record<string, FunctionRecord>>;
}

const TYPE_TOKEN = /__pulumiType = '([^']+)'/;
const PROPERTY = /resourceInputs\["([^"]+)"\] = (.*);/g;
const INVOKE = /runtime\.invoke(?:Output|SingleOutput|Single)?\("([^"]+)", \{([^}]*)\}/g;
const INVOKE_ARG = /"([^"]+)": args/g;

function jsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : jsFiles(full);
    return entry.name.endsWith(".js") ? [full] : [];
  });
}

/** The record of `@pulumi/<pkg>` as installed under `nodeModules`. */
export function readSdkRecord(nodeModules: string, pkg: string): SdkRecord {
  const root = path.join(nodeModules, "@pulumi", pkg);
  const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
    version: string;
  };
  const resources: Record<string, ResourceRecord> = {};
  const functions: Record<string, FunctionRecord> = {};
  for (const file of jsFiles(root)) {
    const text = fs.readFileSync(file, "utf8");
    for (const [, token, body] of text.matchAll(INVOKE)) {
      functions[token] = { args: [...body.matchAll(INVOKE_ARG)].map((m) => m[1]).sort() };
    }
    const typeMatch = TYPE_TOKEN.exec(text) ?? /\.__pulumiType = '([^']+)'/.exec(text);
    if (!typeMatch) continue;
    const isProvider = /super\(Provider\.__pulumiType/.test(text) && !typeMatch[1].includes(":");
    const token = isProvider ? `pulumi:providers:${typeMatch[1]}` : typeMatch[1];
    const inputs = new Set<string>();
    const properties = new Set<string>();
    for (const [, name, value] of text.matchAll(PROPERTY)) {
      properties.add(name);
      const isOutput = value.includes("/*out*/") || /^state\b/.test(value);
      if (!isOutput) inputs.add(name);
    }
    resources[token] = {
      inputs: [...inputs].sort(),
      properties: [...properties].sort(),
      remote: /true \/\*remote\*\//.test(text),
    };
  }
  return { pkg, version, resources, functions };
}
