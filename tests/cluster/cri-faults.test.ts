/**
 * docs/cache.md's fault table, rerun through the CRI: a real kubelet pulls each Pod's image
 * through containerd's CRI, with the program's hosts.toml in EKS's hosts dirs, while the
 * cache's port holds a sick cache (support/fault-servers.ts). Three nodes, one after another:
 *
 * - containerd 2.2.10 on EKS AL2023's config as it ships (`discard_unpacked_layers = true`,
 *   which forces the CRI's local pull; `config_path` with EKS's two colon-separated dirs);
 * - containerd 2.2.10 with `discard_unpacked_layers = false`, the CRI's transfer-service pull,
 *   whose `config_path` must then be one dir (containerd #12415): what the colon-separated
 *   path does there is a test of its own;
 * - Debian's containerd 1.6.20 on EKS AL2's config (version 2, the same two dirs).
 *
 * PROVES, per node: a Pod straight from the ECR stand-in (no cache), then one per fault
 * (stopped, HTTP 500, HTTP 404, garbage, hung until the liveness kill closes the port): each
 * Pod runs, its image's blobs came from the upstream with the Pod's ECR credentials, within a
 * second and a half of the direct pull for an answering fault, and within the liveness bound
 * + 5 s for the hung one. REGISTRY_IT_VERBOSE=1 prints the table.
 *
 * CANNOT PROVE: TLS to the real ECR, the kubelet's ECR credential provider (a pull secret gives
 * the CRI the same credentials), a cache that hangs forever (the liveness kill is the bound
 * the chart sets; containerd 1.6 waits forever, see tests/integration/containerd-faults.test.ts).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { hungCacheClosedWithinSeconds } from "../../cache/chart-values";
import { mirrorHostsToml } from "../../cache/containerd";
import { writeHostsDir } from "../integration/support/containerd";
import { FaultKind, startFaultServer } from "../integration/support/fault-servers";
import { freePort, note, stopAll, tempDir, waitFor } from "../integration/support/processes";
import {
  BasicAuthGate,
  GateRequest,
  startBasicAuthGate,
  startRegistry,
  upstreamConfig,
} from "../integration/support/registries";
import {
  ControlPlane,
  KubeNode,
  cniConfDir,
  getPod,
  nodeDir,
  requireClusterOrSkip,
  startControlPlane,
  startNode,
} from "./support/cluster";
import { NodeConfigTargets, localNodeConfig } from "./support/node-config";
import { NodeImage, PAUSE, WAIT_FOREVER, buildNodeImages } from "./support/node-images";

const REGISTRY_HOST = "333333333333.dkr.ecr.us-east-1.amazonaws.com";
const TOKEN = "token-of-the-ecr-standin";
const CACHE_PORT_BOUND_SECONDS = hungCacheClosedWithinSeconds();
/** An answering fault may cost a Pod at most this much more than the direct pull. */
const FAST_FALLBACK_MS = 1500;
const DEBIAN_CONTAINERD = "/usr/bin/containerd";

interface NodeVariant {
  /** The node's name (also its dir). */
  name: string;
  title: string;
  containerd?: string;
  config: Pick<NodeConfigTargets, "fixture" | "discardUnpackedLayers">;
  /** The transfer service reads config_path as one dir: give it only the first. */
  singleHostsDir?: boolean;
}

const VARIANTS: NodeVariant[] = [
  {
    name: "ctd2-local",
    title: "containerd 2.2.10, EKS AL2023's config as it ships (the CRI's local pull)",
    config: { fixture: "al2023" },
  },
  {
    name: "ctd2-transfer",
    title: "containerd 2.2.10, discard_unpacked_layers = false (the transfer service)",
    config: { fixture: "al2023", discardUnpackedLayers: false },
    singleHostsDir: true,
  },
  {
    name: "ctd16",
    title: "Debian's containerd 1.6.20, EKS AL2's config",
    containerd: DEBIAN_CONTAINERD,
    config: { fixture: "al2" },
  },
];

const TRANSFER_ON_EKS_DIRS: NodeVariant = {
  name: "ctd2-transfer-eks-dirs",
  title: "containerd 2.2.10's transfer service on EKS's two colon-separated hosts dirs",
  config: { fixture: "al2023", discardUnpackedLayers: false },
};

const FAULTS: FaultKind[] = ["stopped", "http500", "http404", "garbage", "silentThenClose"];

interface Row {
  node: string;
  fault: string;
  ms: number;
}

