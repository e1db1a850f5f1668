/**
 * A real one-node Kubernetes 1.34 on this machine, every part built by .ci/install-tools or
 * installed from Debian: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet
 * and containerd 2.x with Debian's runc. Everything lives under one temp dir: its own sockets,
 * state, certificates and ports, so it never touches a containerd or kubelet the machine runs.
 *
 * What these machines need (measured; docs/testing.md):
 * - cgroup v1 hybrid and no systemd: the kubelet runs with `cgroupDriver: cgroupfs`,
 *   `failCgroupV1: false` and no QoS cgroups; runc with `SystemdCgroup = false`;
 * - the sandbox forbids lowering oom_score_adj: containerd's `restrict_oom_score_adj = true`;
 * - the pause image is built here (busybox, see node-images.ts) and served by a local registry;
 * - a loopback-only CNI config: every pod of these tests is on the host network;
 * - root: the kubelet and runc mount and make cgroups.
 *
 * Authentication is by static tokens (an admin in system:masters, the node as
 * system:node:<name>) with the Node and RBAC authorizers, as on EKS; Pod Security admission is
 * the API server's default plugin.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import {
  Daemon,
  freePort,
  run,
  runOk,
  spawnDaemon,
  onCleanup,
  sleep,
  waitFor,
} from "../../integration/support/processes";

const ROOT = path.resolve(__dirname, "../../..");
const BIN = path.join(ROOT, ".tools/bin");
export const NODE_NAME = "node-1";

/** What the cluster suites need, built (`.tools/bin`) or from Debian. */
export const CLUSTER_TOOLS = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubelet",
  "containerd",
  "containerd-shim-runc-v2",
  "ctr",
] as const;
export const DEBIAN_CLUSTER_TOOLS = [
  "runc",
  "busybox",
  "openssl",
  "umoci",
  "skopeo",
  "docker-registry",
] as const;
/** Debian's runc is in /usr/sbin; Docker's containerd.io (GitHub's runners) puts its own in /usr/bin. */
export const RUNC =
  ["/usr/sbin/runc", "/usr/bin/runc"].find((p) => fs.existsSync(p)) ?? "/usr/sbin/runc";
export const CNI_BIN_DIR = "/usr/lib/cni";

export function missingClusterTools(): string[] {
  const built = CLUSTER_TOOLS.filter((t) => !fs.existsSync(path.join(BIN, t))).map(
    (t) => `${t} (bash .ci/install-tools)`,
  );
  const debian = DEBIAN_CLUSTER_TOOLS.filter(
    (t) => !["/usr/bin", "/usr/sbin", "/bin", "/sbin"].some((d) => fs.existsSync(path.join(d, t))),
  ).map((t) => `${t} (apt-get install ${DEBIAN_PACKAGE[t]})`);
  const cni = fs.existsSync(path.join(CNI_BIN_DIR, "loopback"))
    ? []
    : ["the loopback CNI plugin (apt-get install containernetworking-plugins)"];
  const root =
    process.getuid?.() === 0 ? [] : ["root (the kubelet and runc mount and make cgroups)"];
  return [...built, ...debian, ...cni, ...root];
}

const DEBIAN_PACKAGE: Record<string, string> = {
  runc: "runc",
  busybox: "busybox-static",
  openssl: "openssl",
  umoci: "umoci",
  skopeo: "skopeo",
  "docker-registry": "docker-registry",
};

/** Skips the suite loudly when something is missing; under CI=true fails instead. */
export function requireClusterOrSkip(ctx: Mocha.Context): void {
  const missing = missingClusterTools();
  if (missing.length === 0) return;
  const message = `the cluster tests need ${missing.join(", ")}`;
  if (process.env.CI === "true") throw new Error(`CI=true and ${message}`);
  const bar = "!".repeat(100);
  process.stderr.write(`\n${bar}\n!! SKIPPING the cluster tests: ${message}\n${bar}\n\n`);
  ctx.skip();
}

