// Rule "ecr-repository-immutable-tags": repositories are IMMUTABLE, or IMMUTABLE_WITH_EXCLUSION
// with a few named exceptions.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import {
  imageTagMutabilitySchema,
  MAX_MUTABLE_TAG_PATTERNS,
  mutableTagPatternsSchema,
} from "../../../config/repository-options";
import {
  ecrRepositoryImmutableTags,
  MAX_MUTABILITY_EXCLUSION_FILTERS,
} from "../../../policy-pack/rules/ecr-repository-immutable-tags";
import { assertNoViolations, checkResource, describeRule, T } from "../fixtures";

describeRule(ecrRepositoryImmutableTags, () => {
  const repository = {
    name: "platform/api",
    imageTagMutability: "IMMUTABLE",
    imageScanningConfiguration: { scanOnPush: true },
    encryptionConfigurations: [{ encryptionType: "KMS" }],
    forceDelete: false,
  };

  it("passes an IMMUTABLE repository", async () => {
    assertNoViolations(
      await checkResource(ecrRepositoryImmutableTags, T.ecrRepository, repository),
    );
  });

  it("passes IMMUTABLE_WITH_EXCLUSION with up to five WILDCARD filters", async () => {
    assertNoViolations(
      await checkResource(ecrRepositoryImmutableTags, T.ecrRepository, {
        ...repository,
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: ["latest", "dev-*", "a", "b", "c"].map((filter) => ({
          filter,
          filterType: "WILDCARD",
        })),
      }),
    );
  });

  it("fails a MUTABLE repository and one that leaves the default", async () => {
    const advice =
      'set it to "IMMUTABLE" (or "IMMUTABLE_WITH_EXCLUSION" with filters naming the few tags ' +
      "that may move) so a pushed tag always names the same image.";
    for (const [imageTagMutability, shown] of [
      ["MUTABLE", '"MUTABLE"'],
      ["MUTABLE_WITH_EXCLUSION", '"MUTABLE_WITH_EXCLUSION"'],
      [undefined, "not set (MUTABLE)"],
    ]) {
      assert.deepStrictEqual(
        await checkResource(ecrRepositoryImmutableTags, T.ecrRepository, {
          ...repository,
          imageTagMutability,
        }),
        [`imageTagMutability is ${shown}; ${advice}`],
      );
    }
  });

  it("fails exclusions without filters, with too many, or with one that matches every tag", async () => {
    const withFilters = (filters: unknown[] | undefined) =>
      checkResource(ecrRepositoryImmutableTags, T.ecrRepository, {
        ...repository,
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: filters,
      });
    assert.deepStrictEqual(await withFilters(undefined), [
      "IMMUTABLE_WITH_EXCLUSION needs 1-5 imageTagMutabilityExclusionFilters; it has 0.",
    ]);
    const six = ["a", "b", "c", "d", "e", "f"].map((filter) => ({
      filter,
      filterType: "WILDCARD",
    }));
    assert.deepStrictEqual(await withFilters(six), [
      "IMMUTABLE_WITH_EXCLUSION needs 1-5 imageTagMutabilityExclusionFilters; it has 6.",
    ]);
    assert.deepStrictEqual(await withFilters([{ filter: "*", filterType: "WILDCARD" }]), [
      'exclusion filter "*" matches every tag, which makes the repository mutable; name the tags that may move.',
    ]);
    assert.deepStrictEqual(await withFilters([{ filter: "latest", filterType: "REGEX" }]), [
      'exclusion filter "latest" is not of type WILDCARD.',
    ]);
  });

  describe("agrees with the config schema", () => {
    const MUTABILITIES = [
      "IMMUTABLE",
      "IMMUTABLE_WITH_EXCLUSION",
      "MUTABLE",
      "MUTABLE_WITH_EXCLUSION",
    ];
    const filters = (patterns: string[]) =>
      patterns.map((filter) => ({ filter, filterType: "WILDCARD" }));

    it("allows exactly IMMUTABLE and IMMUTABLE_WITH_EXCLUSION, what the schema's options become", async () => {
      const allowed: string[] = [];
      for (const imageTagMutability of MUTABILITIES) {
        const messages = await checkResource(ecrRepositoryImmutableTags, T.ecrRepository, {
          ...repository,
          imageTagMutability,
          imageTagMutabilityExclusionFilters: filters(["latest"]),
        });
        if (messages.length === 0) {
          allowed.push(imageTagMutability);
        }
      }
      assert.deepStrictEqual(allowed, ["IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"]);
      // The schema takes IMMUTABLE (or nothing) and refuses the mutable settings outright.
      assert.deepStrictEqual(
        MUTABILITIES.filter((m) => imageTagMutabilitySchema.safeParse(m).success),
        ["IMMUTABLE"],
      );
      for (const m of ["IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"]) {
        assert.match(ecrRepositoryImmutableTags.description, new RegExp(`"${m}"`));
      }
    });

    it("takes the schema's largest list of mutableTagPatterns and refuses what it refuses", async () => {
      assert.strictEqual(MAX_MUTABILITY_EXCLUSION_FILTERS, MAX_MUTABLE_TAG_PATTERNS);
      const check = (patterns: string[]) =>
        checkResource(ecrRepositoryImmutableTags, T.ecrRepository, {
          ...repository,
          imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
          imageTagMutabilityExclusionFilters: filters(patterns),
        });
      const most = ["latest", "dev-*", "*-rc", "main-*-*", "v1.2"].slice(
        0,
        MAX_MUTABLE_TAG_PATTERNS,
      );
      assert.ok(mutableTagPatternsSchema.safeParse(most).success);
      assertNoViolations(await check(most));
      for (const refused of [["*"], ["**"], [...most, "extra"]]) {
        assert.ok(!mutableTagPatternsSchema.safeParse(refused).success, JSON.stringify(refused));
        assert.notDeepStrictEqual(await check(refused), [], JSON.stringify(refused));
      }
    });
  });
});
