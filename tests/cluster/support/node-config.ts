/**
 * containerd's config for the test node: EKS AL2023's as it ships (fixtures/), changing only
 * what must point at this machine, each change checked to have happened exactly once.
 */
import * as fs from "fs";
import * as path from "path";
import { CNI_BIN_DIR, RUNC } from "./cluster";

/** EKS's containerd configs: AL2023's for containerd 2.x (version 3), AL2's for 1.6 and 1.7 (version 2). */
export const EKS_CONTAINERD = {
  al2023: fs.readFileSync(
    path.join(__dirname, "..", "fixtures", "eks-al2023-containerd.toml"),
    "utf8",
  ),
  al2: fs.readFileSync(path.join(__dirname, "..", "fixtures", "eks-al2-containerd.toml"), "utf8"),
} as const;

export interface NodeConfigTargets {
  /** Root of this node's dirs; containerd's root, state and socket go under it. */
  dir: string;
  /** The pause image, by reference, from the local node-images registry. */
  sandboxImage: string;
  /** The two hosts dirs EKS names (certs.d of containerd, then of Docker), localized. */
  hostsDirs: [string, string] | [string];
  cniConfDir: string;
  /** EKS's `discard_unpacked_layers`: true forces the CRI's local pull; false, the transfer service. */
  discardUnpackedLayers?: boolean;
  /** Which of EKS's configs: AL2023's (containerd 2.x, the default) or AL2's (containerd 1.6). */
  fixture?: keyof typeof EKS_CONTAINERD;
}

export interface NodeConfig {
  toml: string;
  socket: string;
  state: string;
}

/** The paths changed (and why); everything else is EKS's value. */
export const LOCALIZED_SETTINGS = [
  "root, state, grpc.address: this node's own dirs and socket",
  "pinned_images.sandbox: the pause image built here",
  "registry.config_path: the same two hosts dirs, colon-separated, under the test dir",
  "runtimes.runc.base_runtime_spec: dropped (EKS's file is not here)",
  "runtimes.runc.options.BinaryName: runc where this machine has it (AL2023 only; AL2 uses PATH)",
  "imports: dropped (AL2 only; /etc/containerd/config.d is the host's)",
  "enable_cdi: false (AL2 only; no CDI specs here)",
  "runtimes.runc.options.SystemdCgroup: false (no systemd here)",
  "cni.bin_dir, cni.conf_dir: Debian's plugins and the test's loopback config",
  "restrict_oom_score_adj: added (the sandbox forbids lowering oom_score_adj)",
  "disabled_plugins: opt (writes /opt/containerd), nri and tracing (host paths)",
] as const;

export function localNodeConfig(targets: NodeConfigTargets): NodeConfig {
  const fixture = targets.fixture ?? "al2023";
  const ctd = path.join(targets.dir, "containerd");
  const socket = path.join(ctd, "containerd.sock");
  const state = path.join(ctd, "state");
  let toml = EKS_CONTAINERD[fixture];
  const replace = (from: string | RegExp, to: string) => {
    const matches = toml.match(typeof from === "string" ? new RegExp(escape(from), "g") : from);
    if (matches?.length !== 1) throw new Error(`fixture ${fixture}: expected ${String(from)} once`);
    toml = toml.replace(from, to);
  };
  replace('root = "/var/lib/containerd"', `root = "${path.join(ctd, "root")}"`);
  replace('state = "/run/containerd"', `state = "${state}"`);
  replace(
    'address = "/run/containerd/containerd.sock"',
    `address = "${socket}"\n\n[ttrpc]\naddress = "${socket}.ttrpc"`,
  );
  replace(
    'config_path = "/etc/containerd/certs.d:/etc/docker/certs.d"',
    `config_path = "${targets.hostsDirs.join(":")}"`,
  );
  replace("SystemdCgroup = true", "SystemdCgroup = false");
  replace('bin_dir = "/opt/cni/bin"', `bin_dir = "${CNI_BIN_DIR}"`);
  replace('conf_dir = "/etc/cni/net.d"', `conf_dir = "${targets.cniConfDir}"`);
  if (targets.discardUnpackedLayers === false) {
    replace("discard_unpacked_layers = true", "discard_unpacked_layers = false");
  }
  if (fixture === "al2023") {
    replace(/^sandbox = ".*"$/m, `sandbox = "${targets.sandboxImage}"`);
    replace(/^base_runtime_spec = .*\n/m, "");
    replace(/^BinaryName = .*$/m, `BinaryName = "${RUNC}"`);
    replace("enable_cdi = false", "enable_cdi = false\nrestrict_oom_score_adj = true");
    replace(
      "version = 3\n",
      'version = 3\ndisabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.nri.v1.nri", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]\n',
    );
  } else {
    replace(/^sandbox_image = ".*"$/m, `sandbox_image = "${targets.sandboxImage}"`);
    replace(/^imports = .*\n/m, "");
    replace("enable_cdi = true", "enable_cdi = false\nrestrict_oom_score_adj = true");
    replace(
      "version = 2\n",
      'version = 2\ndisabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]\n',
    );
  }
  return { toml, socket, state };
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
