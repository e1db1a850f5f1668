// Rule "ecr-registry-scanning-covers-all": registry scanning covers every repository.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import { ecrRegistryScanningCoversAll } from "../../../policy-pack/rules/ecr-registry-scanning-covers-all";
import { assertNoViolations, checkResource, describeRule, T } from "../fixtures";

describeRule(ecrRegistryScanningCoversAll, () => {
  const rule = (scanFrequency: string, ...filters: string[]) => ({
    scanFrequency,
    repositoryFilters: filters.map((filter) => ({ filter, filterType: "WILDCARD" })),
  });
  const check = (rules: unknown[]) =>
    checkResource(ecrRegistryScanningCoversAll, T.ecrRegistryScanningConfiguration, {
      scanType: "ENHANCED",
      rules,
    });

  it("passes a configuration scanning every repository on push or continuously", async () => {
    assertNoViolations(await check([rule("SCAN_ON_PUSH", "*")]));
    assertNoViolations(await check([rule("CONTINUOUS_SCAN", "prod/*", "*")]));
  });

  it("fails one that leaves repositories unscanned", async () => {
    const message =
      'no rule scans every repository: add a SCAN_ON_PUSH or CONTINUOUS_SCAN rule with the filter "*".';
    for (const rules of [[], [rule("SCAN_ON_PUSH", "team/*")], [rule("MANUAL", "*")]]) {
      assert.deepStrictEqual(await check(rules), [message]);
    }
  });
});
