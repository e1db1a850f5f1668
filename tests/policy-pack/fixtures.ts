// Fabricated arguments for the policy pack's rules, shaped like what the Pulumi engine passes to
// `validateResource` and `validateStack`, and fixtures modelled on what the program deploys.
import * as assert from "assert";
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as proxyModule from "@pulumi/policy/proxy";
import { ResourceTypes } from "../../policy-pack/helpers/resource-types";

export const T = ResourceTypes;

const options: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:sandbox::registry-hub::${type}::${name}`;
}

function notApplicable(reason?: string): never {
  throw new Error(`not applicable: ${reason ?? ""}`);
}

/** Which rules the tests saw pass and fail, so a rule without both kinds of test is noticed. */
export const exercised = { passed: new Set<string>(), failed: new Set<string>() };

function note(name: string, messages: unknown[]): void {
  (messages.length === 0 ? exercised.passed : exercised.failed).add(name);
}

/** Runs a resource rule on one fabricated resource and returns the violation messages. */
export async function checkResource(
  policy: ResourceValidationPolicy,
  type: string,
  props: Record<string, unknown>,
  name = "subject",
): Promise<string[]> {
  const messages: string[] = [];
  const args: ResourceValidationArgs = {
    type,
    props,
    urn: urnOf(type, name),
    name,
    opts: options,
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <C extends object>() => ({}) as C,
    notApplicable,
  };
  const validations = policy.validateResource ?? [];
  for (const validate of Array.isArray(validations) ? validations : [validations]) {
    await validate(args, (message) => messages.push(message));
  }
  note(policy.name, messages);
  return messages;
}

/** A fabricated stack resource; `dependsOn` fills propertyDependencies (input -> resources). */
export function stackResource(
  type: string,
  name: string,
  props: Record<string, unknown>,
  dependsOn: Record<string, PolicyResource[]> = {},
): PolicyResource {
  return {
    type,
    name,
    props,
    urn: urnOf(type, name),
    opts: options,
    dependencies: Object.values(dependsOn).flat(),
    propertyDependencies: dependsOn,
    isType: () => false,
    asType: () => undefined,
  };
}

export interface StackViolation {
  message: string;
  urn?: string;
}

/** Runs a stack rule on fabricated resources and returns the violations. */
export async function checkStack(
  policy: StackValidationPolicy,
  resources: PolicyResource[],
): Promise<StackViolation[]> {
  const violations: StackViolation[] = [];
  const args: StackValidationArgs = {
    resources,
    stackTags: new Map(),
    getConfig: <C extends object>() => ({}) as C,
    notApplicable,
  };
  await policy.validateStack(args, (message, urn) => violations.push({ message, urn }));
  note(policy.name, violations);
  return violations;
}

export function assertNoViolations(messages: unknown[]): void {
  assert.deepStrictEqual(messages, []);
}

/**
 * Declares the tests of one rule (tests/policy-pack/rules/<rule name>.test.ts) and checks, after
 * them, that they saw the rule both pass and fail.
 */
export function describeRule(policy: { name: string }, tests: () => void): void {
  describe(policy.name, () => {
    before(() => {
      // Only this rule's own tests count, not another file's that ran the rule before.
      exercised.passed.delete(policy.name);
      exercised.failed.delete(policy.name);
    });
    after("the rule has a passing and a failing test", () => {
      const names = [policy.name];
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
    tests();
  });
}

// ---------------------------------------------------------------------------------------------
// Unknown values, as the policy SDK presents them during preview
// ---------------------------------------------------------------------------------------------

interface ProxyApi {
  unknownCheckingProxy<P extends object>(props: P): P;
  unknownStringValue: unknown;
}

// The SDK's own proxy (internal API, hence the cast): reading an unknown value throws its
// UnknownValueError, exactly as in a preview.
const proxy = proxyModule as unknown as ProxyApi;

export const UNKNOWN_STRING = proxy.unknownStringValue;

export function withUnknowns<P extends Record<string, unknown>>(props: P): P {
  return proxy.unknownCheckingProxy(props);
}

// ---------------------------------------------------------------------------------------------
// Documents and resources shaped like the program's
// ---------------------------------------------------------------------------------------------

export const ACCOUNT = "111122223333";
export const BUCKET = "registry-hub-cache-sandbox";
export const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
export const REPOSITORY_ARN = `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/platform/api`;
export const ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
export const OIDC_PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/${ISSUER}`;

