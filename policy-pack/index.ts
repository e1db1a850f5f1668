// Entry point of the registry-hub policy pack: `pulumi preview --policy-pack policy-pack`.
//
// Creating a PolicyPack starts the policy gRPC server, so this file does nothing else and
// nothing imports it; tests import the list from ./policies and each rule from ./rules.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("registry-hub", {
  description: "Guardrails for the registry-hub ECR registry, its consumers and the S3 caches.",
  enforcementLevel: "mandatory",
  policies,
});
