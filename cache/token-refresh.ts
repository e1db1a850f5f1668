/**
 * Keeping the cache's ECR credentials fresh without restarts and without the token ever
 * entering Pulumi state, Helm values or logs.
 *
 * A native sidecar (an init container with restartPolicy Always) runs REFRESHER_SCRIPT with
 * the pod's IRSA role: it writes a token to a memory-backed emptyDir before the registry
 * starts (its startup probe waits for the file) and every REFRESH_SECONDS after. The
 * registry's `proxy.exec` runs CREDENTIAL_HELPER_SCRIPT, a Docker credential helper that
 * prints the current token, and caches the answer for HELPER_LIFETIME_SECONDS.
 */

/** ECR authorization tokens are valid for 12 hours (GetAuthorizationToken API reference). */
export const TOKEN_VALIDITY_SECONDS = 12 * 3600;
export const REFRESH_SECONDS = 6 * 3600;
/** After a failed fetch the refresher tries again this soon, not a whole period later. */
export const RETRY_SECONDS = 60;
export const HELPER_LIFETIME_SECONDS = 3600;

export const TOKEN_DIR = "/var/run/ecr-token";
export const TOKEN_FILE = `${TOKEN_DIR}/password`;
export const SCRIPTS_DIR = "/etc/registry-hub";
export const CREDENTIAL_HELPER_PATH = `${SCRIPTS_DIR}/ecr-credential-helper`;
export const REFRESHER_PATH = `${SCRIPTS_DIR}/ecr-token-refresher`;

/**
 * The oldest token the registry can hold: fetched just before a refresh that fails until
 * the retries succeed, read by the helper just before that, and cached for the helper's
 * lifetime. Must stay below TOKEN_VALIDITY_SECONDS.
 */
export function worstCaseTokenAgeSeconds(failedRetries: number): number {
  return REFRESH_SECONDS + failedRetries * RETRY_SECONDS + HELPER_LIFETIME_SECONDS;
}

/** Docker credential helper protocol: `<helper> get`, server URL on stdin, JSON on stdout. */
export const CREDENTIAL_HELPER_SCRIPT = `#!/bin/sh
set -eu
[ "\${1:-}" = get ] || { echo "usage: $0 get" >&2; exit 1; }
cat >/dev/null
token_file="\${ECR_TOKEN_FILE:-${TOKEN_FILE}}"
if [ ! -s "$token_file" ]; then
  echo "no ECR token in $token_file yet" >&2
  exit 1
fi
printf '{"Username":"AWS","Secret":"%s"}\\n' "$(cat "$token_file")"
`;

/** Writes through a temporary file and a rename, so the helper never reads half a token. */
export const REFRESHER_SCRIPT = `#!/bin/sh
set -u
token_file="\${ECR_TOKEN_FILE:-${TOKEN_FILE}}"
refresh="\${REFRESH_SECONDS:-${REFRESH_SECONDS}}"
retry="\${RETRY_SECONDS:-${RETRY_SECONDS}}"
umask 077
while :; do
  if aws ecr get-login-password --region "$ECR_REGION" >"$token_file.tmp" && [ -s "$token_file.tmp" ]; then
    mv "$token_file.tmp" "$token_file"
    echo "ECR token refreshed; next refresh in \${refresh}s"
    sleep "$refresh"
  else
    rm -f "$token_file.tmp"
    echo "ECR token refresh failed; retrying in \${retry}s" >&2
    sleep "$retry"
  fi
done
`;
