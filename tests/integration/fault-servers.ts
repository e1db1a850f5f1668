/**
 * What a sick cache looks like from a node, on 127.0.0.1: nothing listening, an HTTP error for
 * everything, garbage instead of HTTP, a socket that never answers, and one that never answers
 * until its liveness probe kills it (then every connection and the listener close). Plus an
 * upstream stand-in that demands Basic auth like ECR, in front of an open local registry.
 *
 * Every server registers its own release with the harness's stopAll().
 */
import * as http from "http";
import * as net from "net";
import { closeServer, freePort, listen, onCleanup, pseudoRandomBytes } from "./harness";

export type FaultKind =
  "stopped" | "http500" | "http404" | "garbage" | "silent" | "silentThenClose";

export interface FaultServer {
  kind: FaultKind;
  port: number;
  /** TCP connections accepted so far (0 for "stopped", which has no listener). */
  connections(): number;
  /** For silentThenClose: resolves with Date.now() once every connection and the listener are closed. */
  closed: Promise<number>;
  stop(): Promise<void>;
}

export interface FaultOptions {
  /** silentThenClose: seconds from start ("hangs") to "port closed" (the liveness kill). */
  silentThenCloseAfterSeconds?: number;
}

const REGISTRY_ERROR = (status: number) =>
  JSON.stringify({
    errors: [{ code: status === 404 ? "NAME_UNKNOWN" : "UNKNOWN", message: `fault ${status}` }],
  });

export async function startFaultServer(
  kind: FaultKind,
  options: FaultOptions = {},
): Promise<FaultServer> {
  if (kind === "stopped") {
    // A port that was free a moment ago: connecting is refused, as after the cache pod is gone.
    const port = await freePort();
    return {
      kind,
      port,
      connections: () => 0,
      closed: Promise.resolve(Date.now()),
      stop: () => Promise.resolve(),
    };
  }

  let connections = 0;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => socket.destroy()).on("close", () => sockets.delete(socket));
  };

  let server: net.Server;
  if (kind === "http500" || kind === "http404") {
    const status = kind === "http500" ? 500 : 404;
    const httpServer = http.createServer((req, res) => {
      req.resume();
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(REGISTRY_ERROR(status));
    });
    httpServer.on("connection", track);
    server = httpServer;
  } else {
    server = net.createServer((socket) => {
      track(socket);
      if (kind === "garbage") {
        // Not HTTP: answer the first bytes of a request with noise, then hang up.
        socket.once("data", () => socket.end(pseudoRandomBytes(512, "garbage")));
        return;
      }
      // silent / silentThenClose: read everything, answer nothing.
      socket.resume();
    });
  }
  const port = await listen(server);

  let listening = true;
  const shutDown = async () => {
    if (!listening) return;
    listening = false;
    for (const socket of sockets) socket.destroy();
    await closeServer(server);
  };
  let timer: NodeJS.Timeout | undefined;
  let closed: Promise<number> = new Promise<number>(() => undefined);
  if (kind === "silentThenClose") {
    const seconds = options.silentThenCloseAfterSeconds;
    if (seconds === undefined) throw new Error("silentThenClose needs silentThenCloseAfterSeconds");
    closed = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        void shutDown().then(() => resolve(Date.now()));
      }, seconds * 1000);
    });
  }
  const stop = async () => {
    if (timer) clearTimeout(timer);
    await shutDown();
  };
  onCleanup(stop);
  return { kind, port, connections: () => connections, closed, stop };
}

export interface GateRequest {
  method: string;
  path: string;
  status: number;
  /** Whether the request carried the expected Basic credentials. */
  authorized: boolean;
}

export interface BasicAuthGate {
  port: number;
  url: string;
  requests: GateRequest[];
}

/**
 * ECR's front door: every request needs `Authorization: Basic base64(AWS:<token>)`, otherwise
 * 401 with a Basic challenge (what ECR answers on /v2/). Authorized requests are proxied to the
 * open registry on targetPort.
 */
export async function startBasicAuthGate(
  targetPort: number,
  user: string,
  password: string,
  realmHost: string,
): Promise<BasicAuthGate> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const requests: GateRequest[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const record: GateRequest = {
      method: req.method ?? "",
      path: req.url ?? "",
      status: 0,
      authorized: req.headers.authorization === expected,
    };
    res.on("close", () => requests.push(record));
    if (!record.authorized) {
      req.resume();
      record.status = 401;
      res.writeHead(401, {
        "Content-Type": "application/json",
        "WWW-Authenticate": `Basic realm="https://${realmHost}/",service="ecr.amazonaws.com"`,
      });
      res.end(JSON.stringify({ errors: [{ code: "DENIED", message: "Not Authorized" }] }));
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
  const port = await listen(server);
  onCleanup(async () => {
    agent.destroy();
    await closeServer(server);
  });
  return { port, url: `http://127.0.0.1:${port}`, requests };
}
