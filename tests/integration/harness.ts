/**
 * Offline harness for running the real distribution registry (Debian's docker-registry 2.8)
 * against an in-process S3 emulator (s3rver) with a recorder of every S3 request, plus a local
 * upstream registry standing in for ECR, umoci-built images and skopeo pulls.
 *
 * Every process, server and temp dir this module starts is tracked and released by stopAll(),
 * except s3rver's data dir (see startS3), which a process 'exit' hook removes; that hook also
 * SIGKILLs any child left over if the run is torn down abruptly.
 */
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";

// ---------------------------------------------------------------------------------------------
// Tools

const ROOT = path.resolve(__dirname, "../..");
/** distribution v3.1.1, the registry the cache deploys (../shared/bin/README.md). */
export const REGISTRY_V3 = path.resolve(ROOT, "../shared/bin/registry-v3");
/** Helm, installed by .ci/install-helm (or any helm on PATH). */
export const HELM = [path.join(ROOT, ".tools/bin/helm")].find((p) => fs.existsSync(p)) ?? "helm";

export const REQUIRED_TOOLS = [
  "docker-registry",
  "skopeo",
  "umoci",
  "registry-v3",
  "helm",
] as const;

/** How to get each tool a suite may require. */
const HOW_TO_GET: Record<string, string> = {
  "docker-registry": "apt-get install docker-registry",
  skopeo: "apt-get install skopeo",
  umoci: "apt-get install umoci",
  containerd: "apt-get install containerd",
  ctr: "apt-get install containerd",
  "registry-v3": `../shared beside the repository (${REGISTRY_V3})`,
  helm: "bash .ci/install-helm",
  nginx: "apt-get install nginx-light",
};

function onPath(command: string): boolean {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => {
      try {
        fs.accessSync(path.join(dir, command), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

function available(tool: string): boolean {
  if (tool === "registry-v3") return fs.existsSync(REGISTRY_V3);
  if (tool === "helm") return path.isAbsolute(HELM) || onPath(HELM);
  return onPath(tool);
}

export function missingTools(tools: readonly string[] = REQUIRED_TOOLS): string[] {
  return tools.filter((tool) => !available(tool));
}

/**
 * Skips the calling suite (loudly) when a tool is missing; fails instead when CI=true, so a CI
 * image without the packages cannot turn these tests green by skipping them.
 */
export function requireToolsOrSkip(
  ctx: Mocha.Context,
  tools: readonly string[] = REQUIRED_TOOLS,
  suite = "cache-registry",
): void {
  const missing = missingTools(tools);
  if (missing.length === 0) return;
  const message = `integration tests need ${missing.map((t) => `${t} (${HOW_TO_GET[t] ?? t})`).join(", ")}`;
  if (process.env.CI === "true") {
    throw new Error(`CI=true and ${message}`);
  }
  const bar = "!".repeat(100);
  process.stderr.write(
    `\n${bar}\n!! SKIPPING the ${suite} integration tests: ${message}\n${bar}\n\n`,
  );
  ctx.skip();
}

// ---------------------------------------------------------------------------------------------
// Small utilities

const cleanups: Array<() => Promise<void> | void> = [];
const liveChildren = new Set<ChildProcess>();
const dirsRemovedAtExit: string[] = [];

process.on("exit", () => {
  for (const child of liveChildren) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const dir of dirsRemovedAtExit) fs.rmSync(dir, { recursive: true, force: true });
});

/** Registers a release step for stopAll() (run newest first). */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** Releases everything started so far, newest first; never throws. */
export async function stopAll(): Promise<void> {
  while (cleanups.length > 0) {
    const cleanup = cleanups.pop()!;
    try {
      await cleanup();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${String(err)}\n`);
    }
  }
}

/** A temp dir removed by stopAll(), or at process exit for one a server may still write to. */
export function tempDir(prefix: string, removedBy: "stopAll" | "exit" = "stopAll"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  if (removedBy === "exit") dirsRemovedAtExit.push(dir);
  else cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ""}`,
      );
    }
    await sleep(intervalMs);
  }
}

export function sha256Hex(data: Buffer | string): string {
  return crypto.createHash("sha256").update(data).digest("hex");
}

/** Incompressible but reproducible bytes: an AES-256-CTR keystream under a key derived from seed. */
export function pseudoRandomBytes(size: number, seed: string): Buffer {
  const key = crypto.createHash("sha256").update(seed).digest();
  const cipher = crypto.createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

/** Children get loopback traffic without any proxy and without AWS_CA_BUNDLE (2.8.2 panics on it). */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    "AWS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
  ]) {
    delete env[name];
  }
  env.NO_PROXY = env.no_proxy = "127.0.0.1,localhost";
  return { ...env, ...extra };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs a command to completion, killing it after timeoutMs. */
export async function run(
  command: string,
  args: string[],
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? childEnv(),
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
    });
    liveChildren.add(child);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      liveChildren.delete(child);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    });
  });
}

