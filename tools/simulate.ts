/** Evaluates the program's policies with an offline IAM simulator (@cloud-copilot/iam-simulate). */
import { EvaluationResult, runSimulation } from "@cloud-copilot/iam-simulate";
import { PolicyDocument } from "../iam/document";
import { accountOfArn } from "../naming/aws";

/** "Allowed", "ImplicitlyDenied" or "ExplicitlyDenied". */
export type Decision = EvaluationResult;

export interface SimulatedRequest {
  /** A role ARN, or an AWS service principal such as lambda.amazonaws.com. */
  principalArn: string;
  identityPolicies: PolicyDocument[];
  action: string;
  resourceArn: string;
  resourcePolicy?: PolicyDocument;
  /** Only for organization mode: the org the principal's account belongs to. */
  principalOrgId?: string;
  /** Service control policies of the principal's account, besides AWS's FullAWSAccess. */
  serviceControlPolicies?: PolicyDocument[];
  /**
   * Further request keys, such as kms:ViaService for a call an AWS service makes for the caller,
   * aws:SecureTransport "false" for a request without TLS (every request uses TLS otherwise), or
   * s3:ResourceAccount for a bucket in another account (otherwise the resource's account).
   */
  context?: Record<string, string>;
}

/** AWS attaches it to every root, OU and account; without it an SCP denies everything. */
const FULL_AWS_ACCESS: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};

export function isServicePrincipal(principal: string): boolean {
  return !principal.startsWith("arn:");
}

export async function simulate(request: SimulatedRequest): Promise<Decision> {
  const service = isServicePrincipal(request.principalArn);
  const principalAccount = service ? undefined : accountOfArn(request.principalArn);
  const resourceAccount = request.resourceArn !== "*" && accountOfArn(request.resourceArn);
  const scps = request.serviceControlPolicies;
  const resource = {
    resource: request.resourceArn,
    // "*" and S3 ARNs name no account: the resource is the principal's own account's.
    accountId: resourceAccount || principalAccount || "",
  };
  const result = await runSimulation(
    {
      request: {
        principal: request.principalArn,
        action: request.action,
        resource,
        // The simulator does not derive these from the principal; without them every
        // ArnNotEquals deny would also hit the roles it exempts. A service principal's request
        // carries none of these keys, as in AWS.
        contextVariables: {
          ...(principalAccount && {
            "aws:PrincipalArn": request.principalArn,
            "aws:PrincipalAccount": principalAccount,
          }),
          ...(principalAccount &&
            request.principalOrgId && { "aws:PrincipalOrgID": request.principalOrgId }),
          "aws:SecureTransport": "true",
          // AWS sets it on every S3 request: the account that owns the bucket.
          ...(request.action.startsWith("s3:") &&
            resource.accountId && { "s3:ResourceAccount": resource.accountId }),
          ...request.context,
        },
      },
      identityPolicies: request.identityPolicies.map((policy, i) => ({
        name: `identity-${i}`,
        policy,
      })),
      resourcePolicy: request.resourcePolicy,
      serviceControlPolicies:
        scps && principalAccount
          ? [
              {
                orgIdentifier: "r-root",
                policies: [{ name: "FullAWSAccess", policy: FULL_AWS_ACCESS }],
              },
              {
                orgIdentifier: principalAccount,
                policies: [
                  { name: "FullAWSAccess", policy: FULL_AWS_ACCESS },
                  ...scps.map((policy, i) => ({ name: `scp-${i}`, policy })),
                ],
              },
            ]
          : [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") {
    throw new Error(`the simulator rejected the request: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}
