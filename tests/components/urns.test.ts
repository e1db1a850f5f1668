/**
 * Every URN of both stacks, recorded. Repositories and cache buckets are protected, so a URN
 * that moves without an alias makes `pulumi up` try to delete the old resource and fail (or,
 * unprotected, replace it). A change to this snapshot is a change users must see in review.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { deployPlanned, stackConfig } from "../../testing/stacks";
import { Registered, collect, installMocks } from "../../testing/mock-runtime";

installMocks();

const UPDATE = process.env.UPDATE_URN_SNAPSHOT === "1";

interface AliasSpec {
  urn?: string;
  spec?: { name?: string; type?: string; parenturn?: string; noparent?: boolean };
}

/** The URNs (without stack and project) a resource's aliases point at. */
function aliasUrns(resource: Registered): string[] {
  const [qualifiedType, name] = resource.urn.split("::");
  const types = qualifiedType.split("$");
  const parentChain = types.slice(0, -1).join("$");
  return (resource.aliases as AliasSpec[]).map(({ urn, spec }) => {
    if (urn) return urn.split("::").slice(2).join("::");
    const type = spec?.type || types[types.length - 1];
    const parent = spec?.noparent
      ? ""
      : spec?.parenturn
        ? spec.parenturn.split("::")[2]
        : parentChain;
    return `${parent ? `${parent}$` : ""}${type}::${spec?.name || name}`;
  });
}

for (const stack of ["prod", "sandbox"] as const) {
  describe(`URNs of Pulumi.${stack}.yaml (mock runtime)`, () => {
    const file = path.join(__dirname, "urns", `${stack}.json`);

    it("are all still there, or aliased from where they were", async () => {
      const resources = await collect(() => deployPlanned(stackConfig(stack)));
      const current = resources.map((r) => r.urn).sort();
      assert.equal(new Set(current).size, current.length, "URNs are unique");
      if (UPDATE) fs.writeFileSync(file, `${JSON.stringify(current, null, 2)}\n`);
      const recorded = JSON.parse(fs.readFileSync(file, "utf8")) as string[];
      const aliased = new Set(resources.flatMap(aliasUrns));
      assert.deepEqual(
        recorded.filter((urn) => !current.includes(urn) && !aliased.has(urn)),
        [],
        "URNs that moved without an alias",
      );
      const renamed = (r: Registered) => aliasUrns(r).some((urn) => recorded.includes(urn));
      assert.deepEqual(
        resources.filter((r) => !recorded.includes(r.urn) && !renamed(r)).map((r) => r.urn),
        [],
        "new resources: record them with UPDATE_URN_SNAPSHOT=1 npm test, and review the diff",
      );
    });
  });
}
