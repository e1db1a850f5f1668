/**
 * Images: built offline with umoci, moved with skopeo, and read back from OCI layouts with every
 * blob checked; reproducible content and digests.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { RunResult, run, runOk } from "./processes";

export function sha256Hex(data: Buffer | string): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

/** Incompressible but reproducible bytes: an AES-256-CTR keystream under a key derived from seed. */
export function pseudoRandomBytes(size: number, seed: string): Buffer {
  const key = crypto.createHash("sha256").update(seed).digest();
  const cipher = crypto.createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

// ---------------------------------------------------------------------------------------------
// Images: built offline with umoci, moved with skopeo

export interface ImageSpec {
  tag: string;
  files: Record<string, Buffer | string>;
}

/** Builds each spec as a tag of one OCI layout. */
export async function buildImages(layout: string, work: string, specs: ImageSpec[]): Promise<void> {
  await runOk("umoci", ["init", "--layout", layout], 20_000);
  for (const spec of specs) {
    const bundle = path.join(work, `bundle-${spec.tag}`);
    await runOk("umoci", ["new", "--image", `${layout}:${spec.tag}`], 20_000);
    await runOk(
      "umoci",
      ["unpack", "--rootless", "--image", `${layout}:${spec.tag}`, bundle],
      20_000,
    );
    for (const [name, content] of Object.entries(spec.files)) {
      const file = path.join(bundle, "rootfs", name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    await runOk("umoci", ["repack", "--image", `${layout}:${spec.tag}`, bundle], 30_000);
    fs.rmSync(bundle, { recursive: true, force: true });
  }
}

/** `extraArgs` go before the references, e.g. ["--src-no-creds"] or ["--src-creds", "u:p"]. */
export async function skopeoCopy(
  src: string,
  dest: string,
  timeoutMs = 30_000,
  extraArgs: string[] = [],
): Promise<RunResult> {
  return run(
    "skopeo",
    [
      "--insecure-policy",
      "copy",
      "--quiet",
      "--preserve-digests",
      "--src-tls-verify=false",
      "--dest-tls-verify=false",
      ...extraArgs,
      src,
      dest,
    ],
    { timeoutMs },
  );
}

export async function skopeoCopyOk(
  src: string,
  dest: string,
  timeoutMs = 30_000,
  extraArgs: string[] = [],
): Promise<RunResult> {
  const result = await skopeoCopy(src, dest, timeoutMs, extraArgs);
  if (result.code !== 0) {
    throw new Error(
      `skopeo copy ${src} ${dest} failed (code ${result.code}${result.timedOut ? ", timed out" : ""}): ${result.stderr}`,
    );
  }
  return result;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface LayoutImage {
  manifestDigest: string;
  config: Descriptor;
  layers: Descriptor[];
  /** Manifest, config and layers: every byte a pull transfers. */
  totalBytes: number;
}

function blobPath(layout: string, digest: string): string {
  const [algorithm, hex] = digest.split(":");
  return path.join(layout, "blobs", algorithm, hex);
}

/**
 * Reads the image behind `tag` from an OCI layout and checks every blob it references: present,
 * of the declared size, and hashing to its digest.
 */
export function readLayoutImage(layout: string, tag: string): LayoutImage {
  const index = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8")) as {
    manifests: Array<Descriptor & { annotations?: Record<string, string> }>;
  };
  const entry = index.manifests.find(
    (m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag,
  );
  if (!entry) throw new Error(`no tag ${tag} in ${layout}`);
  const readBlob = (d: Descriptor) => {
    const data = fs.readFileSync(blobPath(layout, d.digest));
    if (data.length !== d.size || `sha256:${sha256Hex(data)}` !== d.digest) {
      throw new Error(
        `blob ${d.digest} in ${layout}: ${data.length} bytes, sha256:${sha256Hex(data)}`,
      );
    }
    return data;
  };
  const manifest = JSON.parse(readBlob(entry).toString()) as {
    config: Descriptor;
    layers: Descriptor[];
  };
  readBlob(manifest.config);
  manifest.layers.forEach(readBlob);
  return {
    manifestDigest: entry.digest,
    config: manifest.config,
    layers: manifest.layers,
    totalBytes:
      entry.size + manifest.config.size + manifest.layers.reduce((sum, l) => sum + l.size, 0),
  };
}
