/**
 * How nodes use their cluster's cache: containerd's per-registry hosts file sends the fetches
 * of the central registry's content to the cache on the node's own 127.0.0.1 first and falls
 * back to ECR itself.
 *
 * The cache is trusted with content addressed by digest only ("pull", not "resolve"): a tag is
 * always resolved to its digest at ECR, over TLS, and containerd checks every manifest and blob
 * the cache returns against the digest it asked for. The port is plain HTTP on an unprivileged
 * port that any process of the node may bind while the cache is down; whoever holds it can then
 * fail or slow a pull, but not make the node run its image. The cost: while ECR is down, pulls by
 * tag fail on the node (pulls by digest still come from the cache).
 */
export function mirrorHostsToml(registryHost: string, port: number): string {
  return [
    `server = "https://${registryHost}"`,
    "",
    `[host."http://127.0.0.1:${port}"]`,
    '  capabilities = ["pull"]',
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
