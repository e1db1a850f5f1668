/**
 * The images the node runs, built here from Debian's static busybox and the project's own
 * builds (no image can be downloaded): the pause image, the cache's registry (distribution
 * v3.1.1 from .ci/install-tools, as the chart's `registry:3.1.1` image carries it), the token
 * refresher (busybox with a stand-in `aws` that prints the token the ECR stand-in accepts), and
 * workloads. Each is pushed to a local registry and named by digest, as the program's
 * `cache.images` config requires.
 */
import * as fs from "fs";
import * as path from "path";
import { runOk } from "../../integration/support/processes";
import { REGISTRY_V3 } from "../../integration/support/processes";

const BUSYBOX = "/bin/busybox";
/** The busybox applets the charts' scripts and probes use. */
const APPLETS = ["sh", "sleep", "cat", "test", "mkdir", "mv", "rm", "printf", "echo", "ls", "kill"];

export interface NodeImage {
  /** The tag's reference, e.g. 127.0.0.1:5000/registry-hub-test/pause:1. */
  tag: string;
  /** The same image by digest: <repository>@sha256:... */
  digestRef: string;
  /** repository:tag@digest, the form `cache.images` takes. */
  pinned: string;
}

export interface NodeImageSpec {
  /** Repository (under the registry) and tag, e.g. registry-hub-test/pause:1. */
  name: string;
  /** Extra files by path in the image, beside busybox. */
  files?: Record<string, { content: Buffer | string; mode?: number } | { copyFrom: string }>;
  entrypoint?: string[];
  cmd?: string[];
}

/**
 * Builds each spec as busybox plus its files and pushes it to `registry` (host:port, plain
 * HTTP); resolves with the pushed references.
 */
export async function buildNodeImages(
  work: string,
  registry: string,
  specs: NodeImageSpec[],
): Promise<Record<string, NodeImage>> {
  const layout = path.join(work, "node-images");
  await runOk("umoci", ["init", "--layout", layout], 20_000);
  const built: Record<string, NodeImage> = {};
  for (const [i, spec] of specs.entries()) {
    const tag = `image-${i}`;
    const image = `${layout}:${tag}`;
    await runOk("umoci", ["new", "--image", image], 20_000);
    // Config before unpack: repack keeps the config of the image it unpacked.
    const config = ["config", "--image", image, "--config.env", "PATH=/usr/local/bin:/bin"];
    if (spec.entrypoint) for (const e of spec.entrypoint) config.push("--config.entrypoint", e);
    if (spec.cmd) for (const c of spec.cmd) config.push("--config.cmd", c);
    await runOk("umoci", config, 20_000);
    const bundle = path.join(work, `bundle-${i}`);
    await runOk("umoci", ["unpack", "--rootless", "--image", image, bundle], 20_000);
    const rootfs = path.join(bundle, "rootfs");
    fs.mkdirSync(path.join(rootfs, "bin"), { recursive: true });
    fs.copyFileSync(BUSYBOX, path.join(rootfs, "bin", "busybox"));
    fs.chmodSync(path.join(rootfs, "bin", "busybox"), 0o755);
    for (const applet of APPLETS) fs.symlinkSync("busybox", path.join(rootfs, "bin", applet));
    fs.mkdirSync(path.join(rootfs, "tmp"), { mode: 0o1777 });
    fs.chmodSync(path.join(rootfs, "tmp"), 0o1777);
    for (const [file, source] of Object.entries(spec.files ?? {})) {
      const target = path.join(rootfs, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      if ("copyFrom" in source) {
        fs.copyFileSync(source.copyFrom, target);
        fs.chmodSync(target, 0o755);
      } else {
        fs.writeFileSync(target, source.content, { mode: source.mode ?? 0o644 });
      }
    }
    await runOk("umoci", ["repack", "--image", image, bundle], 120_000);
    fs.rmSync(bundle, { recursive: true, force: true });
    const reference = `${registry}/${spec.name}`;
    const digestFile = path.join(work, `digest-${i}`);
    await runOk(
      "skopeo",
      [
        "--insecure-policy",
        "copy",
        "--dest-tls-verify=false",
        "--digestfile",
        digestFile,
        `oci:${image}`,
        `docker://${reference}`,
      ],
      120_000,
    );
    const digest = fs.readFileSync(digestFile, "utf8").trim();
    const repository = reference.slice(0, reference.lastIndexOf(":"));
    built[spec.name] = {
      tag: reference,
      digestRef: `${repository}@${digest}`,
      pinned: `${reference}@${digest}`,
    };
  }
  return built;
}

/** A process that waits for SIGTERM, like the pause binary, for the sandbox and for workloads. */
export const WAIT_FOREVER = ["/bin/sh", "-c", 'trap "exit 0" TERM INT; while :; do sleep 1; done'];

export const PAUSE: NodeImageSpec = {
  name: "registry-hub-test/pause:1",
  entrypoint: WAIT_FOREVER.slice(0, 1),
  cmd: WAIT_FOREVER.slice(1),
};

/** The cache's image: distribution v3.1.1 as `registry` on PATH, and sh for its credential helper. */
export const CACHE_IMAGE: NodeImageSpec = {
  name: "registry-hub-test/registry:3.1.1",
  files: { "bin/registry": { copyFrom: REGISTRY_V3 } },
};

/** The refresher's image: `aws ecr get-login-password` prints `token`. */
export function refresherImage(token: string): NodeImageSpec {
  return {
    name: "registry-hub-test/aws-cli:standin",
    files: {
      "usr/local/bin/aws": {
        content: `#!/bin/sh\n[ "$1 $2" = "ecr get-login-password" ] || exit 2\nprintf '%s' '${token}'\n`,
        mode: 0o755,
      },
    },
  };
}