// ---------------------------------------------------------------------------------------------
// The Kubernetes API, as a client with a bearer token sees it

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  /** The API server's admission warnings (the Warning header), e.g. from Pod Security. */
  warnings: string[];
}

/** A Warning header's text: `299 - "text"`, its quotes and backslashes escaped (RFC 7234). */
function warningText(header: string): string {
  const quoted = /^\s*299 \S+ "((?:[^"\\]|\\.)*)"/.exec(header);
  return quoted ? quoted[1].replace(/\\(.)/g, "$1") : header.trim();
}

export class KubeApi {
  constructor(
    readonly server: string,
    private readonly token: string,
    private readonly ca: string,
  ) {}

  async request<T = Record<string, unknown>>(
    method: string,
    apiPath: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<ApiResponse<T>> {
    const url = new URL(apiPath, this.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          ca: this.ca,
          headers: {
            Authorization: `Bearer ${this.token}`,
            Accept: "application/json",
            ...(payload === undefined
              ? {}
              : { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) }),
          },
          timeout: 20_000,
        },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => {
            const warning = res.headers.warning;
            resolve({
              status: res.statusCode ?? 0,
              body: (/json/.test(String(res.headers["content-type"]))
                ? JSON.parse(text)
                : { text }) as T,
              warnings: (Array.isArray(warning) ? warning : warning ? [warning] : [])
                .flatMap((w) => w.split(/,(?=\s*299 )/))
                .map(warningText),
            });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${apiPath} timed out`)));
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  async ok<T = Record<string, unknown>>(
    method: string,
    apiPath: string,
    body?: unknown,
  ): Promise<T> {
    const res = await this.request<T>(method, apiPath, body);
    if (res.status >= 300) {
      throw new Error(`${method} ${apiPath}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body;
  }

  /** Server-side apply of one object, as `kubectl apply --server-side` does. */
  async apply(object: KubeObject, fieldManager = "registry-hub-tests"): Promise<ApiResponse> {
    return this.request(
      "PATCH",
      `${objectPath(object)}?fieldManager=${fieldManager}&force=true`,
      object,
      "application/apply-patch+yaml",
    );
  }
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const PLURALS: Record<string, string> = {
  Namespace: "namespaces",
  Pod: "pods",
  ServiceAccount: "serviceaccounts",
  ConfigMap: "configmaps",
  Secret: "secrets",
  DaemonSet: "daemonsets",
  PodMonitor: "podmonitors",
};

export function objectPath(object: KubeObject): string {
  const [group, version] = object.apiVersion.includes("/")
    ? object.apiVersion.split("/")
    : ["", object.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const plural = PLURALS[object.kind];
  if (!plural) throw new Error(`no plural known for ${object.kind}`);
  const ns = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : "";
  return `${base}${ns}/${plural}/${object.metadata.name}`;
}

// ---------------------------------------------------------------------------------------------
// The control plane

export interface ControlPlane {
  server: string;
  /** The API server's self-signed serving certificate, which is also its CA (PEM). */
  ca: string;
  adminToken: string;
  /** Each node's token, by node name: the Node authorizer lets a kubelet write only its own node. */
  nodeTokens: Readonly<Record<string, string>>;
  admin: KubeApi;
  /** A kubeconfig for `token` (the admin's by default), as a JSON string. */
  kubeconfig(token?: string): string;
  daemons: Daemon[];
}

export async function startControlPlane(
  dir: string,
  nodeNames: readonly string[] = [NODE_NAME],
): Promise<ControlPlane> {
  const pki = path.join(dir, "pki");
  fs.mkdirSync(pki, { recursive: true });
  const saKey = path.join(pki, "sa.key");
  await runOk("openssl", ["genrsa", "-out", saKey, "2048"], 30_000);
  const adminToken = crypto.randomBytes(16).toString("hex");
  const nodeTokens = Object.fromEntries(
    nodeNames.map((name) => [name, crypto.randomBytes(16).toString("hex")]),
  );
  const tokens = path.join(pki, "tokens.csv");
  fs.writeFileSync(
    tokens,
    [
      `${adminToken},admin,admin,"system:masters"`,
      ...nodeNames.map((n) => `${nodeTokens[n]},system:node:${n},system:node:${n},"system:nodes"`),
    ].join("\n") + "\n",
    { mode: 0o600 },
  );

  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcd = spawnDaemon(
    "etcd",
    path.join(BIN, "etcd"),
    [
      `--data-dir=${path.join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      "--log-level=warn",
    ],
    dir,
  );
  const certDir = path.join(pki, "apiserver");
  const apiserver = spawnDaemon(
    "kube-apiserver",
    path.join(BIN, "kube-apiserver"),
    [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${tokens}`,
      "--authorization-mode=Node,RBAC",
      "--service-account-issuer=https://kubernetes.default.svc",
      `--service-account-key-file=${saKey}`,
      `--service-account-signing-key-file=${saKey}`,
      "--service-cluster-ip-range=10.96.0.0/24",
      "--allow-privileged=true",
    ],
    dir,
  );
  const server = `https://127.0.0.1:${apiPort}`;
  const crt = path.join(certDir, "apiserver.crt");
  await waitFor(
    "the API server's certificate",
    () => Promise.resolve(fs.existsSync(crt)),
    60_000,
    200,
  );
  const ca = fs.readFileSync(crt, "utf8");
  const admin = new KubeApi(server, adminToken, ca);
  await waitFor(
    "the API server to be ready",
    async () => {
      if (apiserver.exited()) throw new Error(`kube-apiserver exited:\n${apiserver.logTail()}`);
      return (await admin.request("GET", "/readyz")).status === 200;
    },
    90_000,
    500,
  );

  const kubeconfig = (token = adminToken) =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "local",
          cluster: { server, "certificate-authority-data": Buffer.from(ca).toString("base64") },
        },
      ],
      users: [{ name: "user", user: { token } }],
      contexts: [{ name: "local", context: { cluster: "local", user: "user" } }],
      "current-context": "local",
    });
  const adminKubeconfig = path.join(pki, "admin.kubeconfig");
  fs.writeFileSync(adminKubeconfig, kubeconfig(), { mode: 0o600 });
  const controllerManager = spawnDaemon(
    "kube-controller-manager",
    path.join(BIN, "kube-controller-manager"),
    [
      `--kubeconfig=${adminKubeconfig}`,
      "--leader-elect=false",
      "--secure-port=0",
      `--service-account-private-key-file=${saKey}`,
      "--use-service-account-credentials=false",
    ],
    dir,
  );
  const scheduler = spawnDaemon(
    "kube-scheduler",
    path.join(BIN, "kube-scheduler"),
    [`--kubeconfig=${adminKubeconfig}`, "--leader-elect=false", "--secure-port=0"],
    dir,
  );
  return {
    server,
    ca,
    adminToken,
    nodeTokens,
    admin,
    kubeconfig,
    daemons: [etcd, apiserver, controllerManager, scheduler],
  };
}

