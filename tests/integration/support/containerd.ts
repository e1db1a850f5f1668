/**
 * A private containerd for integration tests: its own root, state dir, socket and config, so it
 * never touches a containerd the machine may already run (GitHub's runners have one), plus a
 * `pull` through `ctr` with a hosts dir, the same certs.d mechanism nodes use.
 *
 * Quirks found with Debian's containerd 1.6.20 here:
 * - the `opt` plugin creates /opt/containerd on the host even with a private root: disabled;
 * - the CRI plugin, the runtimes and the tasks service are not needed for a pull: disabled;
 * - as non-root, containerd must be told its own uid/gid for the sockets (it chowns them to 0
 *   by default and dies), and unpacking fails (snapshot mounts need root), so a non-root run
 *   fetches only (`ctr content fetch`: same resolver and fetcher, no unpack); as root it is a
 *   real `ctr images pull` unpacked with the `native` snapshotter (no overlay needed);
 * - with `ctr`, the registry requests are made by the ctr process itself (the daemon stores
 *   content); kubelet's pulls go through the CRI plugin, which uses the same resolver code.
 * - content is isolated per namespace (`content_sharing_policy = "isolated"`): a pull in a new
 *   namespace fetches every blob again, so each case can use its own namespace.
 */
import * as fs from "fs";
import * as path from "path";
import { REQUIRED_TOOLS, RunResult, run, runOk, spawnDaemon, waitFor } from "./processes";

/** What the containerd suites need on PATH (containerd and ctr: Debian package containerd). */
export const CONTAINERD_TOOLS = [...REQUIRED_TOOLS, "containerd", "ctr"] as const;

const DISABLED_PLUGINS = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.internal.v1.opt",
  "io.containerd.internal.v1.restart",
  "io.containerd.runtime.v1.linux",
  "io.containerd.runtime.v2.task",
  "io.containerd.monitor.v1.cgroups",
  "io.containerd.service.v1.tasks-service",
  "io.containerd.grpc.v1.tasks",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.overlayfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
  // containerd 1.7 (Docker's containerd.io on GitHub's runners): NRI listens under /var/run.
  "io.containerd.nri.v1.nri",
];

export interface PullOptions {
  /** The certs.d-style dir: `<hostsDir>/<registry host>/hosts.toml`. */
  hostsDir: string;
  /** `AWS:<token>`: ctr answers a Basic challenge with it, from any host. */
  user?: string;
  /** The containerd namespace to pull into (content is isolated per namespace). */
  namespace: string;
  /** Hard limit: ctr is SIGKILLed after this (RunResult.timedOut). */
  timeoutMs: number;
}

export interface PullResult extends RunResult {
  args: string[];
}

export interface Containerd {
  address: string;
  /** "pull": `ctr images pull` (fetch + unpack, as root); "fetch": `ctr content fetch`. */
  mode: "pull" | "fetch";
  pull(ref: string, options: PullOptions): Promise<PullResult>;
  /** The manifest digest the image `ref` has in `namespace`, if it exists there. */
  imageDigest(ref: string, namespace: string): Promise<string | undefined>;
  /** Digests of the blobs held in `namespace`. */
  contentDigests(namespace: string): Promise<string[]>;
  logTail: (lines?: number) => string;
  stop: () => Promise<void>;
}

function tomlString(value: string): string {
  return JSON.stringify(value);
}

export function containerdConfig(dir: string, address: string): string {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return [
    "version = 2",
    `root = ${tomlString(path.join(dir, "root"))}`,
    `state = ${tomlString(path.join(dir, "state"))}`,
    `disabled_plugins = [${DISABLED_PLUGINS.map(tomlString).join(", ")}]`,
    "",
    "[grpc]",
    `  address = ${tomlString(address)}`,
    `  uid = ${uid}`,
    `  gid = ${gid}`,
    "",
    "[ttrpc]",
    `  address = ${tomlString(`${address}.ttrpc`)}`,
    `  uid = ${uid}`,
    `  gid = ${gid}`,
    "",
    "[debug]",
    '  address = ""',
    '  level = "info"',
    "",
    "[metrics]",
    '  address = ""',
    "",
    '[plugins."io.containerd.metadata.v1.bolt"]',
    '  content_sharing_policy = "isolated"',
    "",
  ].join("\n");
}

/** Starts containerd in `dir` (its root, state, socket, config and log) and waits until it answers. */
export async function startContainerd(dir: string): Promise<Containerd> {
  const address = path.join(dir, "containerd.sock");
  if (Buffer.byteLength(address) > 100) throw new Error(`socket path too long: ${address}`);
  const configFile = path.join(dir, "containerd.toml");
  fs.writeFileSync(configFile, containerdConfig(dir, address));
  const daemon = spawnDaemon("containerd", "containerd", ["--config", configFile], dir, {
    killAfterMs: 5000,
  });
  const ctr = (namespace: string, args: string[]) => [
    "--address",
    address,
    "--namespace",
    namespace,
    ...args,
  ];
  try {
    await waitFor(
      `containerd on ${address}`,
      async () => {
        if (daemon.exited()) throw new Error(`containerd exited:\n${daemon.logTail()}`);
        if (!fs.existsSync(address)) return false;
        return (await run("ctr", ctr("default", ["version"]), { timeoutMs: 2000 })).code === 0;
      },
      15_000,
      100,
    );
  } catch (err) {
    await daemon.stop();
    throw new Error(`${String(err)}\n--- containerd log ---\n${daemon.logTail()}`);
  }

  const mode = process.getuid?.() === 0 ? "pull" : "fetch";
  return {
    address,
    mode,
    pull: async (ref, options) => {
      const args = ctr(options.namespace, [
        ...(mode === "pull" ? ["images", "pull", "--snapshotter", "native"] : ["content", "fetch"]),
        "--hosts-dir",
        options.hostsDir,
        ...(options.user === undefined ? [] : ["--user", options.user]),
        ref,
      ]);
      return { ...(await run("ctr", args, { timeoutMs: options.timeoutMs })), args };
    },
    imageDigest: async (ref, namespace) => {
      const listing = await runOk("ctr", ctr(namespace, ["images", "ls", `name==${ref}`]), 10_000);
      const row = listing.stdout
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .find((cells) => cells[0] === ref);
      return row?.find((cell) => /^sha256:[0-9a-f]{64}$/.test(cell));
    },
    contentDigests: async (namespace) => {
      const listing = await runOk("ctr", ctr(namespace, ["content", "ls", "--quiet"]), 10_000);
      return listing.stdout.split("\n").filter((line) => line.startsWith("sha256:"));
    },
    logTail: daemon.logTail,
    stop: daemon.stop,
  };
}

/** Writes `<root>/<registryHost>/hosts.toml` and returns root, the value for `--hosts-dir`. */
export function writeHostsDir(root: string, registryHost: string, hostsToml: string): string {
  fs.mkdirSync(path.join(root, registryHost), { recursive: true });
  fs.writeFileSync(path.join(root, registryHost, "hosts.toml"), hostsToml);
  return root;
}
