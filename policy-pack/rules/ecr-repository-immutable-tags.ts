// Rule "ecr-repository-immutable-tags". Only types come from @pulumi/policy: see ../policies.ts.
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { ResourceTypes } from "../helpers/resource-types";

// The config schema (config/repository-options.ts) only accepts IMMUTABLE; its optional
// mutableTagPatterns become IMMUTABLE_WITH_EXCLUSION with WILDCARD filters. The pack cannot import
// the schema (it has its own dependencies), so tests/policy-pack checks that the two agree.

/** ECR's limit on imageTagMutabilityExclusionFilters. */
export const MAX_MUTABILITY_EXCLUSION_FILTERS = 5;

export const ecrRepositoryImmutableTags: ResourceValidationPolicy = {
  name: "ecr-repository-immutable-tags",
  description:
    'ECR repositories set imageTagMutability to "IMMUTABLE", or to "IMMUTABLE_WITH_EXCLUSION" ' +
    `with 1-${MAX_MUTABILITY_EXCLUSION_FILTERS} WILDCARD filters, none matching every tag; ` +
    "MUTABLE and MUTABLE_WITH_EXCLUSION are refused.",
  validateResource: (args, reportViolation) => {
    if (args.type !== ResourceTypes.ecrRepository) {
      return;
    }
    const mutability = args.props["imageTagMutability"] as unknown;
    if (mutability === "IMMUTABLE") {
      return;
    }
    if (mutability !== "IMMUTABLE_WITH_EXCLUSION") {
      const current = mutability === undefined ? "not set (MUTABLE)" : JSON.stringify(mutability);
      reportViolation(
        `imageTagMutability is ${current}; set it to "IMMUTABLE" (or "IMMUTABLE_WITH_EXCLUSION" ` +
          "with filters naming the few tags that may move) so a pushed tag always names the same image.",
      );
      return;
    }
    const filters = args.props["imageTagMutabilityExclusionFilters"] as unknown;
    const list = Array.isArray(filters)
      ? (filters as { filter?: unknown; filterType?: unknown }[])
      : [];
    if (list.length === 0 || list.length > MAX_MUTABILITY_EXCLUSION_FILTERS) {
      reportViolation(
        `IMMUTABLE_WITH_EXCLUSION needs 1-${MAX_MUTABILITY_EXCLUSION_FILTERS} ` +
          `imageTagMutabilityExclusionFilters; it has ${list.length}.`,
      );
    }
    for (const { filter, filterType } of list) {
      if (filterType !== "WILDCARD") {
        reportViolation(`exclusion filter ${JSON.stringify(filter)} is not of type WILDCARD.`);
      } else if (typeof filter !== "string" || !/[^*]/.test(filter)) {
        reportViolation(
          `exclusion filter ${JSON.stringify(filter)} matches every tag, which makes the ` +
            "repository mutable; name the tags that may move.",
        );
      }
    }
  },
};
