/**
 * The cache's metrics on the node's address: nginx passes GET /metrics to the registry's debug
 * listener (127.0.0.1) and answers 404 to everything else, so pprof and expvar stay on the node.
 * It listens on the node's own address only (status.hostIP, written into the config by its
 * start script), not on every interface, and idle connections cannot starve it: it takes
 * thousands of connections and closes one that sends no request within seconds.
 */
import { debugAddress } from "./registry-config";

export const METRICS_PROXY_CONFIG_KEY = "metrics-proxy.conf";
/** The start script's key among the chart's scripts. */
export const METRICS_PROXY_START_KEY = "metrics-proxy-start";
/** Where the config names the node's address, which the start script fills in. */
export const NODE_IP_PLACEHOLDER = "__NODE_IP__";
const TEMP_DIR = "/tmp";

/**
 * The proxy's start script, for the config mounted in `configDir`. Runs with $NODE_IP from the
 * downward API (status.hostIP); an IPv6 address gets brackets.
 */
export function metricsProxyStartScript(configDir: string): string {
  return `set -eu
case "$NODE_IP" in *:*) NODE_IP="[$NODE_IP]" ;; esac
sed "s/${NODE_IP_PLACEHOLDER}/$NODE_IP/" "${configDir}/${METRICS_PROXY_CONFIG_KEY}" > ${TEMP_DIR}/nginx.conf
exec nginx -e stderr -c ${TEMP_DIR}/nginx.conf -g "daemon off;"
`;
}

/** Its pid and buffers go to /tmp, which the non-root user may write. */
export function metricsProxyConfig(cachePort: number, metricsPort: number): string {
  const tempDir = TEMP_DIR;
  return `worker_processes 1;
worker_rlimit_nofile 8192;
pid ${tempDir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_header_timeout 5s;
  client_body_timeout 5s;
  keepalive_timeout 5s;
  send_timeout 5s;
  reset_timedout_connection on;
  client_body_temp_path ${tempDir}/client_body;
  proxy_temp_path ${tempDir}/proxy;
  fastcgi_temp_path ${tempDir}/fastcgi;
  uwsgi_temp_path ${tempDir}/uwsgi;
  scgi_temp_path ${tempDir}/scgi;
  server {
    listen ${NODE_IP_PLACEHOLDER}:${metricsPort};
    location = /metrics {
      limit_except GET { deny all; }
      proxy_pass http://${debugAddress(cachePort)}/metrics;
    }
    location / { return 404; }
  }
}
`;
}