// ---------------------------------------------------------------------------------------------
// The node: containerd 2.x and the kubelet

export interface NodeOptions {
  /** containerd's config (TOML), e.g. from nodeContainerdConfig(). */
  containerdConfig: string;
  /** Where the config puts containerd's socket. */
  containerdSocket: string;
  /** containerd's state dir, where each task keeps its pid files. */
  containerdState: string;
  /** containerd's binary: the built 2.x by default; its shim is taken from the same dir. */
  containerd?: string;
  /** The node's name, and its dir under the test's dir: NODE_NAME by default. */
  name?: string;
}

export interface KubeNode {
  kubelet: Daemon;
  containerd: Daemon;
  name: string;
  /** ctr against this node's containerd, in the CRI's namespace. */
  ctr(args: string[], timeoutMs?: number): Promise<string>;
  /** Everything a container of the pod wrote, every restart included (the CRI's log files). */
  containerLog(pod: Pod, container: string): string;
  /** Stops the kubelet, what the node ran, and containerd (stopAll() does it too). */
  stop(): Promise<void>;
}

/** A node's own dir under the test's dir: its containerd, kubelet, CNI config and logs. */
export function nodeDir(dir: string, name: string = NODE_NAME): string {
  return path.join(dir, name);
}

/** The loopback CNI config startNode writes: give it to the node's containerd config. */
export function cniConfDir(dir: string, name: string = NODE_NAME): string {
  return path.join(nodeDir(dir, name), "cni");
}

