import { version as awsSdkVersion } from "@pulumi/aws/package.json";
import * as pulumi from "@pulumi/pulumi";

/** A provider SDK's resource class, e.g. `aws.ecr.Repository`. */
export type ResourceClass<Args> = new (
  name: string,
  args: Args,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

/** The inputs given, as the Outputs the registered resource resolves them to. */
export type InputOutputs<Given> = {
  readonly [K in keyof Given]-?: pulumi.Output<pulumi.Unwrap<Given[K]>>;
};

/** The resource, with an Output for each input it was given (and none for anything else). */
export type InputsOnlyResource<Given> = pulumi.CustomResource & InputOutputs<Given>;

class InputsOnly extends pulumi.CustomResource {}

// The SDK version the provider SDK's classes ask the engine for (their resourceOptsDefaults).
const PROVIDER_VERSIONS: Record<string, string> = { aws: awsSdkVersion };

/**
 * Registers a resource as its provider SDK's class would: the class's type token, the name, the
 * inputs, the options and the provider SDK's version, so the engine, the provider, the policy
 * pack and the URN see exactly the same resource. The difference is on this side only: the class
 * hands the SDK every property of its type, inputs and outputs alike (12 for an ECR repository),
 * and the SDK makes an Output of each with four promises, every promise capturing a stack trace
 * that source-map-support then formats. That was most of the program's time and memory at 1,000
 * repositories (docs/benchmarks.md). Here only the inputs given become Outputs.
 *
 * For the resources made once per repository, whose outputs the program does not read. The
 * class still types the inputs.
 */
export function inputsOnly<Args extends object, Given extends Args>(
  cls: ResourceClass<Args>,
  name: string,
  args: Given,
  opts: pulumi.CustomResourceOptions,
): InputsOnlyResource<Given> {
  const type = (cls as unknown as { __pulumiType?: string }).__pulumiType;
  if (!type) throw new Error(`inputsOnly: ${cls.name} has no type token`);
  const version = PROVIDER_VERSIONS[type.split(":")[0]];
  if (!version) throw new Error(`inputsOnly: no known SDK version for ${type}`);
  // An undefined input is not sent either way; leaving it out saves its Output.
  const given: pulumi.Inputs = Object.fromEntries(
    Object.entries(args).filter(([, value]) => value !== undefined),
  );
  return new InputsOnly(type, name, given, { version, ...opts }) as InputsOnlyResource<Given>;
}
