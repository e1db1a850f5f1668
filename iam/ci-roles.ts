/**
 * The roles CI acts as, which the program does not create (they must exist before its first run)
 * but whose trust decides what a pull request's code can do. Three roles in the CI account, one
 * per GitHub OIDC subject, and in each account the program acts in a preview role and a deploy
 * role that trust only the matching CI role:
 *   pull_request               -> ci preview role -> each account's previewRoleArn (read-only)
 *   ref:refs/heads/main        -> ci sandbox role -> the sandbox stack's deployRoleArn
 *   environment:production     -> ci prod role    -> the prod stack's deployRoleArn
 */
import { PolicyDocument, oneOrMany, policyDocument } from "./document";

export const GITHUB_OIDC_ISSUER = "token.actions.githubusercontent.com";

export type CiJob = "preview" | "sandbox" | "prod";

/** The OIDC subject of each job's token for `repository` (owner/name). */
export function ciSubject(repository: string, job: CiJob): string {
  if (job === "preview") return `repo:${repository}:pull_request`;
  if (job === "sandbox") return `repo:${repository}:ref:refs/heads/main`;
  return `repo:${repository}:environment:production`;
}

/** The trust of a CI role: GitHub's OIDC tokens for exactly one subject of the repository. */
export function ciRoleTrust(
  partition: string,
  ciAccountId: string,
  repository: string,
  job: CiJob,
): PolicyDocument {
  return policyDocument([
    {
      Effect: "Allow",
      Principal: {
        Federated: `arn:${partition}:iam::${ciAccountId}:oidc-provider/${GITHUB_OIDC_ISSUER}`,
      },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          [`${GITHUB_OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
          [`${GITHUB_OIDC_ISSUER}:sub`]: ciSubject(repository, job),
        },
      },
    },
  ]);
}

/** What a CI role may do itself: assume the given roles (its job's role in each account). */
export function ciRolePolicy(assumable: readonly string[]): PolicyDocument {
  return policyDocument([
    { Effect: "Allow", Action: "sts:AssumeRole", Resource: oneOrMany(assumable) },
  ]);
}

/** The trust of an account's preview or deploy role: the one CI role of that job. */
export function accountRoleTrust(ciRoleArn: string): PolicyDocument {
  return policyDocument([
    { Effect: "Allow", Principal: { AWS: ciRoleArn }, Action: "sts:AssumeRole" },
  ]);
}
