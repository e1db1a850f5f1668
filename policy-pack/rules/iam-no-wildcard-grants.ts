// Rule "iam-no-wildcard-grants". Only types come from @pulumi/policy: see ../policies.ts.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isWildcardAction } from "../helpers/actions";
import { asList, isAllow, label, quoteList, validatePolicyInput } from "../helpers/policy-document";
import { POLICY_DOCUMENT_TYPES } from "../helpers/resource-types";

/** The only action that may be granted on Resource "*": it has no resource type. */
const RESOURCELESS_ACTIONS = new Set(["ecr:getauthorizationtoken"]);

export const noWildcardGrants: ResourceValidationPolicy = {
  name: "iam-no-wildcard-grants",
  description:
    'Allow statements in IAM, ECR and S3 policies list their actions (no "*" or "service:*") ' +
    'and name their resources; Resource "*" only for ecr:GetAuthorizationToken.',
  validateResource: validatePolicyInput(POLICY_DOCUMENT_TYPES, "policy", (statements, report) => {
    statements.forEach((s, i) => {
      if (!isAllow(s)) {
        return;
      }
      const where = label(s, i);
      const actions = asList(s.Action);
      const wildcards = actions.filter(isWildcardAction);
      if (wildcards.length > 0) {
        report(
          `${where} allows wildcard action(s) ${quoteList(wildcards)}; ` +
            "list the actions it needs.",
        );
      }
      if (s.NotAction !== undefined) {
        report(`${where} combines Allow with NotAction, which allows every other action.`);
      }
      if (s.NotResource !== undefined) {
        report(`${where} combines Allow with NotResource, which allows every other resource.`);
      }
      if (asList(s.Resource).includes("*")) {
        const scoped = actions.filter((a) => !RESOURCELESS_ACTIONS.has(a.toLowerCase()));
        if (scoped.length > 0) {
          report(
            `${where} allows Resource "*" for ${quoteList(scoped)}; ` +
              'only ecr:GetAuthorizationToken may use Resource "*": ' +
              "name the repository, bucket or object ARNs instead.",
          );
        }
      }
    });
  }),
};