export const BUCKET_URN = urnOf(T.s3Bucket, "cache");

export function policyDocument(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export const ecrPullStatements = [
  { Sid: "Auth", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
  {
    Sid: "Pull",
    Effect: "Allow",
    Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
    Resource: [REPOSITORY_ARN],
  },
];

/** The cache role's grant: bucket-level on the bucket, object-level on its objects, ECR pull. */
export const cacheRolePolicy = policyDocument(
  {
    Sid: "Bucket",
    Effect: "Allow",
    Action: ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
    Resource: BUCKET_ARN,
  },
  {
    Sid: "Objects",
    Effect: "Allow",
    Action: [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:ListMultipartUploadParts",
      "s3:AbortMultipartUpload",
    ],
    Resource: `${BUCKET_ARN}/*`,
  },
  ...ecrPullStatements,
);

export const tlsDenyStatement = {
  Sid: "DenyInsecureTransport",
  Effect: "Deny",
  Principal: "*",
  Action: "s3:*",
  Resource: [BUCKET_ARN, `${BUCKET_ARN}/*`],
  Condition: { Bool: { "aws:SecureTransport": "false" } },
};

export function irsaTrust(
  condition: Record<string, unknown>,
  action = "sts:AssumeRoleWithWebIdentity",
) {
  return policyDocument({
    Effect: "Allow",
    Principal: { Federated: OIDC_PROVIDER_ARN },
    Action: action,
    Condition: condition,
  });
}

export const pinnedIrsaCondition = {
  StringEquals: {
    [`${ISSUER}:sub`]: "system:serviceaccount:kube-system:registry-cache",
    [`${ISSUER}:aud`]: "sts.amazonaws.com",
  },
};

/** A cache bucket with everything the program attaches to it. */
export function cacheBucketStack(
  overrides: {
    publicAccessBlock?: Record<string, unknown> | null;
    bucketPolicy?: Record<string, unknown> | null;
    encryption?: Record<string, unknown> | null;
  } = {},
): PolicyResource[] {
  const bucket = stackResource(T.s3Bucket, "cache", {
    bucket: BUCKET,
    id: BUCKET,
    arn: BUCKET_ARN,
  });
  const on = { bucket: [bucket] };
  const resources = [bucket];
  const add = (
    type: string,
    name: string,
    defaults: Record<string, unknown>,
    override: Record<string, unknown> | null | undefined,
  ) => {
    if (override !== null) {
      resources.push(stackResource(type, name, { bucket: BUCKET, ...defaults, ...override }, on));
    }
  };
  add(
    T.s3BucketPublicAccessBlock,
    "cache-public-access",
    {
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    overrides.publicAccessBlock,
  );
  add(
    T.s3BucketPolicy,
    "cache-policy",
    { policy: policyDocument(tlsDenyStatement) },
    overrides.bucketPolicy,
  );
  add(
    T.s3BucketSse,
    "cache-sse",
    {
      rules: [
        { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true },
      ],
    },
    overrides.encryption,
  );
  // Neighbours the rules must not mistake for the ones they look for.
  resources.push(
    stackResource(
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
      "cache-ownership",
      { bucket: BUCKET, rule: { objectOwnership: "BucketOwnerEnforced" } },
      on,
    ),
    stackResource(
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "cache-lifecycle",
      { bucket: BUCKET, rules: [] },
      on,
    ),
  );
  return resources;
}

/**
 * A real-world mistake: a registry's IAM user was granted s3:* on "bucket/*" only, so ListBucket
 * (a bucket-level action, whose resource is the bucket ARN) was never allowed and the registry
 * answered HTTP 500.
 */
export const s3StarOnObjectsOnly = policyDocument({
  Effect: "Allow",
  Action: ["s3:*"],
  Resource: "arn:aws:s3:::flypenguin.docker-registry/*",
});
