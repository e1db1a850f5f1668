/**
 * The limits AWS puts on what the plan renders: ECR's 10,240 characters per repository policy,
 * IAM's 10,240 characters of inline policy per role and Organizations' 5,120 per SCP. Checked
 * on the plan, before any resource is registered; an oversized repository policy names the
 * access modes that fit.
 */
import { HubConfig } from "../config/model";
import { ACCESS_MODES, AccessMode, PROJECT } from "../config/schema";
import { formatCount } from "../config/display";
import { configPath } from "../config/validate";
import { SCP_SIZE_LIMIT } from "../iam/registry-guardrail";
import { AccessPlan, POLICY_SIZE_LIMIT, inlinePoliciesByRole, planAccess } from "./access";

export function policySizeProblems(config: HubConfig, plan: AccessPlan): string[] {
  const problems: string[] = [];
  const oversized = plan.repositories.flatMap((repo, index) =>
    repo.policyText.length > POLICY_SIZE_LIMIT ? [{ repo, index }] : [],
  );
  if (oversized.length > 0) {
    // Plans list repositories in config order, so an index finds the same one in every mode.
    const otherModes = ACCESS_MODES.filter((m) => m !== config.access.mode).map((mode) => ({
      mode,
      plan: planAccess(config, mode),
    }));
    for (const { repo, index } of oversized) {
      const fits = otherModes.flatMap(({ mode, plan }) => {
        const size = plan.repositories[index].policyText.length;
        return size <= POLICY_SIZE_LIMIT
          ? [`${mode} (${formatCount(size)})${modeNote(config, mode)}`]
          : [];
      });
      problems.push(
        `${configPath([repo.repository.configPath])}: repository policy would be ${formatCount(repo.policyText.length)} characters ` +
          `in access mode ${config.access.mode}, over ECR's ${formatCount(POLICY_SIZE_LIMIT)} limit; ` +
          (fits.length > 0
            ? `set ${PROJECT}:access.mode to a mode that fits: ${fits.join(", ")}`
            : "no access mode fits: name fewer clusters, pushers or admins"),
      );
    }
  }
  if (plan.guardrail && plan.guardrail.policyText.length > SCP_SIZE_LIMIT) {
    // It names every admin and pusher: many of them outgrow it before any repository policy.
    problems.push(
      `${configPath(["organization"])}: the registry account's service control policy would be ${formatCount(plan.guardrail.policyText.length)} characters, ` +
        `over AWS Organizations' ${formatCount(SCP_SIZE_LIMIT)} limit; it names every admin, the deploy role and every pusher of a repository: name fewer`,
    );
  }
  for (const role of inlinePoliciesByRole(plan)) {
    if (role.size > POLICY_SIZE_LIMIT) {
      problems.push(
        `${configPath([role.configPath])}: role ${role.roleArn} would carry ${formatCount(role.size)} characters ` +
          `of inline policy (${role.policyTexts.length} ${role.policyTexts.length === 1 ? "policy" : "policies"} from this program, whitespace not counted), ` +
          `over IAM's ${formatCount(POLICY_SIZE_LIMIT)} limit for all inline policies of a role together; ` +
          "restrict fewer repositories to other clusters",
      );
    }
  }
  return problems;
}

function modeNote(config: HubConfig, mode: AccessMode): string {
  return mode === "organization" && !config.access.organizationId
    ? ` with ${PROJECT}:access.organizationId`
    : "";
}