export async function runOk(
  command: string,
  args: string[],
  timeoutMs: number,
  cwd?: string,
): Promise<RunResult> {
  const result = await run(command, args, { timeoutMs, cwd });
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (code ${result.code}${result.timedOut ? ", timed out" : ""}): ${result.stderr || result.stdout}`,
    );
  }
  return result;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One plain HTTP request; never follows redirects. */
export async function httpRequest(
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; timeoutMs?: number } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? "GET", headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${url}`)));
    req.on("error", reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// S3 emulator with a request recorder

export interface S3Request {
  method: string;
  bucket: string;
  /** Decoded object key, "" for bucket-level requests. */
  key: string;
  query: Record<string, string>;
  /** Decoded `/bucket/key` of x-amz-copy-source (CopyObject, UploadPartCopy). */
  copySource?: string;
  serverSideEncryption?: string;
  /** The x-amz-acl header, which S3 refuses (but for bucket-owner-full-control) under BucketOwnerEnforced. */
  acl?: string;
  /** Keys of a DeleteObjects (POST ?delete) body. */
  deleteKeys?: string[];
  auth: "header" | "presigned" | "anonymous";
  accessKeyId?: string;
  /** SigV4 recomputed with the known secret key: true = matches what the client sent. */
  signatureValid?: boolean;
  status: number;
  responseBytes: number;
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  store: {
    existsObject(bucket: string, key: string): Promise<boolean>;
    deleteObject(bucket: string, key: string): Promise<void>;
    listObjects(
      bucket: string,
      options: { prefix?: string },
    ): Promise<{ objects: Array<{ key: string }> }>;
  };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

export interface S3Emulator {
  /** The address the registry must use (the recorder in front of s3rver). */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  requests: S3Request[];
  keys(prefix: string): Promise<string[]>;
  hasObject(key: string): Promise<boolean>;
  deleteObjects(keys: string[]): Promise<void>;
  /** "hang": accept requests and never answer, like an S3 call that never returns. */
  setMode(mode: "forward" | "hang"): void;
}

/** s3rver's only account: its access key and secret are both "S3RVER". */
export const S3RVER_KEY = "S3RVER";

export async function startS3(bucket: string): Promise<S3Emulator> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require("s3rver") as S3rverConstructor;
  // s3rver can answer a PUT before its file write has finished (it resolves on the request
  // body's end, not the file's), so a write may outlive close(): removing the dir in stopAll()
  // made that write throw ENOENT into whichever test ran next.
  const dataDir = tempDir("s3rver", "exit");
  const backendPort = await freePort();
  const s3rver = new S3rver({
    address: "127.0.0.1",
    port: backendPort,
    silent: true,
    directory: dataDir,
    configureBuckets: [{ name: bucket }],
  });
  await s3rver.run();
  cleanups.push(() => s3rver.close());

  const requests: S3Request[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  cleanups.push(() => agent.destroy());
  let mode: "forward" | "hang" = "forward";
  const held = new Set<http.ServerResponse>();
  const recorder = http.createServer((req, res) => {
    if (mode === "hang") {
      held.add(res);
      req.resume();
      return;
    }
    const record = describeS3Request(req, S3RVER_KEY);
    const bodyChunks: Buffer[] = [];
    const wantBody = req.method === "POST" && "delete" in record.query;
    if (wantBody) req.on("data", (d: Buffer) => bodyChunks.push(d));
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: backendPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (backendRes) => {
        record.status = backendRes.statusCode ?? 502;
        res.writeHead(record.status, backendRes.headers);
        backendRes.on("data", (d: Buffer) => (record.responseBytes += d.length));
        backendRes.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      record.status = record.status || 502;
      res.destroy(err);
    });
    // Recorded once the exchange is over, whether it completed or was cut off.
    res.on("close", () => {
      if (wantBody) record.deleteKeys = parseDeleteKeys(Buffer.concat(bodyChunks).toString());
      requests.push(record);
    });
    req.pipe(upstream);
  });
  const port = await listen(recorder);
  cleanups.push(() => closeServer(recorder));

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKey: S3RVER_KEY,
    secretKey: S3RVER_KEY,
    requests,
    keys: async (prefix) =>
      (await s3rver.store.listObjects(bucket, { prefix })).objects.map((o) => o.key),
    hasObject: (key) => s3rver.store.existsObject(bucket, key),
    deleteObjects: async (keys) => {
      for (const key of keys) await s3rver.store.deleteObject(bucket, key);
    },
    setMode: (m) => {
      mode = m;
      if (m === "forward") {
        for (const res of held) res.destroy();
        held.clear();
      }
    },
  };
}

