/** One mock runtime for the whole mocha process; each test run collects what it registers. */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../config/schema";
import { registrationsSettled } from "./settle";

export { registrationsSettled };

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  /** The provider reference, `<provider urn>::<id>`. */
  provider?: string;
  /** `<type chain>::<name>`: the URN without stack and project, as the engine builds it. */
  urn: string;
  /** Alias specs the resource was registered with (their names, types and parents). */
  aliases: unknown[];
  /** Inputs whose changes the engine ignores (the ignoreChanges option). */
  ignoreChanges: string[];
}

let registered: Registered[] = [];
let installed = false;
/** The registration being made: the monitor calls newResource synchronously from it. */
let registering: Pick<Registered, "urn" | "aliases" | "ignoreChanges"> = {
  urn: "",
  aliases: [],
  ignoreChanges: [],
};

const outputsByType: Record<
  string,
  (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>
> = {
  "aws:ecr/repository:Repository": ({ inputs }) => ({
    repositoryUrl: `333333333333.dkr.ecr.us-east-1.amazonaws.com/${inputs.name}`,
    registryId: "333333333333",
  }),
  "aws:iam/role:Role": ({ inputs }) => ({ arn: `arn:aws:iam::000000000000:role/${inputs.name}` }),
  "aws:kms/key:Key": ({ name }) => ({ arn: `arn:aws:kms:us-east-1:333333333333:key/${name}` }),
  "aws:s3/bucket:Bucket": ({ inputs }) => ({ bucket: inputs.bucket }),
  "eks:index:Cluster": ({ inputs }) => ({
    kubeconfigJson: JSON.stringify({ cluster: inputs.name }),
    oidcIssuer: `oidc.eks.us-east-1.amazonaws.com/id/CREATED${String(inputs.name).toUpperCase()}`,
  }),
  "random:index/randomPassword:RandomPassword": () => ({ result: "generated-ha-shared-secret" }),
};

export function installMocks(stack = "test"): void {
  if (installed) return;
  installed = true;
  void pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider,
          ...registering,
        });
        return {
          id: `${args.name}-id`,
          state: { ...args.inputs, ...outputsByType[args.type]?.(args) },
        };
      },
      call(args) {
        if (args.token === "aws:eks/getCluster:getCluster") {
          return {
            endpoint: `https://${args.inputs.name}.eks.example`,
            certificateAuthorities: [{ data: "Y2VydA==" }],
          };
        }
        throw new Error(`unexpected invoke ${args.token}`);
      },
    },
    PROJECT,
    stack,
    false,
  );
  recordUrns();
}

interface RegisterRequest {
  getParent(): string;
  getType(): string;
  getName(): string;
  getAliasesList(): Array<{ toObject(): unknown }>;
  getIgnorechangesList(): string[];
}
interface MockMonitor {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(request: RegisterRequest, callback: unknown): Promise<void>;
}

/**
 * The SDK's mock monitor qualifies a type with its parent's last type only; the engine uses the
 * whole chain (parent's qualified type, `$`, type). URNs here follow the engine, so a snapshot
 * of them shows what `pulumi up` would see move.
 */
function recordUrns(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getMonitor } = require("@pulumi/pulumi/runtime/settings") as {
    getMonitor: () => MockMonitor;
  };
  const monitor = getMonitor();
  const qualifiedType = (parent: string, type: string) =>
    parent ? `${parent.split("::")[2]}$${type}` : type;
  const prefix = `urn:pulumi:${pulumi.getStack()}::${PROJECT}::`;
  monitor.newUrn = (parent, type, name) => `${prefix}${qualifiedType(parent, type)}::${name}`;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    registering = {
      urn: `${qualifiedType(request.getParent(), request.getType())}::${request.getName()}`,
      aliases: request.getAliasesList().map((alias) => alias.toObject()),
      ignoreChanges: request.getIgnorechangesList(),
    };
    return register(request, callback);
  };
}

/** Runs `program` and returns every resource it registered, once registrations have settled. */
export async function collect(program: () => unknown): Promise<Registered[]> {
  registered = [];
  program();
  await registrationsSettled(() => registered.length);
  return registered;
}

export function promiseOf<T>(output: pulumi.Output<T>, timeoutMs = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("output never resolved")), timeoutMs);
    output.apply((value) => {
      clearTimeout(timer);
      resolve(value);
      return value;
    });
  });
}
