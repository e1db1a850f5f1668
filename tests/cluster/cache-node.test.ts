/**
 * The cache on a real Kubernetes node: the chart Helm renders from the program's values,
 * applied to a real kube-apiserver 1.34 (server-side validation, Pod Security admission), its
 * DaemonSet scheduled by the real scheduler and controller, run by a real kubelet on
 * containerd 2.x with EKS AL2023's containerd config (support/node-config.ts), and a Pod's
 * image pulled by the kubelet through the CRI, with the program's hosts.toml.
 *
 * What differs from EKS, and why (every other value is the program's own):
 * - the registry config points at this machine (tests/integration/support/local-config.ts):
 *   S3 is s3rver with static keys (IRSA needs AWS), the upstream is an ECR stand-in;
 * - the images are built here (support/node-images.ts) and named by digest in `cache.images`,
 *   as a team with its own mirror of them would configure; metrics are off (no nginx image);
 * - hosts.toml's `server` is the ECR stand-in (plain HTTP on 127.0.0.1) instead of ECR;
 * - the Pod's ECR credentials come from an imagePullSecret (on EKS, the kubelet's ECR
 *   credential provider gives the same credentials to the same CRI call).
 */
import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import {
  LIVENESS_PROBE,
  NAMESPACE_LABELS,
  TERMINATION_GRACE_SECONDS,
  cacheChartValues,
  hungCacheClosedWithinSeconds,
} from "../../cache/chart-values";
import { mirrorHostsToml } from "../../cache/containerd";
import { cacheRegistryConfig } from "../../cache/registry-config";
import { CREDENTIAL_HELPER_PATH, TOKEN_FILE } from "../../cache/token-refresh";
import { stackConfig } from "../../testing/stacks";
import { renderChart } from "../integration/support/chart";
import { pointAtThisMachine } from "../integration/support/local-config";
import { writeHostsDir } from "../integration/support/containerd";
import { freePort, note, stopAll, tempDir, waitFor } from "../integration/support/processes";
import {
  BasicAuthGate,
  httpRequest,
  startBasicAuthGate,
  startRegistry,
  upstreamConfig,
} from "../integration/support/registries";
import { S3Emulator, startS3 } from "../integration/support/s3";
import {
  ContainerStatus,
  ControlPlane,
  KubeNode,
  KubeObject,
  NODE_NAME,
  Pod,
  getPod,
  listPods,
  cniConfDir,
  nodeDir,
  requireClusterOrSkip,
  startControlPlane,
  startNode,
} from "./support/cluster";
import { localNodeConfig } from "./support/node-config";
import {
  CACHE_IMAGE,
  NodeImage,
  PAUSE,
  WAIT_FOREVER,
  buildNodeImages,
  refresherImage,
} from "./support/node-images";

const STACK = stackConfig("prod");
const CLUSTER = STACK.accounts.flatMap((a) => a.clusters).find((c) => c.name === "beta")!;
const CACHE = CLUSTER.cache!;
const REGISTRY_HOST = STACK.registry.host;
const NAMESPACE = CACHE.namespace;
const TOKEN = "token-of-the-ecr-standin";
const ROOT_ID = "1f0e2d3c4b5a6978";
const BENCH_ROUNDS = 3;
const BENCH_LAYER_BYTES = 50 * 1024 * 1024;
const BENCH_IMAGES = Array.from({ length: BENCH_ROUNDS }, (_, i) => [
  `big-hit-${i}`,
  `big-direct-${i}`,
]).flat();

