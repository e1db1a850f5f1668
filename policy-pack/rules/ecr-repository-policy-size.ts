// Rule "ecr-repository-policy-size". Only types come from @pulumi/policy: see ../policies.ts.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ResourceTypes } from "../helpers/resource-types";

/** ECR rejects repository policies longer than this many characters. */
export const MAX_REPOSITORY_POLICY_LENGTH = 10_240;

export const ecrRepositoryPolicySize: ResourceValidationPolicy = {
  name: "ecr-repository-policy-size",
  description: `ECR repository policies are at most ${MAX_REPOSITORY_POLICY_LENGTH} characters long.`,
  validateResource: (args, reportViolation) => {
    if (args.type !== ResourceTypes.ecrRepositoryPolicy) {
      return;
    }
    const policy = args.props["policy"] as unknown;
    const text = typeof policy === "string" ? policy : JSON.stringify(policy ?? "");
    if (text.length > MAX_REPOSITORY_POLICY_LENGTH) {
      reportViolation(
        `the repository policy is ${text.length} characters long; ECR accepts at most ` +
          `${MAX_REPOSITORY_POLICY_LENGTH}. Grant whole accounts or organisational units ` +
          "instead of listing many principals.",
      );
    }
  },
};
