/**
 * Turns the program's cache registry configuration into one that runs on this machine,
 * changing only what must point here. Everything else (storage layout, encryption, redirects,
 * delete, caches, health, proxy TTL, headers, log) is the program's own value.
 */

export type ConfigValue = string | number | boolean | null | undefined | ConfigValue[] | ConfigTree;
export interface ConfigTree {
  [key: string]: ConfigValue;
}

export function isTree(value: unknown): value is ConfigTree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The subtree at `path`, which must exist. */
export function branch(config: ConfigTree, ...path: string[]): ConfigTree {
  let node: ConfigValue = config;
  for (const key of path) {
    node = isTree(node) ? node[key] : undefined;
  }
  if (!isTree(node)) throw new Error(`config has no section ${path.join(".")}`);
  return node;
}

export interface LocalTargets {
  /** The S3 emulator, e.g. http://127.0.0.1:PORT (path-style, presigned redirects go here). */
  s3Endpoint: string;
  accessKey: string;
  secretKey: string;
  /** The local upstream registry standing in for ECR. */
  upstreamUrl: string;
  /** host:port the registry listens on. */
  addr: string;
  /** Where the credential helper the pod mounts from its ConfigMap sits on this machine. */
  credentialHelper: string;
  /** host:port of the debug (metrics) listener, when the config has one. */
  debugAddr?: string;
}

/**
 * Paths the localization may change: the listen address, S3 through the emulator with its
 * static keys (IRSA cannot run here; v3 needs path-style addressing for a local endpoint), the
 * upstream, and the helper's path (the pod mounts it from the ConfigMap). s3rver has no
 * UploadPartCopy, which v3 uses to move blobs over 32 MB: the threshold goes up to S3's
 * single-copy limit, so big blobs move with one CopyObject instead.
 */
export const LOCALIZED_PATHS = [
  "http.addr",
  "http.debug.addr",
  "storage.s3.regionendpoint",
  "storage.s3.accesskey",
  "storage.s3.secretkey",
  "storage.s3.forcepathstyle",
  "storage.s3.multipartcopythresholdsize",
  "proxy.remoteurl",
  "proxy.exec.command",
] as const;

export function pointAtThisMachine(program: object, targets: LocalTargets): ConfigTree {
  const config = structuredClone(program) as ConfigTree;
  const http = branch(config, "http");
  http.addr = targets.addr;
  if (isTree(http.debug)) http.debug.addr = targets.debugAddr;
  Object.assign(branch(config, "storage", "s3"), {
    regionendpoint: targets.s3Endpoint,
    accesskey: targets.accessKey,
    secretkey: targets.secretKey,
    forcepathstyle: true,
    multipartcopythresholdsize: 5 * 1024 ** 3,
  });
  const proxy = branch(config, "proxy");
  proxy.remoteurl = targets.upstreamUrl;
  branch(proxy, "exec").command = targets.credentialHelper;
  return config;
}

/** Dotted paths of every leaf that differs between two config trees (added, removed or changed). */
export function changedPaths(a: unknown, b: unknown, prefix = ""): string[] {
  if (!isTree(a) && !isTree(b)) return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
  const left: ConfigTree = isTree(a) ? a : {};
  const right: ConfigTree = isTree(b) ? b : {};
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  const paths = keys.flatMap((k) => changedPaths(left[k], right[k], prefix ? `${prefix}.${k}` : k));
  // A tree replaced by (or replacing) a plain value.
  if ((!isTree(a) && a !== undefined) || (!isTree(b) && b !== undefined)) paths.push(prefix);
  return paths;
}
