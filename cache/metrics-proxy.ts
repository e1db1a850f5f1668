/**
 * The cache's metrics on the node's address: nginx passes GET /metrics to the registry's debug
 * listener (127.0.0.1) and answers 404 to everything else, so pprof and expvar stay on the node.
 */
import { debugAddress } from "./registry-config";

export const METRICS_PROXY_CONFIG_KEY = "metrics-proxy.conf";

/** Its pid and buffers go to /tmp, which the non-root user may write. */
export function metricsProxyConfig(cachePort: number, metricsPort: number): string {
  const tempDir = "/tmp";
  return `worker_processes 1;
pid ${tempDir}/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${tempDir}/client_body;
  proxy_temp_path ${tempDir}/proxy;
  fastcgi_temp_path ${tempDir}/fastcgi;
  uwsgi_temp_path ${tempDir}/uwsgi;
  scgi_temp_path ${tempDir}/scgi;
  server {
    listen ${metricsPort};
    location = /metrics {
      limit_except GET { deny all; }
      proxy_pass http://${debugAddress(cachePort)}/metrics;
    }
    location / { return 404; }
  }
}
`;
}
