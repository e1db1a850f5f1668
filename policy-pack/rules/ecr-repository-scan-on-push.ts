// Rule "ecr-repository-scan-on-push". Only types come from @pulumi/policy: see ../policies.ts.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ResourceTypes } from "../helpers/resource-types";

export const ecrRepositoryScanOnPush: ResourceValidationPolicy = {
  name: "ecr-repository-scan-on-push",
  description: "ECR repositories set imageScanningConfiguration.scanOnPush to true.",
  validateResource: (args, reportViolation) => {
    if (args.type !== ResourceTypes.ecrRepository) {
      return;
    }
    const config = args.props["imageScanningConfiguration"] as { scanOnPush?: unknown } | undefined;
    if (config?.scanOnPush !== true) {
      reportViolation(
        "imageScanningConfiguration.scanOnPush is not true; scan every pushed image.",
      );
    }
  },
};
