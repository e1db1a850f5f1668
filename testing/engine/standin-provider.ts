/**
 * A stand-in resource provider plugin for the real Pulumi engine: the engine starts it as
 * `pulumi-resource-<pkg>` (installed by testing/engine/plugins.ts) and talks to it over gRPC like
 * to the real plugin. It is strict, not permissive:
 * - Check refuses any input the typed SDK does not declare for the type, and any unknown type;
 * - Diff compares the inputs exactly, with no normalisation;
 * - Create, Read, Update and Delete answer from the engine's own state, so the engine diffs
 *   what it stored; every call is appended to `$STANDIN_LOG` (one JSON line) for tests to read;
 * - Invoke answers only the functions listed in `FUNCTIONS`, after checking their arguments;
 * - Construct builds only the components listed in `COMPONENTS`, with the outputs the program reads.
 * The real aws and eks plugins cannot be built here (pulumi-aws replaces terraform-provider-aws
 * with a local path; no plugin binary comes from a package registry).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as provider from "@pulumi/pulumi/provider";
import { SdkRecord, readSdkRecord } from "./sdk-record";

type Props = Record<string, unknown>;

const ROOT = path.resolve(__dirname, "..", "..");

/** The SDK record of a package, computed once per SDK version and kept in `.tools/standins/`. */
export function sdkRecordFor(pkg: string): SdkRecord {
  const nodeModules = path.join(ROOT, "node_modules");
  const { version } = JSON.parse(
    fs.readFileSync(path.join(nodeModules, "@pulumi", pkg, "package.json"), "utf8"),
  ) as { version: string };
  const cached = path.join(ROOT, ".tools", "standins", `${pkg}@${version}.json`);
  if (fs.existsSync(cached)) return JSON.parse(fs.readFileSync(cached, "utf8")) as SdkRecord;
  const record = readSdkRecord(nodeModules, pkg);
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  const temporary = `${cached}.${process.pid}`;
  fs.writeFileSync(temporary, JSON.stringify(record));
  fs.renameSync(temporary, cached);
  return record;
}

/** `urn:pulumi:stack::project::parent$type::name` -> type and name. */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const types = parts[2].split("$");
  return { type: types[types.length - 1], name: parts.slice(3).join("::") };
}

/** Input names the SDK does not declare for the type; every name when the type is unknown. */
export function undeclaredInputs(
  record: SdkRecord,
  type: string,
  inputs: Props,
): string[] | undefined {
  const resource = record.resources[type];
  if (!resource) return undefined;
  return Object.keys(inputs).filter((key) => !resource.inputs.includes(key));
}

/** The input names whose values differ, compared as the engine sent them (canonical JSON). */
export function changedInputs(record: SdkRecord, type: string, olds: Props, news: Props): string[] {
  const declared = record.resources[type]?.inputs ?? [];
  return declared.filter((key) => canonical(olds[key]) !== canonical(news[key]));
}

function canonical(value: unknown): string {
  if (value === undefined) return "undefined";
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Props).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

