// The program's own stacks, run under the mock runtime, must pass every rule of the pack: the
// rules fit what registry-hub deploys, and what it deploys keeps to the rules.
import * as assert from "assert";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy-pack/policies";
import { HubConfig } from "../../config/model";
import { deployPlanned, everyOptionRaw, stackConfig, validConfig } from "../../testing/stacks";
import { collect, installMocks, Registered } from "../../testing/mock-runtime";
import { checkResource, checkStack, stackResource } from "./fixtures";

installMocks();

const resourceRules = policies.filter(
  (p): p is ResourceValidationPolicy => "validateResource" in p,
);
const stackRules = policies.filter((p): p is StackValidationPolicy => "validateStack" in p);

const stacks: [string, () => HubConfig][] = [
  ["sandbox", () => stackConfig("sandbox")],
  ["prod", () => stackConfig("prod")],
  ["prod with every option", () => validConfig(everyOptionRaw())],
];

for (const [stack, load] of stacks) {
  describe(`policy pack on the ${stack} stack (mock runtime)`, () => {
    let resources: Registered[];

    before(async () => {
      resources = await collect(() => deployPlanned(load()));
    });

    it("deploys the resources the rules are about", () => {
      const types = new Set(resources.map((r) => r.type));
      for (const type of [
        "aws:ecr/repository:Repository",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/role:Role",
        "aws:s3/bucket:Bucket",
      ]) {
        assert.ok(types.has(type), type);
      }
    });

    it("passes every resource rule", async () => {
      const violations: string[] = [];
      for (const rule of resourceRules) {
        for (const r of resources) {
          for (const message of await checkResource(rule, r.type, r.inputs, r.name)) {
            violations.push(`${rule.name} on ${r.type} ${r.name}: ${message}`);
          }
        }
      }
      assert.deepStrictEqual(violations, []);
    });

    it("passes every stack rule", async () => {
      // The mock gives every resource the id "<name>-id"; the program hands bucket ids on.
      const stackResources = resources.map((r) =>
        stackResource(r.type, r.name, { id: `${r.name}-id`, ...r.inputs }),
      );
      for (const rule of stackRules) {
        assert.deepStrictEqual(await checkStack(rule, stackResources), [], rule.name);
      }
    });
  });
}
