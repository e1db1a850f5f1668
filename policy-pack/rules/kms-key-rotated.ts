// Rule "kms-key-rotated". Only types come from @pulumi/policy: see ../policies.ts.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ResourceTypes } from "../helpers/resource-types";

export const kmsKeyRotated: ResourceValidationPolicy = {
  name: "kms-key-rotated",
  description: "KMS keys rotate their key material (enableKeyRotation).",
  validateResource: (args, reportViolation) => {
    if (args.type !== ResourceTypes.kmsKey) {
      return;
    }
    if (args.props["enableKeyRotation"] !== true) {
      reportViolation("enableKeyRotation is not true; turn on automatic rotation.");
    }
  },
};