export async function listen(server: http.Server | net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
  });
}

export async function closeServer(server: http.Server | net.Server): Promise<void> {
  if ("closeAllConnections" in server) server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function parseDeleteKeys(xml: string): string[] {
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, "&");
  return [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => unescape(m[1]));
}

function describeS3Request(req: http.IncomingMessage, secretKey: string): S3Request {
  const rawUrl = req.url ?? "/";
  const queryStart = rawUrl.indexOf("?");
  const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? "" : rawUrl.slice(queryStart + 1);
  const segments = rawPath.replace(/^\//, "").split("/");
  const bucket = decodeURIComponent(segments[0] ?? "");
  const key = segments.slice(1).map(decodeURIComponent).join("/");
  const query: Record<string, string> = {};
  for (const [name, value] of queryPairs(rawQuery)) query[name] = value;
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(",") : value;
  };
  const copySource = header("x-amz-copy-source");
  const record: S3Request = {
    method: req.method ?? "",
    bucket,
    key,
    query,
    copySource:
      copySource === undefined
        ? undefined
        : decodeURIComponent(copySource.split("?")[0]).replace(/^\/?/, "/"),
    serverSideEncryption: header("x-amz-server-side-encryption"),
    acl: header("x-amz-acl"),
    auth: header("authorization")
      ? "header"
      : "X-Amz-Signature" in query
        ? "presigned"
        : "anonymous",
    status: 0,
    responseBytes: 0,
  };
  if (record.auth !== "anonymous") {
    const check = verifySigV4(req.method ?? "", rawPath, rawQuery, req.headers, secretKey);
    record.accessKeyId = check.accessKeyId;
    record.signatureValid = check.valid;
  }
  return record;
}

function queryPairs(rawQuery: string): Array<[string, string]> {
  if (!rawQuery) return [];
  return rawQuery.split("&").map((part) => {
    const eq = part.indexOf("=");
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, "%20"));
    return eq < 0 ? [decode(part), ""] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
  });
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function hmac(key: Buffer | string, data: string): Buffer {
  return crypto.createHmac("sha256", key).update(data).digest();
}

/**
 * Recomputes an AWS Signature Version 4 (Authorization header or presigned query) with the
 * emulator's known secret. s3rver itself does not check V4 signatures, so this is what proves
 * that the registry's requests and its presigned redirect URLs are correctly signed.
 */
