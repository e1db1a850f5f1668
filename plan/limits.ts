/**
 * The limits AWS puts on what the plan renders: ECR's 10,240 characters per repository policy
 * and IAM's 10,240 characters of inline policy per role. Checked on the plan, before any
 * resource is registered; an oversized repository policy names the access modes that fit.
 */
import { HubConfig } from "../config/model";
import { ACCESS_MODES, AccessMode, PROJECT } from "../config/schema";
import { formatCount } from "../config/display";
import { configPath } from "../config/validate";
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
