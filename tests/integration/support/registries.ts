/**
 * Registries: distribution (v3.1.1, or Debian's 2.8 as the upstream) started from a config
 * object, the Basic-auth gate that stands in for ECR, a byte-counting TCP proxy, and the
 * sockets a process listens on.
 */
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { stringify } from "yaml";
import {
  Daemon,
  REGISTRY_V3,
  closeServer,
  listen,
  onCleanup,
  spawnDaemon,
  waitFor,
} from "./processes";

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
// Registries

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
  /** Serve it again, as ECR does once the repository is granted. */
  allow(repository: string): void;
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
  onCleanup(stop);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    setToken: (t) => (current = t),
    deny: (repository) => denied.add(repository),
    allow: (repository) => denied.delete(repository),
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
  onCleanup(async () => {
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