export async function startNode(
  dir: string,
  plane: ControlPlane,
  options: NodeOptions,
): Promise<KubeNode> {
  const name = options.name ?? NODE_NAME;
  const ownDir = nodeDir(dir, name);
  fs.mkdirSync(cniConfDir(dir, name), { recursive: true });
  // Only host-network pods here: the loopback plugin is all the CRI needs to report the
  // network ready (it never runs for a host-network sandbox).
  fs.writeFileSync(
    path.join(cniConfDir(dir, name), "10-loopback.conflist"),
    JSON.stringify({ cniVersion: "1.0.0", name: "loopback", plugins: [{ type: "loopback" }] }),
  );
  const configFile = path.join(ownDir, "containerd.toml");
  fs.writeFileSync(configFile, options.containerdConfig);
  const containerdBinary = options.containerd ?? path.join(BIN, "containerd");
  const containerd = spawnDaemon(
    "containerd",
    containerdBinary,
    ["--config", configFile],
    ownDir,
    // containerd finds its shim on PATH: the one of its own version.
    {
      env: { PATH: `${path.dirname(containerdBinary)}:${process.env.PATH ?? ""}` },
      killAfterMs: 5000,
    },
  );
  const ctr = async (args: string[], timeoutMs = 30_000) =>
    (
      await runOk(
        path.join(BIN, "ctr"),
        ["--address", options.containerdSocket, "--namespace", "k8s.io", ...args],
        timeoutMs,
      )
    ).stdout;
  await waitFor(
    "containerd's socket",
    async () => {
      if (containerd.exited()) throw new Error(`containerd exited:\n${containerd.logTail()}`);
      return fs.existsSync(options.containerdSocket) && (await ctr(["version"], 5000)) !== "";
    },
    30_000,
    200,
  );
  // Containers outlive containerd (their shims are separate processes): stop them by pid.
  const stopRuntime = async () => {
    await stopContainers(options.containerdState, options.containerdSocket, ownDir);
    await containerd.stop();
  };
  onCleanup(stopRuntime);

  const kubeletKubeconfig = path.join(ownDir, "kubelet.kubeconfig");
  const nodeToken = plane.nodeTokens[name];
  if (nodeToken === undefined) throw new Error(`startControlPlane was not given node ${name}`);
  fs.writeFileSync(kubeletKubeconfig, plane.kubeconfig(nodeToken), { mode: 0o600 });
  const [port, healthzPort] = [await freePort(), await freePort()];
  const kubeletConfig = path.join(ownDir, "kubelet.json");
  const podLogs = path.join(ownDir, "pod-logs");
  fs.writeFileSync(
    kubeletConfig,
    JSON.stringify({
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      cgroupDriver: "cgroupfs",
      failCgroupV1: false,
      cgroupsPerQOS: false,
      enforceNodeAllocatable: [],
      containerRuntimeEndpoint: `unix://${options.containerdSocket}`,
      address: "127.0.0.1",
      port,
      readOnlyPort: 0,
      healthzBindAddress: "127.0.0.1",
      healthzPort,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false } },
      authorization: { mode: "AlwaysAllow" },
      failSwapOn: false,
      // A test machine's disk is whatever it is: no evictions, no image garbage collection.
      evictionHard: {},
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      localStorageCapacityIsolation: false,
      resolvConf: "/etc/resolv.conf",
      // Not /var/log/pods: everything of this node stays under the test's dir.
      podLogsDir: podLogs,
      // Faster than a node's defaults, so the tests see changes in seconds.
      syncFrequency: "2s",
      nodeStatusUpdateFrequency: "2s",
    }),
  );
  const kubelet = spawnDaemon(
    "kubelet",
    path.join(BIN, "kubelet"),
    [
      `--config=${kubeletConfig}`,
      `--kubeconfig=${kubeletKubeconfig}`,
      `--root-dir=${path.join(ownDir, "kubelet")}`,
      `--cert-dir=${path.join(ownDir, "kubelet-pki")}`,
      `--hostname-override=${name}`,
    ],
    ownDir,
    { killAfterMs: 5000 },
  );
  await waitFor(
    `node ${name} Ready`,
    async () => {
      if (kubelet.exited()) throw new Error(`kubelet exited:\n${kubelet.logTail()}`);
      const res = await plane.admin.request<{ status?: { conditions?: Condition[] } }>(
        "GET",
        `/api/v1/nodes/${name}`,
      );
      return res.body.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    },
    90_000,
    500,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nkubelet's log:\n${kubelet.logTail()}`);
  });
  const containerLog = (pod: Pod, container: string) => {
    const logDir = path.join(
      podLogs,
      `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`,
      container,
    );
    if (!fs.existsSync(logDir)) return "";
    return fs
      .readdirSync(logDir)
      .sort()
      .map((f) => fs.readFileSync(path.join(logDir, f), "utf8"))
      .join("");
  };
  const stop = async () => {
    await kubelet.stop();
    await stopRuntime();
  };
  return { kubelet, containerd, name, ctr, containerLog, stop };
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * Stops what the node ran, by pid: each task's process (`init.pid`), then the shims that
 * containerd started for this socket, then unmounts what the kubelet and containerd mounted.
 */
