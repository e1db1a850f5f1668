/**
 * The SDK floor of a program: the same resources (type, name, inputs, parent, provider)
 * registered directly with the SDK's base classes, no components' code, no Outputs but the
 * SDK's own. `RegistrationRecorder` records what a program registers under the mock runtime;
 * `replay` registers exactly that again, in a fresh process (bench/floor-case.ts).
 */
import { writeFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";

export interface RecordedRegistration {
  type: string;
  name: string;
  /** false for component resources. */
  custom: boolean;
  /** Index of the parent's registration in the recording, if it has one. */
  parent?: number;
  /** Index of the provider's registration, for custom resources with an explicit provider. */
  provider?: number;
  /** The inputs as the mock monitor received them: resolved plain values. */
  inputs: Record<string, unknown>;
}

interface RegisterRequest {
  getParent(): string;
  getType(): string;
  getName(): string;
}
interface MockMonitor {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(request: RegisterRequest, callback: unknown): Promise<void>;
}

const PROVIDER_PREFIX = "pulumi:providers:";

/** Records every registration; install it after setMocks, call `record` from `newResource`. */
export class RegistrationRecorder {
  readonly registrations: RecordedRegistration[] = [];
  private readonly indexByUrn = new Map<string, number>();
  /** The registration being made: the mock monitor calls newResource synchronously from it. */
  private current: { parent: string; urn: string } = { parent: "", urn: "" };

  install(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getMonitor } = require("@pulumi/pulumi/runtime/settings") as {
      getMonitor: () => MockMonitor;
    };
    const monitor = getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (request, callback) => {
      const parent = request.getParent();
      this.current = {
        parent,
        urn: monitor.newUrn(parent, request.getType(), request.getName()),
      };
      return register(request, callback);
    };
  }

  record(args: pulumi.runtime.MockResourceArgs): void {
    const { parent, urn } = this.current;
    // A provider reference is `<provider urn>::<id>`.
    const providerUrn = args.provider
      ? args.provider.slice(0, args.provider.lastIndexOf("::"))
      : "";
    this.indexByUrn.set(urn, this.registrations.length);
    this.registrations.push({
      type: args.type,
      name: args.name,
      custom: args.custom ?? true,
      parent: parent ? this.indexOf(parent) : undefined,
      provider: providerUrn ? this.indexOf(providerUrn) : undefined,
      inputs: args.inputs as Record<string, unknown>,
    });
  }

  write(file: string): void {
    writeFileSync(file, JSON.stringify(this.registrations));
  }

  private indexOf(urn: string): number {
    const index = this.indexByUrn.get(urn);
    if (index === undefined)
      throw new Error(`registration refers to ${urn}, not registered before`);
    return index;
  }
}

// The SDK's classes are abstract to TypeScript only; these add nothing to them.
class FloorProvider extends pulumi.ProviderResource {}
class FloorCustomResource extends pulumi.CustomResource {}

/** Registers the recorded resources again, in their order, with the SDK's base classes. */
export function replay(registrations: readonly RecordedRegistration[]): pulumi.Resource[] {
  const made: pulumi.Resource[] = [];
  for (const r of registrations) {
    const parent = r.parent === undefined ? undefined : made[r.parent];
    if (r.type.startsWith(PROVIDER_PREFIX)) {
      const pkg = r.type.slice(PROVIDER_PREFIX.length);
      made.push(new FloorProvider(pkg, r.name, r.inputs, { parent }));
    } else if (!r.custom) {
      made.push(new pulumi.ComponentResource(r.type, r.name, {}, { parent }));
    } else {
      const provider =
        r.provider === undefined ? undefined : (made[r.provider] as pulumi.ProviderResource);
      made.push(new FloorCustomResource(r.type, r.name, r.inputs, { parent, provider }));
    }
  }
  return made;
}
