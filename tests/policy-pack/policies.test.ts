// Every rule of policy-pack/policies.ts, fed fabricated resources: for each rule at least one
// resource that passes and one that fails, with the messages a reader of `pulumi preview` sees.
import * as assert from "assert";
import { policies } from "../../policy-pack/policies";
import { ecrRegistryScanningCoversAll } from "../../policy-pack/rules/ecr-registry-scanning-covers-all";
import { ecrRepositoryImmutableTags } from "../../policy-pack/rules/ecr-repository-immutable-tags";
import {
  ecrRepositoryPolicySize,
  MAX_REPOSITORY_POLICY_LENGTH,
} from "../../policy-pack/rules/ecr-repository-policy-size";
import { ecrRepositoryScanOnPush } from "../../policy-pack/rules/ecr-repository-scan-on-push";
import { irsaTrustPinned } from "../../policy-pack/rules/iam-irsa-trust-pinned";
import { noWildcardGrants } from "../../policy-pack/rules/iam-no-wildcard-grants";
import { kmsKeyRotated } from "../../policy-pack/rules/kms-key-rotated";
import { s3BucketEncrypted } from "../../policy-pack/rules/s3-bucket-encrypted";
import { s3BucketPublicAccessBlocked } from "../../policy-pack/rules/s3-bucket-public-access-blocked";
import { s3BucketTlsOnly } from "../../policy-pack/rules/s3-bucket-tls-only";
import { s3GrantResourceLevels } from "../../policy-pack/rules/s3-grant-resource-levels";
import {
  ACCOUNT,
  assertNoViolations,
  BUCKET,
  BUCKET_ARN,
  cacheBucketStack,
  cacheRolePolicy,
  checkResource,
  checkStack,
  ecrPullStatements,
  exercised,
  irsaTrust,
  ISSUER,
  OIDC_PROVIDER_ARN,
  pinnedIrsaCondition,
  policyDocument,
  REPOSITORY_ARN,
  stackResource,
  T,
  tlsDenyStatement,
  UNKNOWN_STRING,
  urnOf,
  withUnknowns,
} from "./fixtures";

const BUCKET_URN = urnOf(T.s3Bucket, "cache");

/**
 * A real-world mistake: a registry's IAM user was granted s3:* on "bucket/*" only, so ListBucket
 * (a bucket-level action, whose resource is the bucket ARN) was never allowed and the registry
 * answered HTTP 500.
 */
const s3StarOnObjectsOnly = policyDocument({
  Effect: "Allow",
  Action: ["s3:*"],
  Resource: "arn:aws:s3:::flypenguin.docker-registry/*",
});

