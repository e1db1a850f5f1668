/**
 * The floor of bench/engine.ts: a program that registers exactly the resources of a recorded
 * deployment (types, names, parents, providers, inputs, protection) with the SDK's base classes,
 * through the same plugins, and computes nothing. The recording is $ENGINE_FLOOR_RECORDING.
 */
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { DeploymentResource } from "../testing/engine/workspace";

class Custom extends pulumi.CustomResource {}
class Provider extends pulumi.ProviderResource {}

const recording = process.env.ENGINE_FLOOR_RECORDING;
if (!recording) throw new Error("engine-floor: ENGINE_FLOOR_RECORDING names no file");
const resources = JSON.parse(readFileSync(recording, "utf8")) as DeploymentResource[];
const byUrn = new Map<string, pulumi.Resource>();
const nameOf = (urn: string) => urn.split("::").slice(3).join("::");

for (const r of resources) {
  if (r.type === "pulumi:pulumi:Stack" || r.type === "pulumi:providers:pulumi") continue;
  const parent = r.parent ? byUrn.get(r.parent) : undefined;
  const name = nameOf(r.urn);
  let created: pulumi.Resource;
  if (r.type.startsWith("pulumi:providers:")) {
    created = new Provider(r.type.split(":")[2], name, r.inputs ?? {}, { parent });
  } else if (!r.custom) {
    created = new pulumi.ComponentResource(r.type, name, {}, { parent });
  } else {
    const provider = r.provider
      ? (byUrn.get(r.provider.split("::").slice(0, -1).join("::")) as pulumi.ProviderResource)
      : undefined;
    created = new Custom(r.type, name, r.inputs ?? {}, {
      parent,
      provider,
      protect: r.protect,
      retainOnDelete: r.retainOnDelete,
    });
  }
  byUrn.set(r.urn, created);
}