function log(entry: Props): void {
  const file = process.env.STANDIN_LOG;
  if (file) fs.appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

function shortHash(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/**
 * Outputs a real provider computes and the program or its components read: an `arn` where the
 * type has one, and the few a type needs. Deterministic: the same resource gets the same values.
 */
/** What the random provider draws: kept by an update, drawn anew only by a replacement. */
const RANDOM_OUTPUTS = ["hex", "b64Std", "b64Url", "dec"] as const;

function computedOutputs(type: string, id: string, record: SdkRecord, inputs: Props): Props {
  const outputs: Props = {};
  const properties = record.resources[type]?.properties ?? [];
  if (properties.includes("arn")) outputs.arn = `arn:aws:standin:::${type}/${id}`;
  if (type === "aws:ecr/repository:Repository") {
    outputs.repositoryUrl = `standin.dkr.ecr.invalid/${id}`;
  }
  if (type === "kubernetes:helm.sh/v3:Release") outputs.status = { status: "deployed" };
  if (type === "random:index/randomId:RandomId") {
    // Random as the real provider's: a replaced id is a new one, never an old one.
    const bytes = crypto.randomBytes(Number(inputs.byteLength ?? 8));
    Object.assign(outputs, {
      hex: bytes.toString("hex"),
      b64Std: bytes.toString("base64"),
      b64Url: bytes.toString("base64url"),
      dec: BigInt(`0x${bytes.toString("hex")}`).toString(),
    });
  }
  return outputs;
}

function resourceId(type: string, name: string, inputs: Props): string {
  const named = inputs.name ?? inputs.bucket ?? inputs.role;
  return typeof named === "string" && named.length > 0
    ? named
    : `${name}-${shortHash(type + name)}`;
}

/** The functions a stand-in answers, by token: arguments in, result out. */
const FUNCTIONS: Record<string, (args: Props) => Props> = {
  "aws:eks/getCluster:getCluster": (args) => {
    const name = String(args.name);
    return {
      id: name,
      name,
      arn: `arn:aws:eks:standin:000000000000:cluster/${name}`,
      // A test with a real API server (and the real kubernetes plugin) names it here.
      endpoint: process.env.STANDIN_EKS_ENDPOINT ?? `https://${name}.standin.eks.invalid`,
      certificateAuthorities: [
        {
          data:
            process.env.STANDIN_EKS_CA_DATA ??
            Buffer.from(`standin CA of ${name}`).toString("base64"),
        },
      ],
      identities: [
        { oidcs: [{ issuer: `https://oidc.eks.standin.invalid/id/${shortHash(name)}` }] },
      ],
      version: "1.31",
      status: "ACTIVE",
    };
  },
};

class StandinComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, options: pulumi.ComponentResourceOptions) {
    super(type, name, {}, options);
  }
  publish(outputs: Props): void {
    this.registerOutputs(outputs);
  }
}

/** The components a stand-in constructs: a ComponentResource with the outputs the program reads. */
const COMPONENTS: Record<
  string,
  (
    name: string,
    inputs: Props,
    options: pulumi.ComponentResourceOptions,
  ) => provider.ConstructResult
> = {
  "eks:index:Cluster": (name, inputs, options) => {
    const component = new StandinComponent("eks:index:Cluster", name, options);
    const clusterName = typeof inputs.name === "string" ? inputs.name : name;
    const issuer = `oidc.eks.standin.invalid/id/${shortHash(clusterName).toUpperCase()}`;
    const kubeconfig = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: clusterName, cluster: { server: `https://${clusterName}.standin.eks.invalid` } },
      ],
      contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
      "current-context": clusterName,
      users: [{ name: clusterName, user: {} }],
    };
    const state = {
      kubeconfig,
      kubeconfigJson: JSON.stringify(kubeconfig),
      oidcIssuer: issuer,
      oidcProviderArn: `arn:aws:iam::000000000000:oidc-provider/${issuer}`,
      oidcProviderUrl: `https://${issuer}`,
    };
    component.publish(state);
    return { urn: component.urn, state };
  },
};

export class StandinProvider implements provider.Provider {
  readonly version: string;
  private readonly record: SdkRecord;

  constructor(private readonly pkg: string) {
    this.record = sdkRecordFor(pkg);
    this.version = this.record.version;
  }

  check(urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
    const { type, name } = parseUrn(urn);
    const undeclared = undeclaredInputs(this.record, type, news);
    log({ op: "check", pkg: this.pkg, type, name, undeclared });
    if (undeclared === undefined) {
      return Promise.resolve({
        failures: [
          {
            property: "",
            reason: `${this.pkg} stand-in: ${type} is not a type of @pulumi/${this.pkg} ${this.version}`,
          },
        ],
      });
    }
    return Promise.resolve({
      inputs: news,
      failures: undeclared.map((property) => ({
        property,
        reason: `${property} is not an input of ${type} in @pulumi/${this.pkg} ${this.version}`,
      })),
    });
  }

