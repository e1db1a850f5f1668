/**
 * What a sick cache looks like from a node, on 127.0.0.1: nothing listening, an HTTP error for
 * everything, garbage instead of HTTP, a socket that never answers, and one that never answers
 * until its liveness probe kills it (then every connection and the listener close).
 *
 * Every server registers its own release with stopAll() (processes.ts).
 */
import * as http from "http";
import * as net from "net";
import { pseudoRandomBytes } from "./images";
import { closeServer, freePort, listen, onCleanup } from "./processes";

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
