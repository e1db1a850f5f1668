/**
 * The stack config schema: the one place that says what `registry-hub:*` keys may hold.
 * Shape rules live here; rules that relate one part of the config to another live in
 * `validate.ts`.
 */
import { z } from "zod";
import {
  checkEncryptionRegion,
  checkLifecycleRuleCount,
  encryptionSchema,
  imageTagMutabilitySchema,
  lifecycleSchema,
  mutableTagPatternsSchema,
  scanningSchema,
} from "./repository-options";

export const PROJECT = "registry-hub";
export const ACCESS_MODES = ["roles", "accounts", "organization"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];
/** Kubernetes runs native sidecars (the cache's token refresher) from 1.29 on. */
export const MIN_CACHE_KUBERNETES_MINOR = 29;
/** distribution v3.1.1 (2.8 cannot answer ECR's Basic challenge), from ECR Public: no anonymous pull limits. */
export const REGISTRY_IMAGE =
  "public.ecr.aws/docker/library/registry:3.1.1@sha256:1be55279f18a2fe1a74edf2664cac61c1bea305b7b4642dab412e7affdcb3e33";
export const TOKEN_REFRESHER_IMAGE =
  "public.ecr.aws/aws-cli/aws-cli:2.22.35@sha256:6977c83ae3dc99f28fcf8276b9ea5eec33833cd5be40574b34112e98113ec7a2";

const accountId = z.string().regex(/^\d{12}$/, "not a 12-digit AWS account id");
const roleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, "not an IAM role ARN");
const region = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "not an AWS region (like us-east-1)");
/** Cluster, account and pusher names end up in resource and bucket names (63 characters at most). */
const simpleName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?$/, "use 1-30 lower-case letters, digits and dashes");
/** ECR's own rule for repository names (CreateRepository API reference). */
const repositoryName = z
  .string()
  .min(2, "ECR repository names have 2-256 characters")
  .max(256, "ECR repository names have 2-256 characters")
  .regex(
    /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    "not a valid ECR repository name (lower-case letters, digits, and . _ - / between them)",
  );
/** The issuer as IAM uses it in condition keys: host and path, without https://. */
const oidcIssuer = z
  .string()
  .regex(
    /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\/[A-Z0-9]+$/,
    "not an EKS OIDC issuer (oidc.eks.<region>.amazonaws.com/id/<ID>, without https://)",
  );

/** A container image by digest, so every node runs the same bytes whatever a tag now says. */
const pinnedImage = z
  .string()
  .regex(
    /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[\w.-]+)?@sha256:[0-9a-f]{64}$/,
    "an image pinned by digest, like <registry>/<repository>:<tag>@sha256:<64 hex>",
  );

/** AWS's tag character set (Tagging AWS resources, tag naming rules): letters, digits, spaces, + - = . _ : / @. */
const TAG_TEXT = /^[\p{L}\p{N}\p{Z}+\-=._:/@]*$/u;
/** The hub adds registry-hub:stack, registry-hub:account and registry-hub:cluster; AWS allows 50 per resource. */
export const MAX_CONFIG_TAGS = 47;
export const HUB_TAG_PREFIX = `${PROJECT}:`;

export const tagsSchema = z
  .record(
    z.string(),
    z
      .string()
      .max(256, "a tag value has at most 256 characters")
      .regex(TAG_TEXT, "a tag value may hold letters, digits, spaces and + - = . _ : / @ only"),
  )
  .superRefine((tags, ctx) => {
    const keys = Object.keys(tags);
    if (keys.length > MAX_CONFIG_TAGS) {
      ctx.addIssue({
        code: "custom",
        message: `at most ${MAX_CONFIG_TAGS} tags: AWS allows 50 per resource and the hub adds 3`,
      });
    }
    for (const key of keys) {
      const problem =
        key.length < 1 || key.length > 128
          ? "a tag key has 1-128 characters"
          : !TAG_TEXT.test(key)
            ? "a tag key may hold letters, digits, spaces and + - = . _ : / @ only"
            : key.toLowerCase().startsWith("aws:")
              ? "tag keys starting with aws: are reserved for AWS"
              : key.startsWith(HUB_TAG_PREFIX)
                ? `tag keys starting with ${HUB_TAG_PREFIX} are the hub's own`
                : undefined;
      if (problem) ctx.addIssue({ code: "custom", path: [key], message: problem });
    }
  });

export const cacheSchema = z.strictObject({
  /**
   * The port the cache listens on, on each node's 127.0.0.1 only. Below the NodePort range
   * (30000-32767): kube-proxy would otherwise capture it for a Service.
   */
  port: z
    .number()
    .int()
    .min(1024, "a port in 1024-29999 (unprivileged, below the NodePort range)")
    .max(29999, "a port in 1024-29999 (unprivileged, below the NodePort range)")
    .default(20500),
  namespace: simpleName.default("registry-cache"),
  /**
   * Days a cached blob or manifest stays in the bucket after the cache fetched it from the
   * central registry. Pulls served from the cache do not extend it.
   */
  expiryDays: z.number().int().min(1).max(365).default(7),
  images: z
    .strictObject({
      registry: pinnedImage.default(REGISTRY_IMAGE),
      tokenRefresher: pinnedImage.default(TOKEN_REFRESHER_IMAGE),
    })
    .prefault({}),
});

const kubernetesVersion = z.string().regex(/^1\.\d{2}$/, "an EKS Kubernetes version like 1.31");
const minorOf = (version: string) => Number(version.split(".")[1]);