describe("the cache on a real node: kube-apiserver, kubelet and containerd 2.x", function () {
  let dir: string;
  let plane: ControlPlane;
  let node: KubeNode;
  let s3: S3Emulator;
  let images: Record<string, NodeImage>;
  /** The ECR stand-in as the cache reaches it (with the refresher's token)... */
  let ecrForCache: BasicAuthGate;
  /** ...and as the node reaches it (hosts.toml's server, the Pod's pull secret). */
  let ecrForNode: BasicAuthGate;
  let objects: KubeObject[];
  let containerdState: string;
  let hostsDirs: [string, string];
  let anyFailed = false;

  before(async function () {
    this.timeout(300_000);
    requireClusterOrSkip(this);
    dir = tempDir("registry-hub-cluster");

    // Images: the node's own, from a local registry; the workloads', in the ECR stand-in.
    const plainRegistry = async (name: string) => {
      const port = await freePort();
      await startRegistry(name, upstreamConfig(port, path.join(dir, `${name}-store`)), port, dir, {
        binary: "2.8",
      });
      return port;
    };
    const nodeImagesPort = await plainRegistry("node-images");
    const upstreamPort = await plainRegistry("upstream");
    images = await buildNodeImages(path.join(dir, "build-node"), `127.0.0.1:${nodeImagesPort}`, [
      PAUSE,
      CACHE_IMAGE,
      refresherImage(TOKEN),
    ]);
    const app = (name: string) => ({
      name: `team/${name}:v1`,
      entrypoint: WAIT_FOREVER.slice(0, 1),
      cmd: WAIT_FOREVER.slice(1),
      files: { [`etc/${name}`]: { content: `${name}\n` } },
    });
    await buildNodeImages(path.join(dir, "build-apps"), `127.0.0.1:${upstreamPort}`, [
      app("app"),
      app("after-hang"),
      // The benchmark's: one 50 MB incompressible layer each, one image per pull, so that no
      // pull finds its layer on the node already.
      ...BENCH_IMAGES.map((name) => ({
        ...app(name),
        files: { [`etc/${name}`]: { content: crypto.randomBytes(BENCH_LAYER_BYTES) } },
      })),
    ]);
    ecrForCache = await startBasicAuthGate(upstreamPort, TOKEN);
    ecrForNode = await startBasicAuthGate(upstreamPort, TOKEN);
    s3 = await startS3(CACHE.bucketName);

    // The release: the program's values, pointed at this machine.
    const registryConfig = pointAtThisMachine(
      cacheRegistryConfig({
        region: CLUSTER.region,
        bucket: CACHE.bucketName,
        upstreamHost: REGISTRY_HOST,
        port: CACHE.port,
        rootId: ROOT_ID,
        metrics: false,
      }),
      {
        s3Endpoint: s3.endpoint,
        accessKey: s3.accessKey,
        secretKey: s3.secretKey,
        upstreamUrl: `http://127.0.0.1:${ecrForCache.port}`,
        addr: `127.0.0.1:${CACHE.port}`,
        // The pod mounts the helper from its ConfigMap at the program's path.
        credentialHelper: CREDENTIAL_HELPER_PATH,
      },
    );
    const values = cacheChartValues({
      cache: {
        ...CACHE,
        images: {
          ...CACHE.images,
          registry: images[CACHE_IMAGE.name].pinned,
          tokenRefresher: images[refresherImage(TOKEN).name].pinned,
        },
        metrics: { ...CACHE.metrics, enabled: false },
      },
      registryConfig: registryConfig as unknown as ReturnType<typeof cacheRegistryConfig>,
      registryRegion: STACK.registry.region,
    });
    const rendered = await renderChart(values, dir);
    objects = rendered.objects.map((o) => ({
      ...(o as unknown as KubeObject),
      metadata: { ...o.metadata, namespace: NAMESPACE },
    }));

    // The node: EKS's containerd config, its two hosts dirs under the test dir.
    hostsDirs = [path.join(dir, "certs.d"), path.join(dir, "docker-certs.d")];
    writeHostsDir(hostsDirs[0], `127.0.0.1:${nodeImagesPort}`, plainHttpHosts(nodeImagesPort));
    writeRegistryHosts("cache");
    const config = localNodeConfig({
      dir: nodeDir(dir),
      sandboxImage: images[PAUSE.name].tag,
      hostsDirs,
      cniConfDir: cniConfDir(dir),
    });
    containerdState = config.state;
    plane = await startControlPlane(dir);
    node = await startNode(dir, plane, {
      containerdConfig: config.toml,
      containerdSocket: config.socket,
      containerdState: config.state,
    });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") anyFailed = true;
  });

  after(async function () {
    this.timeout(60_000);
    if (anyFailed && node) {
      for (const daemon of [node.kubelet, node.containerd]) {
        process.stderr.write(`--- ${daemon.name} (tail) ---\n${daemon.logTail(40)}\n`);
      }
      for (const pod of plane ? await listPods(plane.admin, NAMESPACE).catch(() => []) : []) {
        process.stderr.write(`--- ${pod.metadata.name} ---\n${JSON.stringify(pod.status)}\n`);
        process.stderr.write(`${node.containerLog(pod, "registry").slice(-4000)}\n`);
      }
    }
    await stopAll();
  });

  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const cachePods = () => listPods(plane.admin, NAMESPACE, "app.kubernetes.io/name=registry-cache");

  async function runningCachePod(timeoutMs = 120_000): Promise<Pod> {
    return waitFor(
      "the cache's pod Ready",
      async () => {
        const [pod] = await cachePods();
        return pod?.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")
          ? pod
          : undefined;
      },
      timeoutMs,
      500,
    );
  }

  /** A Pod running `image` on the host network, its ECR credentials in a pull secret. */
  async function startWorkload(name: string, image: string): Promise<number> {
    const started = Date.now();
    await plane.admin.ok("POST", "/api/v1/namespaces/default/pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: {
        hostNetwork: true,
        automountServiceAccountToken: false,
        imagePullSecrets: [{ name: "ecr" }],
        containers: [{ name: "app", image, imagePullPolicy: "Always" }],
      },
    });
    await waitFor(
      `pod ${name} running`,
      async () => (await getPod(plane.admin, "default", name)).status.phase === "Running",
      120_000,
      250,
    );
    return Date.now() - started;
  }

  describe("installing the release", () => {
    it("server-side validation and Pod Security admission accept it in the program's namespace", async function () {
      this.timeout(60_000);
      const namespace = await plane.admin.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: NAMESPACE, labels: { ...NAMESPACE_LABELS } },
      });
      assert.ok(namespace.status < 300, JSON.stringify(namespace.body));
      await plane.admin.apply({
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "ecr", namespace: "default" },
        type: "kubernetes.io/dockerconfigjson",
        data: {
          ".dockerconfigjson": Buffer.from(
            JSON.stringify({
              auths: {
                [REGISTRY_HOST]: {
                  auth: Buffer.from(`AWS:${TOKEN}`).toString("base64"),
                },
              },
            }),
          ).toString("base64"),
        },
      });
      const kinds = objects.map((o) => o.kind).sort();
      assert.deepEqual(kinds, ["ConfigMap", "DaemonSet", "ServiceAccount"]);
      for (const object of objects) {
        const res = await plane.admin.apply(object);
        assert.ok(res.status < 300, `${object.kind}: ${res.status} ${JSON.stringify(res.body)}`);
        assert.deepEqual(res.warnings, [], `${object.kind}: no admission warnings`);
      }
    });

    it("a baseline namespace refuses the cache's pods (host network, host port)", async function () {
      this.timeout(60_000);
      await plane.admin.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: "baseline",
          labels: { "pod-security.kubernetes.io/enforce": "baseline" },
        },
      });
      // The ServiceAccount admission plugin runs before Pod Security: give it the account.
      const [account] = of("ServiceAccount");
      await plane.admin.apply({
        ...account,
        metadata: { ...account.metadata, namespace: "baseline" },
      });
      const [daemonSet] = of("DaemonSet");
      const template = (daemonSet.spec as { template: { spec: object } }).template;
      const pod = await plane.admin.request("POST", "/api/v1/namespaces/baseline/pods?dryRun=All", {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "cache-in-baseline" },
        spec: template.spec,
      });
      assert.equal(pod.status, 403, JSON.stringify(pod.body));
      assert.match(String(pod.body.message), /violates PodSecurity "baseline:latest"/);
      assert.match(String(pod.body.message), /host namespaces \(hostNetwork=true\)/);
      // The DaemonSet itself is admitted with a warning: it is its pods that are refused.
      const ds = await plane.admin.request(
        "POST",
        "/apis/apps/v1/namespaces/baseline/daemonsets?dryRun=All",
        { ...daemonSet, metadata: { name: daemonSet.metadata.name } },
      );
      assert.equal(ds.status, 201, JSON.stringify(ds.body));
      assert.ok(
        ds.warnings.some((w) => /would violate PodSecurity "baseline:latest"/.test(w)),
        ds.warnings.join("\n"),
      );
    });
  });

  describe("the DaemonSet on the node", () => {
    it("runs one pod on the node, on the host network, its ServiceAccount annotated for IRSA", async function () {
      this.timeout(180_000);
      const pod = await runningCachePod(150_000);
      assert.equal(pod.spec.nodeName, NODE_NAME);
      assert.equal(pod.spec.hostNetwork, true);
      assert.equal(pod.status.podIP, pod.status.hostIP, "a host-network pod has the node's IP");
      const sa = await plane.admin.ok<{ metadata: { annotations?: Record<string, string> } }>(
        "GET",
        `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/${pod.spec.serviceAccountName}`,
      );
      assert.equal(sa.metadata.annotations?.["eks.amazonaws.com/role-arn"], CACHE.roleArn);
    });

    it("starts the token refresher (a native sidecar) first, and the registry once it has a token", async function () {
      this.timeout(60_000);
      const pod = await runningCachePod();
      const [sidecar] = pod.status.initContainerStatuses ?? [];
      const registry = pod.status.containerStatuses?.find((c) => c.name === "registry");
      assert.equal(sidecar?.name, "ecr-token-refresher");
      assert.equal(sidecar.started, true);
      assert.ok(sidecar.state.running, "the sidecar keeps running beside the registry");
      assert.ok(registry?.state.running, "the registry runs");
      const sidecarStarted = Date.parse(sidecar.state.running.startedAt);
      const registryStarted = Date.parse(registry.state.running.startedAt);
      assert.ok(sidecarStarted <= registryStarted, `${sidecarStarted} <= ${registryStarted}`);
      // The sidecar's startup probe (`test -s` on the token) gates the registry: its log shows
      // the token written before the registry started, and no token is ever logged.
      const refresherLog = node.containerLog(pod, "ecr-token-refresher");
      assert.match(refresherLog, /ECR token refreshed/);
      assert.ok(!refresherLog.includes(TOKEN), "the refresher never logs the token");
      assert.ok(!node.containerLog(pod, "registry").includes(TOKEN), "nor does the registry");
      assert.ok(
        TOKEN_FILE.startsWith("/var/run/"),
        "the token lives in the memory-backed emptyDir",
      );
    });
  });

  describe("a Pod's image, pulled by the kubelet through the CRI", () => {
    it("comes from the cache: the node asks the ECR stand-in only to resolve the tag", async function () {
      this.timeout(180_000);
      const cachePod = await runningCachePod();
      const before = ecrForNode.requests.length;
      await startWorkload("app", `${REGISTRY_HOST}/team/app:v1`);
      const nodeAsked = ecrForNode.requests.slice(before).map((r) => `${r.method} ${r.path}`);
      assert.ok(
        // containerd names the registry it means in `?ns=` when it asks a hosts.toml host.
        nodeAsked.some((r) => /\/v2\/team\/app\/manifests\/v1(\?|$)/.test(r)),
        `the node resolved the tag at ECR: ${nodeAsked.join(", ")}`,
      );
      assert.deepEqual(
        nodeAsked.filter((r) => /\/blobs\//.test(r)),
        [],
        "no blob came from ECR to the node",
      );
      const cacheLog = node.containerLog(cachePod, "registry");
      assert.match(cacheLog, /"http.request.uri":"\/v2\/team\/app\/blobs\/sha256:[0-9a-f]{64}[?"]/);
      assert.ok(
        ecrForCache.requests.some((r) => /\/v2\/team\/app\/blobs\//.test(r.path) && r.authorized),
        "the cache fetched the blobs from ECR with the refresher's token",
      );
    });

    it("a 50 MB image: a hit through the cache against straight from ECR, alternating (docs/benchmarks.md)", async function () {
      this.timeout(300_000);
      await runningCachePod();
      const cacheUrl = `http://127.0.0.1:${CACHE.port}`;
      // Misses first, each through the cache itself, until its blobs are stored in S3.
      for (let i = 0; i < BENCH_ROUNDS; i++) await primeCache(cacheUrl, `team/big-hit-${i}`);
      const hits: number[] = [];
      const direct: number[] = [];
      for (let i = 0; i < BENCH_ROUNDS; i++) {
        for (const via of ["cache", "direct"] as const) {
          const repository = via === "cache" ? `team/big-hit-${i}` : `team/big-direct-${i}`;
          writeRegistryHosts(via);
          const [nodeBefore, cacheBefore, s3Before] = [
            ecrForNode.requests.length,
            ecrForCache.requests.length,
            s3.requests.length,
          ];
          const pod = `bench-${via}-${i}`;
          await startWorkload(pod, `${REGISTRY_HOST}/${repository}:v1`);
          const pulledMs = await kubeletPullMs(pod);
          const nodeBlobs = ecrForNode.requests
            .slice(nodeBefore)
            .filter((r) => r.path.startsWith(`/v2/${repository}/blobs/`) && r.status === 200);
          const cacheBlobs = ecrForCache.requests
            .slice(cacheBefore)
            .filter((r) => r.path.startsWith(`/v2/${repository}/blobs/`));
          const fromS3 = s3.requests
            .slice(s3Before)
            .filter((r) => r.auth === "presigned" && r.responseBytes >= BENCH_LAYER_BYTES);
          if (via === "cache") {
            assert.deepEqual([nodeBlobs, cacheBlobs], [[], []], `a hit takes no blob from ECR`);
            assert.equal(fromS3.length, 1, "the layer came from S3 on a presigned URL");
            hits.push(pulledMs);
          } else {
            assert.equal(nodeBlobs.length, 2, "config and layer straight from ECR");
            assert.equal(fromS3.length, 0);
            direct.push(pulledMs);
          }
        }
      }
      writeRegistryHosts("cache");
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
      note(
        `kubelet pull of a 50 MB image, median of ${BENCH_ROUNDS}: hit ${median(hits)} ms via the cache (${hits.join(", ")}), ` +
          `${median(direct)} ms straight from ECR (${direct.join(", ")}); ratio ${(median(hits) / median(direct)).toFixed(2)}`,
      );
      assert.equal(hits.length + direct.length, 2 * BENCH_ROUNDS);
    });

    it("a hung cache is killed by the liveness probe within the documented bound; the pull then completes from ECR", async function () {
      this.timeout(180_000);
      const cachePod = await runningCachePod();
      const registry = cachePod.status.containerStatuses!.find((c) => c.name === "registry")!;
      const pid = containerPid(registry);
      const restartsBefore = registry.restartCount;
      process.kill(pid, "SIGSTOP");
      const hungAt = Date.now();
      try {
        const pullMs = await startWorkload("after-hang", `${REGISTRY_HOST}/team/after-hang:v1`);
        const restarted = await waitFor(
          "the kubelet to restart the hung registry",
          async () => {
            const pod = (await cachePods())[0];
            const status = pod?.status.containerStatuses?.find((c) => c.name === "registry");
            return status && status.restartCount > restartsBefore ? status : undefined;
          },
          60_000,
          250,
        );
        const killedAt = Date.parse(restarted.lastState.terminated!.finishedAt);
        const hungForSeconds = (killedAt - hungAt) / 1000;
        const bound = hungCacheClosedWithinSeconds();
        note(
          `killed ${hungForSeconds} s after the hang (bound ${bound} s); the Pod ran after ${pullMs} ms`,
        );
        // finishedAt has a resolution of one second.
        assert.ok(
          hungForSeconds <= bound + 1,
          `killed after ${hungForSeconds} s, bound ${bound} s`,
        );
        assert.ok(
          hungForSeconds >= LIVENESS_PROBE.periodSeconds * (LIVENESS_PROBE.failureThreshold - 1),
          `killed by the probe, not at once: ${hungForSeconds} s`,
        );
        assert.ok(
          pullMs / 1000 <= bound + TERMINATION_GRACE_SECONDS + 10,
          `the Pod ran ${pullMs} ms after the hang began`,
        );
        assert.ok(
          ecrForNode.requests.some((r) => /\/v2\/team\/after-hang\/blobs\//.test(r.path)),
          "the blobs came from ECR once the cache's port closed",
        );
      } finally {
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // killed by the kubelet, as it should be
        }
      }
      await runningCachePod();
    });
  });

  /** The node's hosts.toml for the registry: the program's (through the cache), or ECR only. */
  function writeRegistryHosts(via: "cache" | "direct"): void {
    const ecr = `http://127.0.0.1:${ecrForNode.port}`;
    writeHostsDir(
      hostsDirs[0],
      REGISTRY_HOST,
      via === "cache"
        ? mirrorHostsToml(REGISTRY_HOST, CACHE.port).replace(
            `server = "https://${REGISTRY_HOST}"`,
            `server = "${ecr}"`,
          )
        : `server = "${ecr}"\n`,
    );
  }

  /** The pull time the kubelet reports in the Pod's `Pulled` event ("... in 1.234s (...)"). */
  async function kubeletPullMs(pod: string): Promise<number> {
    const message = await waitFor(
      `the Pulled event of ${pod}`,
      async () => {
        const events = await plane.admin.ok<{ items: { reason: string; message: string }[] }>(
          "GET",
          `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D${pod}`,
        );
        return events.items.find((e) => e.reason === "Pulled")?.message;
      },
      30_000,
      250,
    );
    const took = /Successfully pulled image "[^"]+" in ([0-9.]+)(ms|s) /.exec(message);
    assert.ok(took, `the kubelet's Pulled event: ${message}`);
    return Math.round(Number(took[1]) * (took[2] === "s" ? 1000 : 1));
  }

  /** Pulls `repository`:v1 through the cache's port until the cache answers its layer from S3. */
  async function primeCache(cacheUrl: string, repository: string): Promise<void> {
    const auth = { Authorization: `Basic ${Buffer.from(`AWS:${TOKEN}`).toString("base64")}` };
    const manifest = await httpRequest(`${cacheUrl}/v2/${repository}/manifests/v1`, {
      headers: { ...auth, Accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    assert.equal(manifest.status, 200, `${repository}'s manifest through the cache`);
    const { config, layers } = JSON.parse(manifest.body.toString()) as {
      config: { digest: string };
      layers: { digest: string }[];
    };
    for (const { digest } of [config, ...layers]) {
      const blob = `${cacheUrl}/v2/${repository}/blobs/${digest}`;
      await httpRequest(blob, { headers: auth, timeoutMs: 60_000 });
      await waitFor(
        `${repository}'s ${digest} stored by the cache`,
        async () => (await httpRequest(blob, { headers: auth })).status === 307,
        30_000,
        200,
      );
    }
  }

  function containerPid(status: ContainerStatus): number {
    const id = String(status.containerID).replace("containerd://", "");
    const file = path.join(
      containerdState,
      "io.containerd.runtime.v2.task",
      "k8s.io",
      id,
      "init.pid",
    );
    return Number(fs.readFileSync(file, "utf8").trim());
  }
});

function plainHttpHosts(port: number): string {
  return `server = "http://127.0.0.1:${port}"\n\n[host."http://127.0.0.1:${port}"]\n  capabilities = ["pull", "resolve"]\n`;
}
