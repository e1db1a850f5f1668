// Rule "iam-irsa-trust-pinned". Only types come from @pulumi/policy: see ../policies.ts.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { actionMatches } from "../helpers/actions";
import {
  asList,
  isAllow,
  label,
  quoteList,
  Statement,
  validatePolicyInput,
} from "../helpers/policy-document";
import { ResourceTypes } from "../helpers/resource-types";

const SERVICE_ACCOUNT_SUBJECT = /^system:serviceaccount:[^:*?\s]+:[^:*?\s]+$/;

function isOidcFederated(principal: unknown): boolean {
  if (typeof principal !== "object" || principal === null) {
    return false;
  }
  return asList((principal as { Federated?: unknown }).Federated).some((p) =>
    p.includes(":oidc-provider/"),
  );
}

/** Values of the condition keys of `operator` whose name ends with `suffix`. */
function conditionValues(s: Statement, operator: string, suffix: string): string[][] {
  const block = s.Condition?.[operator] ?? {};
  return Object.entries(block)
    .filter(([key]) => key.toLowerCase().endsWith(suffix))
    .map(([, value]) => asList(value));
}

export const irsaTrustPinned: ResourceValidationPolicy = {
  name: "iam-irsa-trust-pinned",
  description:
    "Roles trusting an OIDC provider (IRSA) pin one service account with StringEquals " +
    '"<issuer>:sub" = "system:serviceaccount:<namespace>:<name>" and "<issuer>:aud" = ' +
    '"sts.amazonaws.com", and use no StringLike conditions.',
  validateResource: validatePolicyInput(
    [ResourceTypes.iamRole],
    "assumeRolePolicy",
    (statements, report) => {
      statements.forEach((s, i) => {
        const webIdentity = asList(s.Action).some((a) =>
          actionMatches(a, "sts:AssumeRoleWithWebIdentity"),
        );
        if (!isAllow(s) || !webIdentity || !isOidcFederated(s.Principal)) {
          return;
        }
        const where = label(s, i);
        const likeOperators = Object.keys(s.Condition ?? {}).filter((op) =>
          /(^|:)StringLike(IfExists)?$/i.test(op),
        );
        if (likeOperators.length > 0) {
          report(
            `${where} uses ${quoteList(likeOperators)}; pin the service account with ` +
              "StringEquals instead.",
          );
        }
        const subjects = conditionValues(s, "StringEquals", ":sub");
        const subject = subjects.length === 1 ? subjects[0] : [];
        if (subjects.length !== 1 || subject.length !== 1) {
          report(
            `${where} must pin exactly one service account with StringEquals ` +
              '"<issuer>:sub" = "system:serviceaccount:<namespace>:<name>".',
          );
        } else if (!SERVICE_ACCOUNT_SUBJECT.test(subject[0])) {
          report(
            `${where} trusts subject "${subject[0]}", which is not one service ` +
              'account ("system:serviceaccount:<namespace>:<name>", no wildcards).',
          );
        }
        const audiences = conditionValues(s, "StringEquals", ":aud");
        if (
          audiences.length !== 1 ||
          audiences[0].length !== 1 ||
          audiences[0][0] !== "sts.amazonaws.com"
        ) {
          report(`${where} must require StringEquals "<issuer>:aud" = "sts.amazonaws.com".`);
        }
      });
    },
  ),
};