export const createClusterSchema = z
  .strictObject({
    version: kubernetesVersion,
    instanceType: z.string().regex(/^[a-z0-9-]+\.[a-z0-9]+$/, "an EC2 instance type like t3.large"),
    desiredSize: z.number().int().min(1).default(2),
    minSize: z.number().int().min(1).default(1),
    maxSize: z.number().int().min(1).default(3),
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]{8,17}$/, "not a VPC id")
      .optional(),
    subnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "not a subnet id"))
      .min(2, "EKS needs subnets in at least two availability zones")
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (!(c.minSize <= c.desiredSize && c.desiredSize <= c.maxSize)) {
      ctx.addIssue({
        code: "custom",
        path: ["desiredSize"],
        message: "needs minSize <= desiredSize <= maxSize",
      });
    }
    if ((c.vpcId === undefined) !== (c.subnetIds === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [c.vpcId === undefined ? "vpcId" : "subnetIds"],
        message: "give vpcId and subnetIds together (or neither, for the account's default VPC)",
      });
    }
  });

export const clusterSchema = z
  .strictObject({
    name: simpleName,
    /** Adopt an existing cluster: its node role, and how the cache reaches it. */
    nodeRoleArn: roleArn.optional(),
    eks: z
      .strictObject({
        clusterName: z
          .string()
          .regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, "not an EKS cluster name"),
        oidcIssuer,
        /** The cluster's Kubernetes version; required with a cache, which needs 1.29 or later. */
        kubernetesVersion: kubernetesVersion.optional(),
      })
      .optional(),
    /** Or let the program create the cluster. */
    create: createClusterSchema.optional(),
    cache: cacheSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.nodeRoleArn === undefined) === (c.create === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["nodeRoleArn"],
        message:
          "give nodeRoleArn (adopt an existing cluster) or create (a new cluster), exactly one",
      });
    }
    if (c.create && c.eks) {
      ctx.addIssue({
        code: "custom",
        path: ["eks"],
        message: "only for adopted clusters; a created cluster has its own",
      });
    }
    // The cache's token refresher is a native sidecar, which Kubernetes runs from 1.29 on.
    const version = c.create ? c.create.version : c.eks?.kubernetesVersion;
    const versionPath = c.create ? ["create", "version"] : ["eks", "kubernetesVersion"];
    if (c.cache && c.eks && version === undefined) {
      ctx.addIssue({
        code: "custom",
        path: versionPath,
        message: `an adopted cluster with a cache must declare its Kubernetes version (1.${MIN_CACHE_KUBERNETES_MINOR} or later)`,
      });
    } else if (c.cache && version !== undefined && minorOf(version) < MIN_CACHE_KUBERNETES_MINOR) {
      ctx.addIssue({
        code: "custom",
        path: versionPath,
        message: `a cluster with a cache needs Kubernetes 1.${MIN_CACHE_KUBERNETES_MINOR} or later (native sidecars)`,
      });
    }
    if (c.nodeRoleArn && c.cache && !c.eks) {
      ctx.addIssue({
        code: "custom",
        path: ["eks"],
        message:
          "an adopted cluster with a cache needs eks.clusterName, eks.oidcIssuer and eks.kubernetesVersion",
      });
    }
  });

export const hubConfigSchema = z.strictObject({
  tags: tagsSchema
    .optional()
    .describe(
      "Tags for every taggable AWS resource the program creates, through each account's provider " +
        `(defaultTags), besides the hub's own ${HUB_TAG_PREFIX}stack, ${HUB_TAG_PREFIX}account and ${HUB_TAG_PREFIX}cluster. ` +
        `AWS tag rules; no key may start with aws: or ${HUB_TAG_PREFIX}.`,
    ),
  registry: z
    .strictObject({
      accountId,
      region,
      deployRoleArn: roleArn,
      admins: z.array(roleArn).min(1, "name at least one admin role, so nobody is locked out"),
      encryption: encryptionSchema,
      scanning: scanningSchema,
    })
    .superRefine(checkEncryptionRegion),
  access: z
    .strictObject({
      mode: z.enum(ACCESS_MODES),
      organizationId: z
        .string()
        .regex(/^o-[a-z0-9]{10,32}$/, "not an AWS Organizations id (o-...)")
        .optional(),
    })
    .superRefine((a, ctx) => {
      if (a.mode === "organization" && !a.organizationId) {
        ctx.addIssue({
          code: "custom",
          path: ["organizationId"],
          message: "required when mode is organization",
        });
      }
    }),
  /**
   * Optional: the organization's management account, to attach a service control policy to
   * the registry account (the guardrail for what repository policies cannot reach).
   */
  organization: z
    .strictObject({ managementAccountId: accountId, deployRoleArn: roleArn })
    .optional(),
  pushers: z.array(z.strictObject({ name: simpleName, principalArn: roleArn })).default([]),
  repositories: z
    .array(
      z
        .strictObject({
          name: repositoryName,
          pushers: z.array(z.string()).default([]),
          clusters: z.array(z.string()).min(1, "omit clusters to allow every cluster").optional(),
          untaggedExpiryDays: z
            .number()
            .int()
            .min(1)
            .max(3650)
            .optional()
            .describe("Expire untagged images this many days after their push."),
          imageTagMutability: imageTagMutabilitySchema,
          mutableTagPatterns: mutableTagPatternsSchema.optional(),
          lifecycle: lifecycleSchema.optional(),
        })
        .superRefine(checkLifecycleRuleCount),
    )
    .min(1, "configure at least one repository"),
  accounts: z.array(
    z.strictObject({
      name: simpleName,
      accountId,
      deployRoleArn: roleArn,
      region: region.optional(),
      clusters: z.array(clusterSchema).default([]),
    }),
  ),
});

/** Config as the user wrote it, defaults filled in. */
export type HubConfigInput = z.infer<typeof hubConfigSchema>;
export type CacheSettings = z.infer<typeof cacheSchema>;
export type CreateClusterSettings = z.infer<typeof createClusterSchema>;
