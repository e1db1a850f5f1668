/**
 * The processes, servers and temp dirs the integration tests start: tool checks, spawning and
 * running commands, long-running daemons, ports, and their release.
 *
 * Every process, server and temp dir started through these modules is tracked and released by
 * stopAll(), except s3rver's data dir (see startS3), which a process 'exit' hook removes; that
 * hook also SIGKILLs any child left over if the run is torn down abruptly.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";

// ---------------------------------------------------------------------------------------------
// Tools

const ROOT = path.resolve(__dirname, "../../..");
/** distribution v3.1.1, the registry the cache deploys, built by .ci/install-tools (tools/registry). */
export const REGISTRY_V3 = path.join(ROOT, ".tools/bin/registry");
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
  "registry-v3": "bash .ci/install-tools registry",
  helm: "bash .ci/install-helm",
  nginx: "apt-get install nginx-light",
  ip: "apt-get install iproute2 (and root, or sudo without a password, for ip netns)",
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

// ---------------------------------------------------------------------------------------------
// Daemons

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

// ---------------------------------------------------------------------------------------------
// Ports and servers

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

/** REGISTRY_IT_VERBOSE=1 prints the measurements behind each assertion. */
export function note(message: string): void {
  if (process.env.REGISTRY_IT_VERBOSE) process.stdout.write(`      | ${message}\n`);
}