  diff(id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
    const { type, name } = parseUrn(urn);
    const changed = changedInputs(this.record, type, olds, news);
    log({ op: "diff", pkg: this.pkg, type, name, id, changed });
    // Every input of the random provider's resources forces a new resource (a new value).
    const replaces = this.pkg === "random" ? changed : [];
    return Promise.resolve({ changes: changed.length > 0, replaces });
  }

  create(urn: string, inputs: Props): Promise<provider.CreateResult> {
    const { type, name } = parseUrn(urn);
    const id = resourceId(type, name, inputs);
    log({ op: "create", pkg: this.pkg, type, name, id });
    return Promise.resolve({
      id,
      outs: { ...inputs, ...computedOutputs(type, id, this.record, inputs) },
    });
  }

  read(id: string, urn: string, props?: Props): Promise<provider.ReadResult> {
    const { type, name } = parseUrn(urn);
    log({ op: "read", pkg: this.pkg, type, name, id });
    return Promise.resolve({ id, props: props ?? {} });
  }

  update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
    const { type, name } = parseUrn(urn);
    log({ op: "update", pkg: this.pkg, type, name, id });
    return Promise.resolve({
      // What a real provider computed at creation stays: a random id is never drawn again.
      outs: {
        ...news,
        ...(this.pkg === "random"
          ? Object.fromEntries(RANDOM_OUTPUTS.map((key) => [key, olds[key]]))
          : computedOutputs(type, id, this.record, news)),
      },
    });
  }

  delete(id: string, urn: string): Promise<void> {
    const { type, name } = parseUrn(urn);
    log({ op: "delete", pkg: this.pkg, type, name, id });
    return Promise.resolve();
  }

  invoke(token: string, inputs: Props): Promise<provider.InvokeResult> {
    const declared = this.record.functions[token];
    const answer = FUNCTIONS[token];
    log({ op: "invoke", pkg: this.pkg, token });
    if (!declared || !answer) {
      return Promise.resolve({
        failures: [{ property: "", reason: `${this.pkg} stand-in does not answer ${token}` }],
      });
    }
    const undeclared = Object.keys(inputs).filter((key) => !declared.args.includes(key));
    if (undeclared.length > 0) {
      return Promise.resolve({
        failures: undeclared.map((property) => ({
          property,
          reason: `${property} is not an argument of ${token}`,
        })),
      });
    }
    return Promise.resolve({ outputs: answer(inputs) });
  }

  construct(
    name: string,
    type: string,
    inputs: Props,
    options: pulumi.ComponentResourceOptions,
  ): Promise<provider.ConstructResult> {
    const build = COMPONENTS[type];
    const undeclared = undeclaredInputs(this.record, type, inputs);
    log({
      op: "construct",
      pkg: this.pkg,
      type,
      name,
      undeclared,
      providers: Object.keys(options.providers ?? {}),
    });
    if (!build || !this.record.resources[type]?.remote) {
      return Promise.reject(new Error(`${this.pkg} stand-in does not construct ${type}`));
    }
    if (undeclared && undeclared.length > 0) {
      return Promise.reject(
        new Error(
          `${undeclared.join(", ")}: not inputs of ${type} in @pulumi/${this.pkg} ${this.version}`,
        ),
      );
    }
    return Promise.resolve(build(name, inputs, options));
  }
}

if (require.main === module) {
  const [pkg, ...engineArgs] = process.argv.slice(2);
  void provider.main(new StandinProvider(pkg), engineArgs);
  // The engine starts each plugin in a process group of its own; should the engine die without
  // closing it (a killed test), the plugin is handed to init: then it ends too.
  const engine = process.ppid;
  setInterval(() => {
    if (process.ppid !== engine) process.exit(0);
  }, 1000).unref();
}
