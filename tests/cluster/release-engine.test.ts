/**
 * The cache's Helm release installed the way users install it: the program itself (Pulumi.prod.yaml,
 * its cluster `beta` adopted), run by the real Pulumi engine (issue 14's CLI) with the REAL Pulumi
 * Kubernetes provider plugin (`.ci/install-tools pulumi-kubernetes`: provider/v4 at the commit
 * tagged v4.25.0, registered as the @pulumi/kubernetes version in package-lock.json), against a
 * real kube-apiserver 1.34. The aws and eks plugins stay stand-ins: `aws.eks.getCluster` answers
 * with this API server's address and CA, and the kubeconfig's `aws eks get-token` is a stand-in
 * `aws` on PATH that prints a token the API server accepts.
 *
 * PROVES: the real provider installs the release with the program's values and namespace labels
 * (server-side validation and Pod Security admission accept it; Helm records it deployed); it
 * reaches the cluster through the adopted kubeconfig's exec plugin, with the cluster, region and
 * profile the program wrote; a second preview shows no changes; the token is not in the state.
 *
 * CANNOT PROVE: pods running from this install (there is no node here, so the DaemonSet wants
 * none and Helm's wait ends at once; tests/cluster/cache-node.test.ts runs the same chart on a
 * node, its registry pointed at this machine's S3 emulator, which the program's values cannot
 * name), real EKS authentication (aws eks get-token against STS).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { NAMESPACE_LABELS, RELEASE_NAME } from "../../cache/chart-values";
import { stackConfig } from "../../testing/stacks";
import { editedStackFile, engineText, requirePulumiOrSkip } from "../../testing/engine/suite";
import { EngineWorkspace, REAL_KUBERNETES_PLUGIN } from "../../testing/engine/workspace";
import { stopAll, tempDir } from "../integration/support/processes";
import { ControlPlane, requireClusterOrSkip, startControlPlane } from "./support/cluster";

const STACK = stackConfig("prod");
const CLUSTER = STACK.accounts.flatMap((a) => a.clusters).find((c) => c.name === "beta")!;
const CACHE = CLUSTER.cache!;

/** Pulumi.prod.yaml with only beta's cache: the one adopted cluster with a cache. */
const onlyBetaCaches = () =>
  editedStackFile("prod", (config) => {
    const accounts = config["registry-hub:accounts"] as {
      clusters: { name: string; cache?: unknown }[];
    }[];
    for (const cluster of accounts.flatMap((a) => a.clusters)) {
      if (cluster.name !== "beta") delete cluster.cache;
    }
  });

interface HelmSecret {
  metadata: { name: string; labels: Record<string, string> };
}

