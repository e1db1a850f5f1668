/** Evaluates the program's policies with an offline IAM simulator (@cloud-copilot/iam-simulate). */
import { EvaluationResult, runSimulation } from "@cloud-copilot/iam-simulate";
import { PolicyDocument, accountOfArn } from "../policies/document";

/** "Allowed", "ImplicitlyDenied" or "ExplicitlyDenied". */
export type Decision = EvaluationResult;

export interface SimulatedRequest {
  principalArn: string;
  identityPolicies: PolicyDocument[];
  action: string;
  resourceArn: string;
  resourcePolicy?: PolicyDocument;
  /** Only for organization mode: the org the principal's account belongs to. */
  principalOrgId?: string;
}

export async function simulate(request: SimulatedRequest): Promise<Decision> {
  const principalAccount = accountOfArn(request.principalArn);
  const result = await runSimulation(
    {
      request: {
        principal: request.principalArn,
        action: request.action,
        resource: {
          resource: request.resourceArn,
          // "*" and S3 ARNs name no account: the resource is the principal's own account's.
          accountId:
            (request.resourceArn !== "*" && accountOfArn(request.resourceArn)) || principalAccount,
        },
        // The simulator does not derive these from the principal; without them every
        // ArnNotEquals deny would also hit the roles it exempts.
        contextVariables: {
          "aws:PrincipalArn": request.principalArn,
          "aws:PrincipalAccount": principalAccount,
          ...(request.principalOrgId && { "aws:PrincipalOrgID": request.principalOrgId }),
        },
      },
      identityPolicies: request.identityPolicies.map((policy, i) => ({
        name: `identity-${i}`,
        policy,
      })),
      resourcePolicy: request.resourcePolicy,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === "error") {
    throw new Error(`the simulator rejected the request: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}
