/**
 * A network namespace with a veth pair to this one, as a pod's namespace is joined to its node:
 * the host end's address plays the node's, the other end is the pod's. Needs root (or sudo
 * without a password), as `ip netns` does; everything it creates is removed by stop().
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import { Daemon, spawnDaemon } from "./processes";

export interface NetworkNamespace {
  name: string;
  /** The node's side: an address of this namespace. */
  hostIp: string;
  /** The pod's side, inside the namespace. */
  podIp: string;
  /** A process inside the namespace; output() is what it printed so far. */
  spawn(command: string, args: string[]): Daemon & { output: () => string };
  stop(): Promise<void>;
}

const asRoot = (args: string[]) => (process.getuid?.() === 0 ? args : ["sudo", "-n", ...args]);
const run = (args: string[]) => {
  const [command, ...rest] = asRoot(args);
  execFileSync(command, rest, { stdio: "pipe" });
};

export function startNetworkNamespace(prefix: string, dir: string): NetworkNamespace {
  const n = process.pid % 200;
  const name = `${prefix}-${process.pid}`;
  const [hostEnd, podEnd] = [`rhh${process.pid % 100000}`, `rhp${process.pid % 100000}`];
  const [hostIp, podIp] = [`10.213.${n}.1`, `10.213.${n}.2`];
  const daemons: Daemon[] = [];
  run(["ip", "netns", "add", name]);
  try {
    run(["ip", "link", "add", hostEnd, "type", "veth", "peer", "name", podEnd]);
    run(["ip", "link", "set", podEnd, "netns", name]);
    run(["ip", "addr", "add", `${hostIp}/30`, "dev", hostEnd]);
    run(["ip", "link", "set", hostEnd, "up"]);
    run(["ip", "netns", "exec", name, "ip", "addr", "add", `${podIp}/30`, "dev", podEnd]);
    run(["ip", "netns", "exec", name, "ip", "link", "set", podEnd, "up"]);
    run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"]);
  } catch (error) {
    run(["ip", "netns", "del", name]);
    throw error;
  }
  return {
    name,
    hostIp,
    podIp,
    spawn(command, args) {
      const [first, ...rest] = asRoot(["ip", "netns", "exec", name, command, ...args]);
      const daemon = spawnDaemon(`${name}-${daemons.length}`, first, rest, dir, {
        killAfterMs: 1000,
      });
      daemons.push(daemon);
      return { ...daemon, output: () => fs.readFileSync(daemon.logFile, "utf8") };
    },
    async stop() {
      for (const daemon of daemons) await daemon.stop();
      // Deleting the namespace removes the pod's end, and with it the pair.
      run(["ip", "netns", "del", name]);
    },
  };
}

/**
 * A node script: opens `count` TCP connections to host:port, starts a request on each that it
 * never finishes (half a header, as a slow client), prints "open <count>" and keeps them so.
 */
export function idleConnectionsScript(host: string, port: number, count: number): string {
  return `
const net = require("net");
let open = 0;
const sockets = [];
for (let i = 0; i < ${count}; i++) {
  const socket = net.connect(${port}, ${JSON.stringify(host)}, () => {
    socket.write("GET /metrics HTTP/1.1\\r\\nHost: node\\r\\n");
    open++;
    if (open === ${count}) console.log("open ${count}");
  });
  socket.on("error", () => {});
  sockets.push(socket);
}
setInterval(() => {}, 1000);
`;
}
