/**
 * Renders charts/registry-cache with the real Helm, as the Helm release does on a cluster, so
 * the tests run the registry on what the nodes would get rather than on the program's object.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, parseAllDocuments } from "yaml";
import { CHART_PATH, RELEASE_NAME } from "../../../cache/chart-values";
import { HELM, runOk } from "./processes";

const ROOT = path.resolve(__dirname, "../../..");

export interface KubernetesObject {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { template: { metadata: { annotations: Record<string, string> }; spec: PodSpec } };
}

export interface Container {
  name: string;
  image: string;
  command: string[];
  env: Array<{ name: string; value: string }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  restartPolicy?: string;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}

export interface Probe {
  httpGet: { host: string; port: number; path: string };
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

export interface PodSpec {
  hostNetwork: boolean;
  terminationGracePeriodSeconds: number;
  containers: Container[];
  initContainers: Container[];
}

export interface RenderedChart {
  objects: KubernetesObject[];
  /** config.yml of the rendered ConfigMap, parsed. */
  registryConfig: Record<string, unknown>;
  /** The other ConfigMap keys: the scripts the pods run. */
  scripts: Record<string, string>;
  pod: PodSpec;
  checksum: string;
}

export async function renderChart(values: object, dir: string): Promise<RenderedChart> {
  const valuesFile = path.join(dir, `values-${Date.now()}-${Math.random()}.json`);
  fs.writeFileSync(valuesFile, JSON.stringify(values));
  const { stdout } = await runOk(
    HELM,
    [
      "template",
      RELEASE_NAME,
      path.join(ROOT, CHART_PATH),
      "-n",
      "registry-cache",
      "-f",
      valuesFile,
    ],
    20_000,
  );
  const objects = parseAllDocuments(stdout)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
  const only = (kind: string) => {
    const found = objects.filter((o) => o.kind === kind);
    assert.equal(found.length, 1, `one ${kind} rendered`);
    return found[0];
  };
  const { "config.yml": configYaml, ...scripts } = only("ConfigMap").data ?? {};
  const template = only("DaemonSet").spec!.template;
  return {
    objects,
    registryConfig: parse(configYaml) as Record<string, unknown>,
    scripts,
    pod: template.spec,
    checksum: template.metadata.annotations["checksum/config"],
  };
}