async function stopContainers(state: string, socket: string, dir: string): Promise<void> {
  const tasks = path.join(state, "io.containerd.runtime.v2.task", "k8s.io");
  const pids: number[] = [];
  if (fs.existsSync(tasks)) {
    for (const id of fs.readdirSync(tasks)) {
      const file = path.join(tasks, id, "init.pid");
      if (fs.existsSync(file)) pids.push(Number(fs.readFileSync(file, "utf8").trim()));
    }
  }
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes("containerd-shim") && cmdline.includes(socket)) pids.push(Number(entry));
    } catch {
      // gone already
    }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  await sleep(pids.length > 0 ? 300 : 0);
  const mounts = fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((mount): mount is string => mount !== undefined && mount.startsWith(dir + "/"))
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) await run("umount", ["-l", mount], { timeoutMs: 10_000 });
}

// ---------------------------------------------------------------------------------------------
// Pods

export interface PodStatus {
  phase?: string;
  hostIP?: string;
  podIP?: string;
  conditions?: Condition[];
  containerStatuses?: ContainerStatus[];
  initContainerStatuses?: ContainerStatus[];
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  imageID?: string;
  /** containerd://<id> */
  containerID?: string;
  state: {
    running?: { startedAt: string };
    waiting?: { reason: string; message?: string };
    terminated?: { reason: string; exitCode: number; startedAt?: string; finishedAt: string };
  };
  lastState: ContainerStatus["state"];
}

export interface Pod {
  metadata: { name: string; namespace: string; uid: string };
  spec: { nodeName?: string; hostNetwork?: boolean; serviceAccountName?: string };
  status: PodStatus;
}

export async function listPods(api: KubeApi, namespace: string, selector = ""): Promise<Pod[]> {
  const query = selector ? `?labelSelector=${encodeURIComponent(selector)}` : "";
  return (await api.ok<{ items: Pod[] }>("GET", `/api/v1/namespaces/${namespace}/pods${query}`))
    .items;
}

export async function getPod(api: KubeApi, namespace: string, name: string): Promise<Pod> {
  return api.ok<Pod>("GET", `/api/v1/namespaces/${namespace}/pods/${name}`);
}

export interface KubeEvent {
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string };
}

export async function events(api: KubeApi, namespace: string): Promise<KubeEvent[]> {
  return (await api.ok<{ items: KubeEvent[] }>("GET", `/api/v1/namespaces/${namespace}/events`))
    .items;
}