export function verifySigV4(
  method: string,
  rawPath: string,
  rawQuery: string,
  headers: http.IncomingHttpHeaders,
  secretKey: string,
): { valid: boolean; accessKeyId?: string } {
  const pairs = queryPairs(rawQuery);
  const query = Object.fromEntries(pairs);
  let credential: string;
  let signedHeaders: string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  const presigned = "X-Amz-Signature" in query;
  if (presigned) {
    credential = query["X-Amz-Credential"] ?? "";
    signedHeaders = (query["X-Amz-SignedHeaders"] ?? "").split(";");
    signature = query["X-Amz-Signature"];
    amzDate = query["X-Amz-Date"] ?? "";
    payloadHash = "UNSIGNED-PAYLOAD";
  } else {
    const authorization = String(headers.authorization ?? "");
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/.exec(
        authorization,
      );
    if (!match) return { valid: false };
    [, credential] = match;
    signedHeaders = match[2].split(";");
    signature = match[3];
    amzDate = String(headers["x-amz-date"] ?? "");
    payloadHash = String(headers["x-amz-content-sha256"] ?? "UNSIGNED-PAYLOAD");
  }
  const [accessKeyId, date, region, service, terminator] = credential.split("/");
  const canonicalQuery = pairs
    .filter(([name]) => !(presigned && name === "X-Amz-Signature"))
    .map(([name, value]) => [rfc3986(name), rfc3986(value)])
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = headers[name];
      const text = Array.isArray(value) ? value.join(",") : (value ?? "");
      return `${name}:${text.trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  const canonicalRequest = [
    method,
    rawPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  const scope = [date, region, service, terminator].join("/");
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, date), region), service), terminator);
  const expected = crypto.createHmac("sha256", signingKey).update(stringToSign).digest("hex");
  return { valid: expected === signature, accessKeyId };
}

// ---------------------------------------------------------------------------------------------
// Registries

export interface Daemon {
  name: string;
  pid: number;
  logFile: string;
  logTail: (lines?: number) => string;
  exited: () => boolean;
  /** SIGTERM, then SIGKILL after killAfterMs; resolves once the process has exited. */
  stop: () => Promise<void>;
}

/**
 * Spawns a long-running process with its output in `<dir>/<name>.log`, tracked like every child
 * (SIGKILLed at exit) and stopped by its pid in stopAll().
 */
export function spawnDaemon(
  name: string,
  command: string,
  args: string[],
  dir: string,
  options: { env?: Record<string, string>; killAfterMs?: number } = {},
): Daemon {
  const logFile = path.join(dir, `${name}.log`);
  const logFd = fs.openSync(logFile, "a");
  const child = spawn(command, args, {
    env: childEnv(options.env),
    stdio: ["ignore", logFd, logFd],
  });
  fs.closeSync(logFd);
  liveChildren.add(child);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.on("exit", () => {
      exited = true;
      liveChildren.delete(child);
      resolve();
    }),
  );
  const logTail = (lines = 20) => {
    try {
      return fs
        .readFileSync(logFile, "utf8")
        .split("\n")
        .slice(-lines - 1)
        .join("\n");
    } catch {
      return "";
    }
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), options.killAfterMs ?? 3000);
      await exitPromise;
      clearTimeout(killer);
    }
  };
  cleanups.push(stop);
  return { name, pid: child.pid ?? -1, logFile, logTail, exited: () => exited, stop };
}

export interface RegistryProcess extends Daemon {
  port: number;
  url: string;
}

/**
 * Writes the config object as YAML and serves it until /v2/ answers (any HTTP status: a cache
 * whose storage is down answers 503). `binary` "v3" is distribution v3.1.1, the version the
 * cache deploys; "2.8" is Debian's, used only as a stand-in for the upstream.
 */
export async function startRegistry(
  name: string,
  config: object,
  port: number,
  dir: string,
  options: { binary?: "v3" | "2.8"; env?: Record<string, string> } = {},
): Promise<RegistryProcess> {
  const configFile = path.join(dir, `${name}.yml`);
  fs.writeFileSync(configFile, stringify(config));
  const binary = options.binary === "2.8" ? "docker-registry" : REGISTRY_V3;
  const daemon = spawnDaemon(name, binary, ["serve", configFile], dir, { env: options.env });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      `registry ${name} on ${url}`,
      async () => {
        if (daemon.exited()) throw new Error(`registry ${name} exited:\n${daemon.logTail()}`);
        return (await httpRequest(`${url}/v2/`, { timeoutMs: 1000 })).status > 0;
      },
      15_000,
    );
  } catch (err) {
    await daemon.stop();
    throw new Error(`${String(err)}\n--- ${name} log ---\n${daemon.logTail()}`);
  }
  return { ...daemon, port, url };
}

/** Local TCP ports the process `pid` listens on, as "address:port" (from /proc). */
export function listeningSockets(pid: number): string[] {
  const inodes = new Set(
    fs
      .readdirSync(`/proc/${pid}/fd`)
      .map((fd) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return "";
        }
      })
      .flatMap((link) => /^socket:\[(\d+)\]$/.exec(link)?.slice(1) ?? []),
  );
  const listening: string[] = [];
  for (const table of ["tcp", "tcp6"]) {
    const lines = fs.readFileSync(`/proc/${pid}/net/${table}`, "utf8").trim().split("\n").slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [address, state, inode] = [fields[1], fields[3], fields[9]];
      if (state !== "0A" || !inodes.has(inode)) continue; // 0A: LISTEN
      const [hexIp, hexPort] = address.split(":");
      const ip =
        hexIp.length === 8
          ? (hexIp.match(/../g) ?? [])
              .reverse()
              .map((h) => parseInt(h, 16))
              .join(".")
          : hexIp === "0".repeat(32)
            ? "[::]"
            : `[${hexIp}]`;
      listening.push(`${ip}:${parseInt(hexPort, 16)}`);
    }
  }
  return listening.sort();
}

/** A filesystem-backed registry, the stand-in for the central ECR registry. */
export function upstreamConfig(port: number, storageDir: string): object {
  return {
    version: "0.1",
    log: { level: "warn" },
    storage: { filesystem: { rootdirectory: storageDir }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}` },
  };
}

