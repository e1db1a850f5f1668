/**
 * The service control policy on the registry account: what repository policies cannot reach.
 * Registry-level ECR actions have no resource, so only an SCP denies them; and deleting or
 * creating a repository is denied here too, so a repository whose policy was removed, or one
 * created beside the managed ones, is still covered.
 */
import { REGISTRY_ACTIONS } from "./ecr-actions";
import { PolicyDocument, oneOrMany, policyDocument } from "./document";

/** AWS Organizations' limit for one SCP document. */
export const SCP_SIZE_LIMIT = 5_120;

export const GUARDRAIL_ACTIONS = [
  ...REGISTRY_ACTIONS,
  "ecr:CreateRepository",
  "ecr:DeleteRepository",
].sort();

export interface RegistryGuardrail {
  adminArns: string[];
  deployRoleArn: string;
}

export function registryGuardrailPolicy(guardrail: RegistryGuardrail): PolicyDocument {
  return policyDocument([
    {
      Sid: "DenyRegistryChangesExceptAdminsAndDeployRole",
      Effect: "Deny",
      Action: GUARDRAIL_ACTIONS,
      Resource: "*",
      // SCPs never apply to service-linked roles or the management account: no exemption needed.
      Condition: {
        ArnNotEquals: {
          "aws:PrincipalArn": oneOrMany([...guardrail.adminArns, guardrail.deployRoleArn]),
        },
      },
    },
  ]);
}
