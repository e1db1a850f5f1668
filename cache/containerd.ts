/**
 * How nodes use their cluster's cache: containerd's per-registry hosts file sends pulls of
 * the central registry to the cache on the node's own 127.0.0.1 first and falls back to ECR itself.
 */

export function mirrorHostsToml(registryHost: string, port: number): string {
  return [
    `server = "https://${registryHost}"`,
    "",
    `[host."http://127.0.0.1:${port}"]`,
    '  capabilities = ["pull", "resolve"]',
    "",
  ].join("\n");
}

/** Node user data: containerd reads certs.d on every pull, so no restart is needed. */
export function mirrorUserData(registryHost: string, port: number): string {
  const dir = `/etc/containerd/certs.d/${registryHost}`;
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    `mkdir -p ${dir}`,
    `cat > ${dir}/hosts.toml <<'HOSTS'`,
    mirrorHostsToml(registryHost, port) + "HOSTS",
    "",
  ].join("\n");
}
