/**
 * npm run aws-profiles -- --stack NAME [--config-file PATH] --role deploy|preview [--source-profile NAME]
 *
 * Prints the AWS config file (for AWS_CONFIG_FILE) with one profile per account the stack's
 * program acts in, named as its providers and kubeconfigs name them. Each profile assumes the
 * account's deploy role (`--role deploy`, for `pulumi up`) or its read-only preview role
 * (`--role preview`, for pull-request previews), from the environment's credentials (CI's OIDC
 * role) or from --source-profile (a person's own profile). The program itself names no role, so
 * the same program previews read-only and deploys with write access.
 *
 * Exit codes: 0 printed; 2 the command line, the stack file or the config is wrong, or an
 * account has no role of the kind asked for (every problem on stderr); 1 anything else.
 */
import { parseArgs } from "node:util";
import { display } from "../config/display";
import { StackFileError, readStackFile } from "../config/stack-file";
import { formatProblems } from "../config/validate";
import { awsProfileName } from "../naming/aws";
import { CredentialTarget, credentialTargets } from "../plan/credentials";
import { prepare } from "../prepare";

const USAGE =
  "usage: npm run aws-profiles -- --stack NAME [--config-file PATH] --role deploy|preview [--source-profile NAME]";

class UserError extends Error {}

const ROLE_KEYS = { deploy: "deployRoleArn", preview: "previewRoleArn" } as const;
type Role = keyof typeof ROLE_KEYS;

/** The config file text, or every account that has no role of the kind asked for. */
export function renderProfiles(
  stack: string,
  targets: readonly CredentialTarget[],
  role: Role,
  sourceProfile?: string,
): { ok: true; text: string } | { ok: false; problems: string[] } {
  const key = ROLE_KEYS[role];
  const missing = targets.filter((t) => !t[key]);
  if (missing.length > 0) {
    return {
      ok: false,
      problems: missing.map(
        (t) =>
          `${t.configPath}.${key}: not set; a ${role} of this stack needs a role of account ${t.accountId} to act there`,
      ),
    };
  }
  const source = sourceProfile
    ? `source_profile = ${sourceProfile}`
    : "credential_source = Environment";
  const sections = targets.map((t) =>
    [
      `[profile ${awsProfileName(stack, t.name)}]`,
      `role_arn = ${t[key]}`,
      `role_session_name = registry-hub-${role}`,
      source,
      `region = ${t.region}`,
    ].join("\n"),
  );
  return { ok: true, text: `${sections.join("\n\n")}\n` };
}

function options() {
  try {
    return parseArgs({
      options: {
        stack: { type: "string" },
        "config-file": { type: "string" },
        role: { type: "string" },
        "source-profile": { type: "string" },
      },
    }).values;
  } catch (error) {
    throw new UserError(`${(error as Error).message.split("\n")[0]}\n${USAGE}`);
  }
}

function main(): Promise<void> {
  const values = options();
  if (!values.stack) throw new UserError(`give --stack NAME\n${USAGE}`);
  if (values.role !== "deploy" && values.role !== "preview") {
    throw new UserError(`give --role deploy or --role preview\n${USAGE}`);
  }
  if (values["source-profile"] !== undefined && !/^[\w.-]+$/.test(values["source-profile"])) {
    throw new UserError(
      `--source-profile: ${display(values["source-profile"])} is not a profile name`,
    );
  }
  const file = values["config-file"] ?? `Pulumi.${values.stack}.yaml`;
  const prepared = prepare(readStackFile(file));
  if (!prepared.ok) {
    throw new UserError(
      `${display(file)}: invalid registry-hub config:\n${formatProblems(prepared.problems)}`,
    );
  }
  const rendered = renderProfiles(
    values.stack,
    credentialTargets(prepared.model),
    values.role,
    values["source-profile"],
  );
  if (!rendered.ok) {
    throw new UserError(`${display(file)}:\n${formatProblems(rendered.problems)}`);
  }
  return new Promise((resolve) => process.stdout.write(rendered.text, () => resolve()));
}

if (require.main === module) {
  Promise.resolve()
    .then(main)
    .then(
      () => (process.exitCode = 0),
      (error: unknown) => {
        if (error instanceof UserError) console.error(error.message);
        else if (error instanceof StackFileError) console.error(error.problems.join("\n"));
        else console.error(error instanceof Error ? error.message : String(error));
        process.exitCode = error instanceof UserError || error instanceof StackFileError ? 2 : 1;
      },
    );
}