// ---------------------------------------------------------------------------------------------
// ECR stand-in: Basic auth for user AWS with one current token, in front of an open registry

export interface GateRequest {
  method: string;
  path: string;
  status: number;
  /** Whether the request carried the current credentials. */
  authorized: boolean;
  /** The password it carried, when it was the current token. */
  token?: string;
}

export interface BasicAuthGate {
  port: number;
  url: string;
  requests: GateRequest[];
  /** Only this token is accepted from now on, as when an ECR token has expired. */
  setToken(token: string): void;
  /** Refuse this repository (403 DENIED) from now on, as ECR does once a grant is taken away. */
  deny(repository: string): void;
  stop(): Promise<void>;
}

/**
 * ECR's front door: every request needs `Authorization: Basic base64(AWS:<token>)`, otherwise
 * 401 with a Basic challenge (what ECR answers on /v2/). Authorized requests are proxied to the
 * open registry on targetPort. `port` reopens a stopped gate where clients expect it.
 */
export async function startBasicAuthGate(
  targetPort: number,
  token: string,
  options: { realmHost?: string; port?: number } = {},
): Promise<BasicAuthGate> {
  let current = token;
  const denied = new Set<string>();
  const expected = () => `Basic ${Buffer.from(`AWS:${current}`).toString("base64")}`;
  const requests: GateRequest[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const authorized = req.headers.authorization === expected();
    const record: GateRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      status: 0,
      authorized,
      token: authorized ? current : undefined,
    };
    res.on("close", () => requests.push(record));
    if (!authorized) {
      req.resume();
      record.status = 401;
      res.writeHead(401, {
        "Content-Type": "application/json",
        "WWW-Authenticate": `Basic realm="https://${options.realmHost ?? "127.0.0.1"}/",service="ecr.amazonaws.com"`,
      });
      res.end(JSON.stringify({ errors: [{ code: "DENIED", message: "Not Authorized" }] }));
      return;
    }
    const repository = /^\/v2\/(.+)\/(manifests|blobs|tags)\//.exec(req.url ?? "")?.[1];
    if (repository && denied.has(repository)) {
      req.resume();
      record.status = 403;
      res.writeHead(403, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "DENIED", message: "access denied" }] }));
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const upstream = http.request(
      { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, headers, agent },
      (targetRes) => {
        record.status = targetRes.statusCode ?? 502;
        res.writeHead(record.status, targetRes.headers);
        targetRes.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      record.status = record.status || 502;
      res.destroy(err);
    });
    req.pipe(upstream);
  });
  const port = await listen(server, options.port);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    agent.destroy();
    await closeServer(server);
  };
  cleanups.push(stop);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    setToken: (t) => (current = t),
    deny: (repository) => denied.add(repository),
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// Byte counter: a TCP proxy that counts what the registry behind it sends to clients

export interface CountingProxy {
  port: number;
  url: string;
  /** Bytes the target sent towards clients since the last reset. */
  bytesFromTarget(): number;
  reset(): void;
  /**
   * "forward" (default); "blackhole": accept connections and never answer, like a host that
   * drops packets after the handshake.
   */
  setMode(mode: "forward" | "blackhole"): void;
}

export async function startCountingProxy(targetPort: number): Promise<CountingProxy> {
  let bytes = 0;
  let mode: "forward" | "blackhole" = "forward";
  const sockets = new Set<net.Socket>();
  const held = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("error", () => client.destroy()).on("close", () => sockets.delete(client));
    if (mode === "blackhole") {
      held.add(client);
      client.resume();
      return;
    }
    const target = net.connect(targetPort, "127.0.0.1");
    sockets.add(target);
    target.on("data", (d: Buffer) => (bytes += d.length));
    client.pipe(target);
    target.pipe(client);
    target.on("error", () => {
      // Target down: reset the client, the closest a proxy gets to "connection refused".
      client.resetAndDestroy();
      target.destroy();
    });
    target.on("close", () => {
      sockets.delete(target);
      client.end();
    });
    client.on("close", () => target.destroy());
  });
  const port = await listen(server);
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await closeServer(server);
  });
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    bytesFromTarget: () => bytes,
    reset: () => (bytes = 0),
    setMode: (m) => {
      mode = m;
      if (m === "forward") {
        for (const socket of held) socket.destroy();
        held.clear();
      }
    },
  };
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