describe("policy pack rules", () => {
  after("every rule has a passing and a failing test", () => {
    const names = policies.map((p) => p.name);
    assert.deepStrictEqual(
      names.filter((n) => !exercised.passed.has(n)),
      [],
      "rules never seen passing",
    );
    assert.deepStrictEqual(
      names.filter((n) => !exercised.failed.has(n)),
      [],
      "rules never seen failing",
    );
  });

  describe("iam-no-wildcard-grants", () => {
    it("passes the cache role's grant, GetAuthorizationToken on * included", async () => {
      assertNoViolations(
        await checkResource(noWildcardGrants, T.iamRolePolicy, {
          role: "cache",
          policy: cacheRolePolicy,
        }),
      );
    });

    it("passes a node role policy given as an object rather than JSON", async () => {
      const policy = { Version: "2012-10-17", Statement: ecrPullStatements };
      assertNoViolations(
        await checkResource(noWildcardGrants, T.iamRolePolicy, { role: "node", policy }),
      );
    });

    it("passes a bucket policy whose s3:* is in a Deny", async () => {
      const policy = policyDocument(tlsDenyStatement);
      assertNoViolations(
        await checkResource(noWildcardGrants, T.s3BucketPolicy, { bucket: BUCKET, policy }),
      );
    });

    it("passes a repository policy granting pull actions to an account", async () => {
      const policy = policyDocument({
        Sid: "ConsumerPull",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      });
      assertNoViolations(
        await checkResource(noWildcardGrants, T.ecrRepositoryPolicy, { repository: "api", policy }),
      );
    });

    it("fails service:* and * actions", async () => {
      const policy = policyDocument(
        { Sid: "Registry", Effect: "Allow", Action: ["ecr:*"], Resource: REPOSITORY_ARN },
        { Effect: "Allow", Action: "*", Resource: BUCKET_ARN },
      );
      assert.deepStrictEqual(await checkResource(noWildcardGrants, T.iamPolicy, { policy }), [
        'statement 0 (Registry) allows wildcard action(s) "ecr:*"; list the actions it needs.',
        'statement 1 allows wildcard action(s) "*"; list the actions it needs.',
      ]);
    });

    it("fails a repository policy allowing ecr:*", async () => {
      const policy = policyDocument({
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "ecr:*",
      });
      assert.deepStrictEqual(
        await checkResource(noWildcardGrants, T.ecrRepositoryPolicy, { repository: "api", policy }),
        ['statement 0 allows wildcard action(s) "ecr:*"; list the actions it needs.'],
      );
    });

    it('fails Resource "*" for anything but ecr:GetAuthorizationToken', async () => {
      const policy = policyDocument({
        Sid: "Pull",
        Effect: "Allow",
        Action: ["ecr:GetAuthorizationToken", "ecr:BatchGetImage"],
        Resource: "*",
      });
      assert.deepStrictEqual(await checkResource(noWildcardGrants, T.iamRolePolicy, { policy }), [
        'statement 0 (Pull) allows Resource "*" for "ecr:BatchGetImage"; only ' +
          'ecr:GetAuthorizationToken may use Resource "*": name the repository, bucket or ' +
          "object ARNs instead.",
      ]);
    });

    it("fails Allow with NotAction or NotResource", async () => {
      const policy = policyDocument(
        { Effect: "Allow", NotAction: "iam:*", Resource: BUCKET_ARN },
        { Effect: "Allow", Action: "s3:GetObject", NotResource: `${BUCKET_ARN}/private/*` },
      );
      assert.deepStrictEqual(await checkResource(noWildcardGrants, T.iamRolePolicy, { policy }), [
        "statement 0 combines Allow with NotAction, which allows every other action.",
        "statement 1 combines Allow with NotResource, which allows every other resource.",
      ]);
    });

    it("fails s3:* granted on bucket/* only", async () => {
      assert.deepStrictEqual(
        await checkResource(noWildcardGrants, T.iamPolicy, { policy: s3StarOnObjectsOnly }),
        ['statement 0 allows wildcard action(s) "s3:*"; list the actions it needs.'],
      );
    });

    it("fails a policy that is not JSON", async () => {
      const messages = await checkResource(noWildcardGrants, T.iamRolePolicy, {
        policy: "{ not json",
      });
      assert.strictEqual(messages.length, 1);
      assert.match(messages[0], /^policy is not valid JSON \(/);
    });

    it("leaves an unknown policy to the SDK, which reports it as not checkable in preview", async () => {
      await assert.rejects(
        checkResource(
          noWildcardGrants,
          T.iamRolePolicy,
          withUnknowns({ role: "r", policy: UNKNOWN_STRING }),
        ),
        (e: Error) => e.constructor.name === "UnknownValueError",
      );
    });

    it("ignores resources that carry no policy document", async () => {
      assertNoViolations(await checkResource(noWildcardGrants, T.ecrRepository, { policy: "*" }));
    });
  });

  describe("s3-grant-resource-levels", () => {
    it("passes bucket-level actions on the bucket ARN and object-level ones on bucket/*", async () => {
      assertNoViolations(
        await checkResource(s3GrantResourceLevels, T.iamRolePolicy, {
          role: "cache",
          policy: cacheRolePolicy,
        }),
      );
    });

    it("fails every S3 action granted on bucket/* only (the registry answered HTTP 500)", async () => {
      const messages = await checkResource(s3GrantResourceLevels, T.iamPolicy, {
        policy: s3StarOnObjectsOnly,
      });
      assert.deepStrictEqual(messages, [
        'statement 0 grants bucket-level action(s) "s3:*" on object ARN(s) ' +
          '"arn:aws:s3:::flypenguin.docker-registry/*" and names no bucket ARN, so these ' +
          "actions are never allowed; give bucket-level actions their own statement on the " +
          'bucket ARN "arn:aws:s3:::<bucket>".',
      ]);
    });

    it("fails ListBucket next to GetObject on bucket/* only", async () => {
      const policy = policyDocument({
        Sid: "Cache",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        Resource: [`${BUCKET_ARN}/*`],
      });
      assert.deepStrictEqual(
        await checkResource(s3GrantResourceLevels, T.iamRolePolicy, { policy }),
        [
          'statement 0 (Cache) grants bucket-level action(s) "s3:ListBucket" on object ARN(s) ' +
            `"${BUCKET_ARN}/*" and names no bucket ARN, so these actions are never allowed; ` +
            'give bucket-level actions their own statement on the bucket ARN "arn:aws:s3:::<bucket>".',
        ],
      );
    });

    it("fails object-level actions on the bucket ARN only", async () => {
      const policy = policyDocument({
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:AbortMultipartUpload"],
        Resource: BUCKET_ARN,
      });
      assert.deepStrictEqual(
        await checkResource(s3GrantResourceLevels, T.iamRolePolicy, { policy }),
        [
          'statement 0 grants object-level action(s) "s3:GetObject", "s3:AbortMultipartUpload" ' +
            `on bucket ARN(s) "${BUCKET_ARN}" and names no object ARN, so these actions are ` +
            'never allowed; give object-level actions their own statement on "arn:aws:s3:::<bucket>/*".',
        ],
      );
    });

    it("fails one statement mixing both levels on both ARNs", async () => {
      const policy = policyDocument({
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetObject"],
        Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
      });
      assert.deepStrictEqual(
        await checkResource(s3GrantResourceLevels, T.s3BucketPolicy, { policy }),
        [
          `statement 0 grants bucket-level action(s) "s3:ListBucket" on object ARN(s) "${BUCKET_ARN}/*"; ` +
            'give bucket-level actions their own statement on the bucket ARN "arn:aws:s3:::<bucket>".',
          `statement 0 grants object-level action(s) "s3:GetObject" on bucket ARN(s) "${BUCKET_ARN}"; ` +
            'give object-level actions their own statement on "arn:aws:s3:::<bucket>/*".',
        ],
      );
    });

    it("ignores Deny statements (the TLS deny names both ARNs with s3:*)", async () => {
      const policy = policyDocument(tlsDenyStatement);
      assertNoViolations(await checkResource(s3GrantResourceLevels, T.s3BucketPolicy, { policy }));
    });
  });

  describe("s3-bucket-public-access-blocked", () => {
    it("passes a bucket whose public access block sets all four flags", async () => {
      assertNoViolations(await checkStack(s3BucketPublicAccessBlocked, cacheBucketStack()));
    });

    it("fails a bucket without a public access block", async () => {
      assert.deepStrictEqual(
        await checkStack(
          s3BucketPublicAccessBlocked,
          cacheBucketStack({ publicAccessBlock: null }),
        ),
        [
          {
            message: `bucket "cache" (${BUCKET}) has no aws.s3.BucketPublicAccessBlock.`,
            urn: BUCKET_URN,
          },
        ],
      );
    });

    it("fails a public access block with a flag left false or unset", async () => {
      const stack = cacheBucketStack({
        publicAccessBlock: { restrictPublicBuckets: false, ignorePublicAcls: undefined },
      });
      assert.deepStrictEqual(await checkStack(s3BucketPublicAccessBlocked, stack), [
        {
          message:
            `bucket "cache" (${BUCKET}): its BucketPublicAccessBlock does not set ` +
            "ignorePublicAcls, restrictPublicBuckets to true.",
          urn: BUCKET_URN,
        },
      ]);
    });

    it("fails a bucket when the only public access block belongs to another bucket", async () => {
      const other = stackResource(T.s3Bucket, "other", {
        bucket: "other-bucket",
        id: "other-bucket",
      });
      const stack = cacheBucketStack({ publicAccessBlock: null });
      stack.push(
        other,
        stackResource(
          T.s3BucketPublicAccessBlock,
          "other-public-access",
          {
            bucket: "other-bucket",
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
          },
          { bucket: [other] },
        ),
      );
      const violations = await checkStack(s3BucketPublicAccessBlocked, stack);
      assert.deepStrictEqual(
        violations.map((v) => v.urn),
        [BUCKET_URN],
      );
    });

    it("matches by bucket name when there are no property dependencies (e.g. an import)", async () => {
      const bucket = stackResource(T.s3Bucket, "cache", { bucket: BUCKET, id: BUCKET });
      const block = stackResource(T.s3BucketPublicAccessBlock, "pab", {
        bucket: BUCKET,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      assertNoViolations(await checkStack(s3BucketPublicAccessBlocked, [bucket, block]));
    });

    it("in preview, matches a block whose bucket name is still unknown by its dependency", async () => {
      const bucket = stackResource(
        T.s3Bucket,
        "cache",
        withUnknowns({ bucket: BUCKET, id: UNKNOWN_STRING }),
      );
      const block = stackResource(
        T.s3BucketPublicAccessBlock,
        "pab",
        withUnknowns({
          bucket: UNKNOWN_STRING,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: false,
        }),
        { bucket: [bucket] },
      );
      assert.deepStrictEqual(await checkStack(s3BucketPublicAccessBlocked, [bucket, block]), [
        {
          message: `bucket "cache" (${BUCKET}): its BucketPublicAccessBlock does not set restrictPublicBuckets to true.`,
          urn: urnOf(T.s3Bucket, "cache"),
        },
      ]);
    });
  });

  describe("s3-bucket-tls-only", () => {
    const tlsMessage =
      `bucket "cache" (${BUCKET}): its BucketPolicy does not deny requests without TLS ` +
      '(need Effect "Deny", Principal "*", Action "s3:*" on the bucket ARN and ' +
      '"<bucket ARN>/*", Condition Bool "aws:SecureTransport" = "false").';

    it("passes a bucket policy denying s3:* when aws:SecureTransport is false", async () => {
      assertNoViolations(await checkStack(s3BucketTlsOnly, cacheBucketStack()));
    });

    it("passes the deny given as an object, with a boolean false and AWS: *", async () => {
      const statement = {
        ...tlsDenyStatement,
        Principal: { AWS: "*" },
        Condition: { Bool: { "aws:SecureTransport": false } },
      };
      const policy = { Version: "2012-10-17", Statement: [statement] };
      assertNoViolations(
        await checkStack(s3BucketTlsOnly, cacheBucketStack({ bucketPolicy: { policy } })),
      );
    });

    it("fails a bucket without a bucket policy", async () => {
      assert.deepStrictEqual(
        await checkStack(s3BucketTlsOnly, cacheBucketStack({ bucketPolicy: null })),
        [
          {
            message: `bucket "cache" (${BUCKET}) has no aws.s3.BucketPolicy denying requests without TLS.`,
            urn: BUCKET_URN,
          },
        ],
      );
    });

    it("fails a bucket policy without the TLS deny", async () => {
      const policy = policyDocument({
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: "s3:GetObject",
        Resource: `${BUCKET_ARN}/*`,
      });
      assert.deepStrictEqual(
        await checkStack(s3BucketTlsOnly, cacheBucketStack({ bucketPolicy: { policy } })),
        [{ message: tlsMessage, urn: BUCKET_URN }],
      );
    });

    it("fails a deny that only covers the objects, or tests SecureTransport = true", async () => {
      const objectsOnly = policyDocument({ ...tlsDenyStatement, Resource: `${BUCKET_ARN}/*` });
      const inverted = policyDocument({
        ...tlsDenyStatement,
        Condition: { Bool: { "aws:SecureTransport": "true" } },
      });
      for (const policy of [objectsOnly, inverted]) {
        assert.deepStrictEqual(
          await checkStack(s3BucketTlsOnly, cacheBucketStack({ bucketPolicy: { policy } })),
          [{ message: tlsMessage, urn: BUCKET_URN }],
        );
      }
    });

    it("in preview, accepts a bucket policy whose document is not known yet", async () => {
      const stack = cacheBucketStack({ bucketPolicy: null });
      stack.push(
        stackResource(
          T.s3BucketPolicy,
          "cache-policy",
          withUnknowns({ bucket: UNKNOWN_STRING, policy: UNKNOWN_STRING }),
          { bucket: [stack[0]] },
        ),
      );
      assertNoViolations(await checkStack(s3BucketTlsOnly, stack));
    });
  });

  describe("s3-bucket-encrypted", () => {
    it("passes a bucket with a KMS default encryption rule", async () => {
      assertNoViolations(await checkStack(s3BucketEncrypted, cacheBucketStack()));
    });

    it("passes the V2 resource type with AES256", async () => {
      const stack = cacheBucketStack({ encryption: null });
      stack.push(
        stackResource(
          T.s3BucketSseV2,
          "cache-sse",
          {
            bucket: BUCKET,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
          },
          { bucket: [stack[0]] },
        ),
      );
      assertNoViolations(await checkStack(s3BucketEncrypted, stack));
    });

    it("fails a bucket without an encryption configuration", async () => {
      assert.deepStrictEqual(
        await checkStack(s3BucketEncrypted, cacheBucketStack({ encryption: null })),
        [
          {
            message: `bucket "cache" (${BUCKET}) has no aws.s3.BucketServerSideEncryptionConfiguration.`,
            urn: BUCKET_URN,
          },
        ],
      );
    });

    it("fails an encryption configuration without a default encryption rule", async () => {
      const stack = cacheBucketStack({ encryption: { rules: [{ bucketKeyEnabled: true }] } });
      assert.deepStrictEqual(await checkStack(s3BucketEncrypted, stack), [
        {
          message:
            `bucket "cache" (${BUCKET}): its server-side encryption configuration has no ` +
            "rule with applyServerSideEncryptionByDefault.sseAlgorithm AES256, aws:kms or aws:kms:dsse.",
          urn: BUCKET_URN,
        },
      ]);
    });
  });

  describe("ecr-repository-immutable-tags", () => {
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
  });

  describe("ecr-registry-scanning-covers-all", () => {
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

  describe("kms-key-rotated", () => {
    it("passes a rotated key and fails one that is not", async () => {
      assertNoViolations(await checkResource(kmsKeyRotated, T.kmsKey, { enableKeyRotation: true }));
      assert.deepStrictEqual(await checkResource(kmsKeyRotated, T.kmsKey, {}), [
        "enableKeyRotation is not true; turn on automatic rotation.",
      ]);
    });
  });

  describe("ecr-repository-scan-on-push", () => {
    it("passes a repository scanning on push", async () => {
      assertNoViolations(
        await checkResource(ecrRepositoryScanOnPush, T.ecrRepository, {
          imageTagMutability: "IMMUTABLE",
          imageScanningConfiguration: { scanOnPush: true },
        }),
      );
    });

    it("fails a repository that does not scan on push", async () => {
      const message = "imageScanningConfiguration.scanOnPush is not true; scan every pushed image.";
      for (const props of [{ imageScanningConfiguration: { scanOnPush: false } }, {}]) {
        assert.deepStrictEqual(
          await checkResource(ecrRepositoryScanOnPush, T.ecrRepository, props),
          [message],
        );
      }
    });
  });

  describe("ecr-repository-policy-size", () => {
    function policyOfLength(length: number): string {
      const base = policyDocument({ Sid: "", Effect: "Allow", Action: "ecr:BatchGetImage" });
      const padded = base.replace('"Sid":""', `"Sid":"${"x".repeat(length - base.length)}"`);
      assert.strictEqual(padded.length, length);
      return padded;
    }

    it("passes a policy of exactly 10,240 characters", async () => {
      assertNoViolations(
        await checkResource(ecrRepositoryPolicySize, T.ecrRepositoryPolicy, {
          repository: "api",
          policy: policyOfLength(MAX_REPOSITORY_POLICY_LENGTH),
        }),
      );
    });

    it("fails a policy one character longer", async () => {
      assert.deepStrictEqual(
        await checkResource(ecrRepositoryPolicySize, T.ecrRepositoryPolicy, {
          repository: "api",
          policy: policyOfLength(MAX_REPOSITORY_POLICY_LENGTH + 1),
        }),
        [
          "the repository policy is 10241 characters long; ECR accepts at most 10240. " +
            "Grant whole accounts or organisational units instead of listing many principals.",
        ],
      );
    });

    it("measures a policy given as an object by its JSON", async () => {
      const principals = Array.from(
        { length: 400 },
        (_, i) => `arn:aws:iam::${100000000000 + i}:root`,
      );
      const policy = {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: principals }, Action: "ecr:BatchGetImage" },
        ],
      };
      const messages = await checkResource(ecrRepositoryPolicySize, T.ecrRepositoryPolicy, {
        policy,
      });
      assert.strictEqual(messages.length, 1);
      assert.match(messages[0], /^the repository policy is 1\d{4} characters long/);
    });
  });

  describe("iam-irsa-trust-pinned", () => {
    it("passes a trust pinned to one service account and the STS audience", async () => {
      assertNoViolations(
        await checkResource(irsaTrustPinned, T.iamRole, {
          assumeRolePolicy: irsaTrust(pinnedIrsaCondition),
        }),
      );
    });

    it("passes roles that do not trust an OIDC provider", async () => {
      const assumeRolePolicy = policyDocument({
        Effect: "Allow",
        Principal: { Service: "ec2.amazonaws.com" },
        Action: "sts:AssumeRole",
      });
      assertNoViolations(await checkResource(irsaTrustPinned, T.iamRole, { assumeRolePolicy }));
    });

    it("fails StringLike and a wildcard subject", async () => {
      const assumeRolePolicy = irsaTrust({
        StringLike: { [`${ISSUER}:sub`]: "system:serviceaccount:kube-system:*" },
        StringEquals: { [`${ISSUER}:aud`]: "sts.amazonaws.com" },
      });
      assert.deepStrictEqual(
        await checkResource(irsaTrustPinned, T.iamRole, { assumeRolePolicy }),
        [
          'statement 0 uses "StringLike"; pin the service account with StringEquals instead.',
          'statement 0 must pin exactly one service account with StringEquals "<issuer>:sub" = ' +
            '"system:serviceaccount:<namespace>:<name>".',
        ],
      );
    });

    it("fails a wildcard inside StringEquals and a second service account", async () => {
      const wildcard = irsaTrust({
        StringEquals: {
          [`${ISSUER}:sub`]: "system:serviceaccount:kube-system:*",
          [`${ISSUER}:aud`]: "sts.amazonaws.com",
        },
      });
      assert.deepStrictEqual(
        await checkResource(irsaTrustPinned, T.iamRole, { assumeRolePolicy: wildcard }),
        [
          'statement 0 trusts subject "system:serviceaccount:kube-system:*", which is not one ' +
            'service account ("system:serviceaccount:<namespace>:<name>", no wildcards).',
        ],
      );
      const two = irsaTrust({
        StringEquals: {
          [`${ISSUER}:sub`]: [
            "system:serviceaccount:kube-system:registry-cache",
            "system:serviceaccount:default:default",
          ],
          [`${ISSUER}:aud`]: "sts.amazonaws.com",
        },
      });
      assert.deepStrictEqual(
        await checkResource(irsaTrustPinned, T.iamRole, { assumeRolePolicy: two }),
        [
          'statement 0 must pin exactly one service account with StringEquals "<issuer>:sub" = ' +
            '"system:serviceaccount:<namespace>:<name>".',
        ],
      );
    });

    it("fails a missing or wrong audience", async () => {
      const audMessage =
        'statement 0 must require StringEquals "<issuer>:aud" = "sts.amazonaws.com".';
      const missing = irsaTrust({
        StringEquals: { [`${ISSUER}:sub`]: "system:serviceaccount:kube-system:registry-cache" },
      });
      const wrong = irsaTrust({
        StringEquals: {
          [`${ISSUER}:sub`]: "system:serviceaccount:kube-system:registry-cache",
          [`${ISSUER}:aud`]: "sts.amazonaws.com.evil",
        },
      });
      for (const assumeRolePolicy of [missing, wrong]) {
        assert.deepStrictEqual(
          await checkResource(irsaTrustPinned, T.iamRole, { assumeRolePolicy }),
          [audMessage],
        );
      }
    });

    it("fails an unconditioned trust granted through sts:*, given as an object", async () => {
      const assumeRolePolicy = {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Federated: OIDC_PROVIDER_ARN }, Action: "sts:*" },
        ],
      };
      assert.deepStrictEqual(
        await checkResource(irsaTrustPinned, T.iamRole, { assumeRolePolicy }),
        [
          'statement 0 must pin exactly one service account with StringEquals "<issuer>:sub" = ' +
            '"system:serviceaccount:<namespace>:<name>".',
          'statement 0 must require StringEquals "<issuer>:aud" = "sts.amazonaws.com".',
        ],
      );
    });
  });
});