describe("the fault table through the CRI: a kubelet pulls past a sick cache", function () {
  let dir: string;
  let plane: ControlPlane;
  let gate: BasicAuthGate;
  let pause: NodeImage;
  let nodeImagesPort: number;
  let podCount = 0;
  const rows: Row[] = [];
  /**
   * Every workload image, one per Pod, so that no pull finds its layer on the node already: a
   * warm-up Pod (whose sandbox pulls the pause image), the direct baseline, one per fault.
   */
  const IMAGES_PER_NODE = 2 + FAULTS.length;
  /** And one for the transfer service on EKS's two hosts dirs. */
  const IMAGE_COUNT = IMAGES_PER_NODE * VARIANTS.length + 1;

  before(async function () {
    this.timeout(300_000);
    requireClusterOrSkip(this);
    if (!fs.existsSync(DEBIAN_CONTAINERD)) {
      const message = `the CRI fault table needs Debian's containerd 1.6 at ${DEBIAN_CONTAINERD}`;
      if (process.env.CI === "true") throw new Error(`CI=true and ${message}`);
      process.stderr.write(`\n!! SKIPPING: ${message} (apt-get install containerd)\n\n`);
      this.skip();
    }
    dir = tempDir("registry-hub-cri-faults");
    const registry = async (name: string) => {
      const port = await freePort();
      await startRegistry(name, upstreamConfig(port, path.join(dir, `${name}-store`)), port, dir, {
        binary: "2.8",
      });
      return port;
    };
    nodeImagesPort = await registry("node-images");
    const upstreamPort = await registry("upstream");
    pause = (
      await buildNodeImages(path.join(dir, "pause"), `127.0.0.1:${nodeImagesPort}`, [PAUSE])
    )[PAUSE.name];
    await buildNodeImages(
      path.join(dir, "apps"),
      `127.0.0.1:${upstreamPort}`,
      Array.from({ length: IMAGE_COUNT }, (_, i) => ({
        name: `team/app-${i}:v1`,
        entrypoint: WAIT_FOREVER.slice(0, 1),
        cmd: WAIT_FOREVER.slice(1),
        files: { "etc/app": { content: `app ${i}\n` } },
      })),
    );
    gate = await startBasicAuthGate(upstreamPort, TOKEN, { realmHost: REGISTRY_HOST });
    plane = await startControlPlane(
      dir,
      [...VARIANTS, TRANSFER_ON_EKS_DIRS].map((v) => v.name),
    );
    await plane.admin.ok("POST", "/api/v1/namespaces/default/secrets", {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "ecr" },
      type: "kubernetes.io/dockerconfigjson",
      data: {
        ".dockerconfigjson": Buffer.from(
          JSON.stringify({
            auths: { [REGISTRY_HOST]: { auth: Buffer.from(`AWS:${TOKEN}`).toString("base64") } },
          }),
        ).toString("base64"),
      },
    });
  });

  /** A node of `variant`, the node images' registry named in its first hosts dir. */
  async function startVariantNode(variant: NodeVariant, hostsDirs: [string, string]) {
    const own = nodeDir(dir, variant.name);
    for (const hostsDir of hostsDirs) fs.mkdirSync(hostsDir, { recursive: true });
    const nodeImages = `127.0.0.1:${nodeImagesPort}`;
    writeHostsDir(hostsDirs[0], nodeImages, plainHttpHosts(`http://${nodeImages}`));
    const config = localNodeConfig({
      dir: own,
      sandboxImage: pause.tag,
      hostsDirs: variant.singleHostsDir ? [hostsDirs[0]] : hostsDirs,
      cniConfDir: cniConfDir(dir, variant.name),
      ...variant.config,
    });
    return startNode(dir, plane, {
      name: variant.name,
      containerdConfig: config.toml,
      containerdSocket: config.socket,
      containerdState: config.state,
      containerd: variant.containerd,
    });
  }

  /** A Pod of `image` on `nodeName`, its ECR credentials in the pull secret. */
  async function createPod(nodeName: string, image: string): Promise<string> {
    const name = `pod-${podCount++}`;
    await plane.admin.ok("POST", "/api/v1/namespaces/default/pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: {
        nodeName,
        hostNetwork: true,
        automountServiceAccountToken: false,
        imagePullSecrets: [{ name: "ecr" }],
        containers: [{ name: "app", image }],
      },
    });
    return name;
  }

  after(async function () {
    this.timeout(60_000);
    if (rows.length > 0) {
      note("node | fault | Pod running after (ms)");
      for (const row of rows) note(`${row.node} | ${row.fault} | ${row.ms}`);
    }
    await stopAll();
  });

  for (const variant of VARIANTS) {
    describe(variant.title, () => {
      let node: KubeNode;
      let hostsDirs: [string, string];
      let directMs = 0;
      let imageIndex = VARIANTS.indexOf(variant) * IMAGES_PER_NODE;

      before(async function () {
        this.timeout(120_000);
        const own = nodeDir(dir, variant.name);
        hostsDirs = [path.join(own, "certs.d"), path.join(own, "docker-certs.d")];
        node = await startVariantNode(variant, hostsDirs);
        // The first Pod of a node also pulls the pause image: not a cost of any fault.
        await runPod(plainHttpHosts(gate.url));
      });

      after(async function () {
        this.timeout(60_000);
        await node?.stop();
      });

      /** Starts a Pod of the next image on this node; resolves with ms to Running and ECR's requests. */
      async function runPod(cacheHosts: string) {
        writeHostsDir(hostsDirs[0], REGISTRY_HOST, cacheHosts);
        const image = `${REGISTRY_HOST}/team/app-${imageIndex++}:v1`;
        const before = gate.requests.length;
        const started = Date.now();
        const name = await createPod(variant.name, image);
        await waitFor(
          `pod ${name} (${image}) running`,
          async () => (await getPod(plane.admin, "default", name)).status.phase === "Running",
          90_000,
          100,
        );
        return { ms: Date.now() - started, requests: gate.requests.slice(before), image };
      }

      function assertFromUpstream(requests: GateRequest[], image: string): void {
        const repository = image.slice(REGISTRY_HOST.length + 1, image.lastIndexOf(":"));
        const blobs = requests.filter(
          (r) => r.path.startsWith(`/v2/${repository}/blobs/`) && r.status === 200,
        );
        // The config and the one layer, with the Pod's credentials.
        assert.equal(
          blobs.length,
          2,
          `blobs of ${repository} from ECR: ${JSON.stringify(requests)}`,
        );
        assert.ok(blobs.every((r) => r.authorized));
      }

      it("a Pod straight from the ECR stand-in (no cache): the baseline", async function () {
        this.timeout(120_000);
        const { ms, requests, image } = await runPod(plainHttpHosts(gate.url));
        assertFromUpstream(requests, image);
        directMs = ms;
        rows.push({ node: variant.name, fault: "no cache (direct)", ms });
      });

      for (const fault of FAULTS) {
        it(`cache ${fault}: the Pod runs with its image from ECR`, async function () {
          this.timeout(120_000);
          const server = await startFaultServer(fault, {
            silentThenCloseAfterSeconds: CACHE_PORT_BOUND_SECONDS,
          });
          try {
            const { ms, requests, image } = await runPod(localHostsToml(server.port, gate.url));
            assertFromUpstream(requests, image);
            rows.push({ node: variant.name, fault, ms });
            if (fault === "silentThenClose") {
              assert.ok(ms <= (CACHE_PORT_BOUND_SECONDS + 5) * 1000, `${ms} ms`);
            } else {
              assert.ok(
                ms <= directMs + FAST_FALLBACK_MS,
                `${ms} ms against ${directMs} ms direct`,
              );
            }
            if (fault !== "stopped")
              assert.ok(server.connections() > 0, "the node tried the cache");
          } finally {
            await server.stop();
          }
        });
      }
    });
  }

  describe("containerd 2.2.10's transfer service on EKS's two colon-separated hosts dirs", () => {
    const variant = TRANSFER_ON_EKS_DIRS;
    let node: KubeNode;

    after(async function () {
      this.timeout(60_000);
      await node?.stop();
    });

    it("ignores the program's hosts.toml: the Pod's pull goes to the registry's own host", async function () {
      this.timeout(180_000);
      const own = nodeDir(dir, variant.name);
      const hostsDirs: [string, string] = [
        path.join(own, "certs.d"),
        path.join(own, "docker-certs.d"),
      ];
      node = await startVariantNode(variant, hostsDirs);
      writeHostsDir(hostsDirs[0], REGISTRY_HOST, plainHttpHosts(gate.url));
      const before = gate.requests.length;
      const name = await createPod(variant.name, `${REGISTRY_HOST}/team/app-${IMAGE_COUNT - 1}:v1`);
      const waiting = await waitFor(
        `pod ${name} to fail its pull`,
        async () => {
          const status = (await getPod(plane.admin, "default", name)).status.containerStatuses?.[0];
          const reason = status?.state.waiting?.reason;
          return reason === "ErrImagePull" || reason === "ImagePullBackOff" ? status : undefined;
        },
        120_000,
        250,
      );
      note(`transfer service, EKS's dirs: ${waiting.state.waiting?.message}`);
      assert.match(
        String(waiting.state.waiting?.message),
        new RegExp(`https://${REGISTRY_HOST}/v2/`),
      );
      assert.equal(gate.requests.length, before, "the hosts.toml's server was never asked");
    });
  });
});

/** The program's hosts.toml with only its `server` line pointed at `serverUrl`. */
function localHostsToml(cachePort: number, serverUrl: string): string {
  const toml = mirrorHostsToml(REGISTRY_HOST, cachePort);
  const lines = toml.split("\n");
  const server = lines.findIndex((line) => /^server\s*=/.test(line));
  assert.ok(server >= 0, "the program's hosts.toml names a server");
  lines[server] = `server = "${serverUrl}"`;
  return lines.join("\n");
}

function plainHttpHosts(url: string): string {
  return `server = "${url}"\n\n[host."${url}"]\n  capabilities = ["pull", "resolve"]\n`;
}