describe("the cache's release through the engine and the real Kubernetes provider", function () {
  let dir: string;
  let plane: ControlPlane;
  let workspace: EngineWorkspace;
  let execLog: string;
  let token: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    this.timeout(120_000);
    requireClusterOrSkip(this);
    requirePulumiOrSkip(this);
    if (!fs.existsSync(REAL_KUBERNETES_PLUGIN)) {
      const message = `the real Kubernetes provider plugin is not built (${REAL_KUBERNETES_PLUGIN}; bash .ci/install-tools pulumi-kubernetes)`;
      if (process.env.CI === "true") throw new Error(`CI=true and ${message}`);
      process.stderr.write(`\n!! SKIPPING: ${message}\n\n`);
      this.skip();
    }
    dir = tempDir("registry-hub-release-engine");
    plane = await startControlPlane(dir, []);
    token = plane.adminToken;
    // `aws eks get-token ...` as the kubeconfig's exec plugin runs it: records its arguments.
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    execLog = path.join(dir, "aws-exec.log");
    fs.writeFileSync(
      path.join(bin, "aws"),
      `#!/bin/sh\necho "$@" >> '${execLog}'\n` +
        `printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"%s"}}' "$STANDIN_CLUSTER_TOKEN"\n`,
      { mode: 0o755 },
    );
    env = {
      PATH: `${bin}:${process.env.PATH ?? ""}`,
      STANDIN_EKS_ENDPOINT: plane.server,
      STANDIN_EKS_CA_DATA: Buffer.from(plane.ca).toString("base64"),
      STANDIN_CLUSTER_TOKEN: token,
    };
    workspace = EngineWorkspace.create("prod", onlyBetaCaches(), {
      realPlugins: { kubernetes: REAL_KUBERNETES_PLUGIN },
    });
  });

  after(async function () {
    this.timeout(60_000);
    workspace?.dispose();
    await stopAll();
  });

  it("installs the release with the program's values and labels; Helm records it deployed", async function () {
    this.timeout(300_000);
    const up = await workspace.run("up", { env, timeoutMs: 280_000 });
    assert.ok(up.ok, engineText(up));
    // The kubernetes package was the real plugin: the stand-ins were never asked about it.
    assert.deepEqual(
      workspace.calls().filter((c) => c.pkg === "kubernetes"),
      [],
      "no kubernetes call reached a stand-in",
    );

    const namespace = await plane.admin.ok<{ metadata: { labels: Record<string, string> } }>(
      "GET",
      `/api/v1/namespaces/${CACHE.namespace}`,
    );
    for (const [label, value] of Object.entries(NAMESPACE_LABELS)) {
      assert.equal(namespace.metadata.labels[label], value, label);
    }
    const serviceAccount = await plane.admin.ok<{
      metadata: { annotations: Record<string, string> };
    }>("GET", `/api/v1/namespaces/${CACHE.namespace}/serviceaccounts/${CACHE.serviceAccount}`);
    assert.equal(serviceAccount.metadata.annotations["eks.amazonaws.com/role-arn"], CACHE.roleArn);
    const daemonSets = await plane.admin.ok<{
      items: { spec: { template: { spec: { hostNetwork: boolean } } } }[];
    }>("GET", `/apis/apps/v1/namespaces/${CACHE.namespace}/daemonsets`);
    assert.equal(daemonSets.items.length, 1);
    assert.equal(daemonSets.items[0].spec.template.spec.hostNetwork, true);
    const configMaps = await plane.admin.ok<{ items: { data?: Record<string, string> }[] }>(
      "GET",
      `/api/v1/namespaces/${CACHE.namespace}/configmaps`,
    );
    assert.ok(
      configMaps.items.some((c) =>
        Object.values(c.data ?? {}).some((text) => text.includes(`bucket: ${CACHE.bucketName}`)),
      ),
      "the registry's config names the cluster's bucket",
    );
    const helm = await plane.admin.ok<{ items: HelmSecret[] }>(
      "GET",
      `/api/v1/namespaces/${CACHE.namespace}/secrets?labelSelector=owner%3Dhelm`,
    );
    assert.deepEqual(
      helm.items.map((s) => [s.metadata.labels.name, s.metadata.labels.status]),
      [[RELEASE_NAME, "deployed"]],
    );

    const release = up.deployment?.resources?.find(
      (r) => r.type === "kubernetes:helm.sh/v3:Release",
    );
    assert.ok(release, "the release is in the state");
    assert.match(String(release.provider), /::pulumi:providers:kubernetes::beta-k8s::/);
    assert.ok(!JSON.stringify(up.deployment).includes(token), "the cluster token is not in state");
  });

  it("reaches the cluster through the adopted kubeconfig's `aws eks get-token`", () => {
    const calls = fs.readFileSync(execLog, "utf8").trim().split("\n");
    assert.ok(calls.length > 0);
    assert.ok(CLUSTER.kind === "adopted" && CLUSTER.eks, "beta is adopted, with eks settings");
    const eks = CLUSTER.eks;
    for (const call of calls) {
      assert.match(
        call,
        new RegExp(
          `^eks get-token --cluster-name ${eks.clusterName} --region ${CLUSTER.region} --profile \\S+$`,
        ),
      );
    }
  });

  it("a second preview shows no changes", async function () {
    this.timeout(200_000);
    const preview = await workspace.run("preview", { env });
    assert.ok(preview.ok, engineText(preview));
    const changed = Object.entries(preview.summary ?? {}).filter(([op]) => op !== "same");
    assert.deepEqual(changed, [], JSON.stringify(preview.summary));
  });
});
