/**
 * The stack config schema: the one place that says what `registry-hub:*` keys may hold.
 * Shape rules live here; rules that relate one part of the config to another live in
 * `validate.ts`.
 */
import { z } from "zod";
import { display } from "./display";
import { unknownPartition } from "./partitions";
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
/** Fronts the registry's debug listener and passes /metrics only. */
export const METRICS_PROXY_IMAGE =
  "public.ecr.aws/docker/library/nginx:1.27.5-alpine@sha256:65645c7bb6a0661892a8b03b89d0743208a18dd2f3f17a54ef4b76fb8e2f2a10";
export const TOKEN_REFRESHER_IMAGE =
  "public.ecr.aws/aws-cli/aws-cli:2.22.35@sha256:6977c83ae3dc99f28fcf8276b9ea5eec33833cd5be40574b34112e98113ec7a2";

const accountId = z.string().regex(/^\d{12}$/, "not a 12-digit AWS account id");
/**
 * IAM's CreateRole rules (IAM API Reference): RoleName 1-64 characters of [\w+=,.@-]; Path is
 * "/" or "/.../" of at most 512 characters. In an ARN the path sits between "role" and the name.
 */
export function roleArnProblem(arn: string): string | undefined {
  const match = /^arn:([^:]*):iam::(\d{12}):role(\/.*)$/s.exec(arn);
  if (!match) return "not an IAM role ARN";
  const [, partition, , resource] = match;
  const unknown = unknownPartition(partition);
  if (unknown) return `not an IAM role ARN: ${unknown}`;
  const slash = resource.lastIndexOf("/");
  const path = resource.slice(0, slash + 1);
  const name = resource.slice(slash + 1);
  if (name === "") return "not an IAM role ARN: the role name is empty";
  if (!/^[\w+=,.@-]+$/.test(name)) {
    return "not an IAM role ARN: a role name has only letters, digits and + = , . @ _ -";
  }
  if (name.length > 64) {
    return `the role name has ${name.length} characters; IAM allows 1-64`;
  }
  if (path.length > 512) {
    return `the role path has ${path.length} characters; IAM allows at most 512`;
  }
  if (path !== "/" && !/^\/[\w+=,.@/-]+\/$/.test(path)) {
    return "not an IAM role ARN: the role path has an empty segment (//)";
  }
  return undefined;
}

const roleArn = z.string().superRefine((arn, ctx) => {
  const problem = roleArnProblem(arn);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** A string with a length limit and a shape, refused with one message (the limit's, if over). */
function bounded(max: number, limit: string, shape: RegExp, message: string) {
  return z.string().superRefine((text, ctx) => {
    if (text.length > max) {
      ctx.addIssue({
        code: "custom",
        message: `has ${text.length.toLocaleString("en-US")} characters; ${limit}`,
      });
    } else if (!shape.test(text)) {
      ctx.addIssue({ code: "custom", message });
    }
  });
}
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
/**
 * The issuer as IAM uses it in condition keys: host and path, without https://. EKS names a
 * cluster's issuer by 32 hex digits in capitals; its host's suffix is the partition's, which
 * config/validate.ts checks against the account's region.
 */
const oidcIssuer = bounded(
  // IAM's CreateOpenIDConnectProvider takes the issuer URL with https://, at most 255 characters.
  255 - "https://".length,
  "an OIDC provider URL has at most 255 characters with https://",
  /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/id\/[0-9A-F]{32}$/,
  "not an EKS OIDC issuer (oidc.eks.<region>.amazonaws.com/id/<ID>, the ID 32 hex digits in capitals as EKS makes it, without https://)",
);

/**
 * The image reference grammar that kubelet and containerd parse (distribution's reference
 * package): <registry host>[:<port>]/<path>[:<tag>]@<digest>. A reference it refuses leaves
 * the pods in InvalidImageName.
 */
const IMAGE_DOMAIN_COMPONENT = /^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IMAGE_IPV6_HOST = /^\[[0-9a-fA-F:]+\]$/;
const IMAGE_PATH_COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
const IMAGE_DIGEST = /^sha256:[a-f0-9]{64}$/;
/** The grammar's limit on the name: registry host, port and path together. */
const IMAGE_NAME_MAX = 255;

/** Why `reference` is not an image reference pinned by digest, or undefined. */
function pinnedImageProblem(reference: string): string | undefined {
  const at = reference.indexOf("@");
  const slash = reference.indexOf("/");
  if (at < 0 || slash < 0 || slash > at || !IMAGE_DIGEST.test(reference.slice(at + 1))) {
    return "an image pinned by digest, like <registry>/<repository>:<tag>@sha256:<64 hex>";
  }
  let name = reference.slice(0, at);
  let tag: string | undefined;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const domain = name.slice(0, slash);
  const portAt = domain.startsWith("[") ? domain.indexOf("]:") + 1 : domain.indexOf(":");
  const host = portAt > 0 ? domain.slice(0, portAt) : domain;
  const port = portAt > 0 ? domain.slice(portAt + 1) : undefined;
  if (
    !IMAGE_IPV6_HOST.test(host) &&
    !host.split(".").every((c) => IMAGE_DOMAIN_COMPONENT.test(c))
  ) {
    return `registry host ${display(host)} is not a host name (letters, digits and - between dots) in the image reference grammar`;
  }
  if (
    port !== undefined &&
    !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)
  ) {
    return `registry port ${display(port)} is not a port (1-65535)`;
  }
  const component = name
    .slice(slash + 1)
    .split("/")
    .find((c) => !IMAGE_PATH_COMPONENT.test(c));
  if (component !== undefined) {
    return (
      `repository path component ${display(component)} is not one the image reference grammar ` +
      "allows: lower-case letters and digits, separated by one . or _, by __, or by dashes"
    );
  }
  if (name.length > IMAGE_NAME_MAX) {
    return `the image name (registry and repository) has ${name.length.toLocaleString("en-US")} characters; image references allow at most ${IMAGE_NAME_MAX}`;
  }
  if (tag !== undefined && !IMAGE_TAG.test(tag)) {
    return `tag ${display(tag)} is not an image tag: 1-128 letters, digits, _ . and -, not starting with . or -`;
  }
  return undefined;
}

/** A container image by digest, so every node runs the same bytes whatever a tag now says. */
const pinnedImage = z.string().superRefine((reference, ctx) => {
  const problem = pinnedImageProblem(reference);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** AWS's tag character set (Tagging AWS resources, tag naming rules): letters, digits, spaces, + - = . _ : / @. */
const TAG_TEXT = /^[\p{L}\p{N}\p{Z}+\-=._:/@]*$/u;
/** The hub adds registry-hub:stack, registry-hub:account and registry-hub:cluster; AWS allows 50 per resource. */
export const MAX_CONFIG_TAGS = 47;
export const HUB_TAG_PREFIX = `${PROJECT}:`;

/**
 * A tag key, its first problem only. AWS counts characters (Unicode code points) in keys and
 * values alike, and so do zod's min and max.
 */
const tagKey = z
  .string()
  .min(1, "a tag key has 1-128 characters")
  .max(128, "a tag key has 1-128 characters")
  .regex(TAG_TEXT, "a tag key may hold letters, digits, spaces and + - = . _ : / @ only")
  .refine(
    (key) => !key.toLowerCase().startsWith("aws:"),
    "tag keys starting with aws: are reserved for AWS",
  )
  .refine(
    (key) => !key.startsWith(HUB_TAG_PREFIX),
    `tag keys starting with ${HUB_TAG_PREFIX} are the hub's own`,
  );

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
      const parsed = tagKey.safeParse(key);
      if (!parsed.success) {
        ctx.addIssue({ code: "custom", path: [key], message: parsed.error.issues[0].message });
      }
    }
  });

const unprivilegedPort = z
  .number()
  .int()
  .min(1024, "a port in 1024-29999 (unprivileged, below the NodePort range)")
  .max(29999, "a port in 1024-29999 (unprivileged, below the NodePort range)");

export const cacheSchema = z
  .strictObject({
    port: unprivilegedPort
      .default(20500)
      .describe(
        "Port of the cache on each node's 127.0.0.1 (and nowhere else); the next port serves its metrics to the metrics proxy, on 127.0.0.1 too. Below the NodePort range, which kube-proxy may capture.",
      ),
    namespace: simpleName
      .default("registry-cache")
      .describe("Kubernetes namespace of the cache (labelled to allow host networking)."),
    expiryDays: z
      .number()
      .int()
      .min(1)
      .max(365)
      .default(7)
      .describe(
        "Days cached content stays in the bucket after the cache fetched it from the central registry (S3 lifecycle, which runs daily). Pulls served from the cache do not extend it: a busy image is fetched again once per expiryDays, and during an ECR outage the cache serves what it fetched within the last expiryDays.",
      ),
    metrics: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            "Serve the registry's Prometheus metrics (proxy hits, misses, bytes) on each node's address, through a proxy that answers /metrics only (the registry's own debug listener also serves pprof).",
          ),
        port: unprivilegedPort.default(20502).describe("Port of /metrics on each node's address."),
        podMonitor: z
          .boolean()
          .default(false)
          .describe("Also create a prometheus-operator PodMonitor (needs its CRDs)."),
      })
      .prefault({})
      .describe("Prometheus metrics of the cache, per node."),
    images: z
      .strictObject({
        registry: pinnedImage
          .default(REGISTRY_IMAGE)
          .describe(
            "The cache itself: distribution (registry) v3, which must answer ECR's Basic auth challenge (2.8 cannot).",
          ),
        tokenRefresher: pinnedImage
          .default(TOKEN_REFRESHER_IMAGE)
          .describe(
            "The native sidecar that fetches an ECR token with the cache's IRSA role every 6 hours: an image with the aws CLI.",
          ),
        metricsProxy: pinnedImage
          .default(METRICS_PROXY_IMAGE)
          .describe(
            "The nginx sidecar that serves /metrics only, when metrics.enabled; an nginx image.",
          ),
      })
      .prefault({})
      .describe(
        "Container images, pinned by digest (copies in your own registry work too): <registry>[:<port>]/<repository>[:<tag>]@sha256:<64 hex>, as the image reference grammar has them (path components of lower-case letters and digits, tags of at most 128 characters, the name at most 255).",
      ),
  })
  .superRefine((cache, ctx) => {
    if (cache.metrics.enabled && [cache.port, cache.port + 1].includes(cache.metrics.port)) {
      ctx.addIssue({
        code: "custom",
        path: ["metrics", "port"],
        message: `${cache.metrics.port} is taken by the cache (port ${cache.port} and ${cache.port + 1})`,
      });
    }
  });

const kubernetesVersion = z.string().regex(/^1\.\d{2}$/, "an EKS Kubernetes version like 1.31");
const minorOf = (version: string) => Number(version.split(".")[1]);

/** Kubernetes supports clusters of at most 5,000 nodes (kubernetes.io, "Considerations for large clusters"). */
const MAX_NODES = 5_000;
const NODES_MESSAGE = "Kubernetes supports at most 5,000 nodes per cluster";

export const createClusterSchema = z
  .strictObject({
    version: kubernetesVersion.describe(
      'Kubernetes version of the new EKS cluster, like "1.31" (quote it in YAML); 1.29 or later for a cache.',
    ),
    instanceType: bounded(
      // Family.size: the longest names today (u7inh-32tb.480xlarge) have about 20 characters.
      32,
      "EC2 instance type names are far shorter",
      /^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$/,
      "an EC2 instance type like t3.large",
    ).describe(
      "EC2 instance type of the cluster's nodes, like m6i.large (family.size, at most 32 characters).",
    ),
    desiredSize: z
      .number()
      .int()
      .min(1)
      .max(MAX_NODES, NODES_MESSAGE)
      .default(2)
      .describe("Number of nodes the node group starts with; between minSize and maxSize."),
    minSize: z
      .number()
      .int()
      .min(1)
      .max(MAX_NODES, NODES_MESSAGE)
      .default(1)
      .describe("Fewest nodes of the node group."),
    maxSize: z
      .number()
      .int()
      .min(1)
      .max(MAX_NODES, NODES_MESSAGE)
      .default(3)
      .describe("Most nodes of the node group."),
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]{8,17}$/, "not a VPC id")
      .optional()
      .describe(
        "VPC of the cluster, given together with subnetIds; omit both for the account's default VPC.",
      ),
    subnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "not a subnet id"))
      .min(2, "EKS needs subnets in at least two availability zones")
      .optional()
      .describe(
        "Subnets of vpcId for the cluster and its nodes, in at least two availability zones, each listed once.",
      ),
  })
  .superRefine((c, ctx) => {
    const firstAt = new Map<string, number>();
    (c.subnetIds ?? []).forEach((subnet, i) => {
      const first = firstAt.get(subnet);
      if (first === undefined) firstAt.set(subnet, i);
      else
        ctx.addIssue({
          code: "custom",
          path: ["subnetIds", i],
          message: `subnet ${subnet} is already listed at subnetIds[${first}]`,
        });
    });
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
    name: simpleName.describe(
      "The cluster's name in this config, unique across all accounts: repositories[].clusters names it, and it is part of the names of what the program creates for the cluster (a created cluster's EKS name, registry-hub-<name>-nodes, registry-hub-<name>-cache, the cache bucket registry-hub-cache-<name>-<account id>), so renaming means new ones.",
    ),
    nodeRoleArn: roleArn
      .optional()
      .describe(
        "Adopt an existing cluster: the ARN of its nodes' IAM role in this account (arn:<partition>:iam::<account>:role/<path><name>), which gets the inline pull policy registry-hub-central-ecr-pull. Give nodeRoleArn or create, not both; no other cluster may use the same role (IAM role names are unique in an account whatever the path and case, so role/a and role/team/A are one role).",
      ),
    eks: z
      .strictObject({
        clusterName: z
          .string()
          .regex(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, "not an EKS cluster name")
          .describe(
            "The cluster's name in EKS, which the Kubernetes provider looks up (with the account's deploy role) to install the cache.",
          ),
        oidcIssuer: oidcIssuer.describe(
          "The cluster's OIDC issuer without https://, like oidc.eks.us-east-1.amazonaws.com/id/<ID> (32 hex digits in capitals; .amazonaws.com.cn in China), in the account's region and partition: the cache's IAM role trusts its service account through it (IRSA).",
        ),
        kubernetesVersion: kubernetesVersion
          .optional()
          .describe(
            'The cluster\'s Kubernetes version, like "1.31" (quote it in YAML); required with a cache, which needs 1.29 or later (native sidecars).',
          ),
      })
      .optional()
      .describe(
        "An adopted cluster's EKS details, needed when it has a cache (the program installs the cache through them); not for created clusters.",
      ),
    create: createClusterSchema
      .optional()
      .describe(
        "Let the program create the cluster: an EKS cluster named after name, with an OIDC provider and a node role registry-hub-<name>-nodes that the program creates. Give create or nodeRoleArn, not both.",
      ),
    cache: cacheSchema
      .optional()
      .describe(
        "A pull-through cache of the central registry on every node of this cluster: an S3 bucket, an IRSA role and a DaemonSet listening on each node's 127.0.0.1. Created clusters' nodes are pointed at it (containerd hosts.toml); adopted clusters' nodes need the same file. Needs Kubernetes 1.29 or later; {} takes every default.",
      ),
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
      accountId: accountId.describe(
        "The registry account, which holds every repository; 12 digits, quoted in YAML so it stays a string. Clusters run in other accounts.",
      ),
      region: region.describe(
        "AWS region of the registry, like us-east-1: where the repositories live, and the region of every account that names none. Its partition (aws, aws-cn, aws-us-gov, ...) is the one the registry's roles, the pushers, and every account's region and roles must be in.",
      ),
      deployRoleArn: roleArn.describe(
        "ARN of the IAM role of the registry account (like arn:aws:iam::<account>:role/pulumi-deploy) that the program's AWS profile for the registry assumes on deploys (`npm run aws-profiles -- --role deploy`) to manage the registry. The repository policies let only it and the admins change repositories; to replace it, add the new role to admins first, deploy, then switch.",
      ),
      previewRoleArn: roleArn
        .optional()
        .describe(
          "ARN of a read-only IAM role of the registry account (like arn:aws:iam::<account>:role/pulumi-preview) that pull-request previews assume instead of deployRoleArn: `npm run aws-profiles -- --role preview` points the program's AWS profile for this account at it. Without it, this account cannot be previewed with read-only credentials.",
        ),
      admins: z
        .array(roleArn)
        .min(1, "name at least one admin role, so nobody is locked out")
        .describe(
          "ARNs of IAM roles of the registry account (arn:<partition>:iam::<account>:role/<path><name>) that may push, pull, delete and change every repository; the repository policies never lock them out. They also administer the KMS key of encryption.createKey.",
        ),
      encryption: encryptionSchema,
      scanning: scanningSchema,
    })
    .superRefine(checkEncryptionRegion)
    .describe(
      "The central registry: the account and region that hold every repository, the role that deploys them, the admins, and registry-wide options.",
    ),
  access: z
    .strictObject({
      mode: z
        .enum(ACCESS_MODES)
        .describe(
          "How repository policies name the consumers that may pull. roles: every allowed node and cache role by ARN (exact; about 60 characters per role towards the 10,240-character policy limit, and adding a cluster changes every repository policy it may pull). accounts: the consumer account ids, whose identity policies then decide which roles pull. organization: the AWS Organization (aws:PrincipalOrgID), except that a repository listing clusters names their roles.",
        ),
      organizationId: z
        .string()
        .regex(/^o-[a-z0-9]{10,32}$/, "not an AWS Organizations id (o-...)")
        .optional()
        .describe(
          "The AWS Organizations id (o-...) that mode organization trusts; required for that mode and not used by the others.",
        ),
    })
    .superRefine((a, ctx) => {
      if (a.mode === "organization" && !a.organizationId) {
        ctx.addIssue({
          code: "custom",
          path: ["organizationId"],
          message: "required when mode is organization",
        });
      }
    })
    .describe(
      "Who may pull: which principals the repository policies trust for the clusters (see docs/access.md).",
    ),
  organization: z
    .strictObject({
      managementAccountId: accountId.describe(
        "The organization's management account, where the service control policy is created; 12 digits, quoted in YAML. Not the registry account (service control policies never apply to the management account).",
      ),
      deployRoleArn: roleArn.describe(
        "ARN of the IAM role of the management account (like arn:aws:iam::<account>:role/pulumi-deploy) that the program assumes to create the service control policy and attach it to the registry account.",
      ),
      previewRoleArn: roleArn
        .optional()
        .describe(
          "ARN of a read-only IAM role of the management account (like arn:aws:iam::<account>:role/pulumi-preview) that pull-request previews assume instead of deployRoleArn: `npm run aws-profiles -- --role preview` points the program's AWS profile for this account at it. Without it, this account cannot be previewed with read-only credentials.",
        ),
    })
    .optional()
    .describe(
      "The organization's management account, to attach a service control policy to the registry account: the guardrail for what repository policies cannot reach (registry-level ECR settings, creating and deleting repositories), allowed only to the admins and the deploy role. Omit it for no service control policy.",
    ),
  pushers: z
    .array(
      z.strictObject({
        name: simpleName.describe(
          "The pusher's name, which repositories[].pushers refers to; unique.",
        ),
        principalArn: roleArn.describe(
          "ARN of the IAM role of the registry account that pushes (a CI role, say, like arn:aws:iam::<account>:role/github-actions); it needs only ecr:GetAuthorizationToken in its own identity policy, the repository policies grant the rest.",
        ),
      }),
    )
    .default([])
    .describe(
      "Roles that may push images, each with a name repositories refer to. A pusher may push and pull only the repositories that list it.",
    ),
  repositories: z
    .array(
      z
        .strictObject({
          name: repositoryName.describe(
            "The ECR repository name, unique; slashes make namespaces like team/app. The repository is protected: removing it from the config stops pulumi up instead of deleting images.",
          ),
          pushers: z
            .array(z.string())
            .default([])
            .describe(
              "Names of pushers (from registry-hub:pushers) that may push to this repository; nobody else but the admins may.",
            ),
          clusters: z
            .array(z.string())
            .min(1, "omit clusters to allow every cluster")
            .optional()
            .describe(
              "Names of the clusters (from registry-hub:accounts) that may pull this repository, enforced in every access mode; omit it to let every cluster pull.",
            ),
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
    .min(1, "configure at least one repository")
    .describe(
      "The repositories of the central registry, each with its repository policy (who may push and pull) and optional lifecycle policy.",
    ),
  accounts: z
    .array(
      z
        .strictObject({
          name: simpleName.describe(
            "The account's name in this config, unique; its resources carry it in the registry-hub:account tag.",
          ),
          accountId: accountId.describe(
            "The consumer account's id, unique and not the registry account's; 12 digits, quoted in YAML.",
          ),
          deployRoleArn: roleArn.describe(
            "ARN of the IAM role of this account (like arn:aws:iam::<account>:role/pulumi-deploy) that the program's AWS profile for this account assumes on deploys (`npm run aws-profiles -- --role deploy`), for its AWS provider and the Kubernetes access to its clusters; the provider refuses to act in any other account. The cache buckets' policies let only it manage the buckets; to replace it, set nextDeployRoleArn first.",
          ),
          nextDeployRoleArn: roleArn
            .optional()
            .describe(
              "Only while replacing deployRoleArn: the role of this account that will replace it. The cache buckets' policies admit it like the deploy role, so it can update them once it deploys. Set it and deploy (with the current role), then move it to deployRoleArn, remove this key and deploy again: the old role is refused from then on.",
            ),
          previewRoleArn: roleArn
            .optional()
            .describe(
              "ARN of a read-only IAM role of this account (like arn:aws:iam::<account>:role/pulumi-preview) that pull-request previews assume instead of deployRoleArn: `npm run aws-profiles -- --role preview` points the program's AWS profile for this account at it. Without it, this account cannot be previewed with read-only credentials.",
            ),
          region: region
            .optional()
            .describe(
              "AWS region of this account's clusters and caches; omitted, the registry's region. In the registry's partition: images are not shared across partitions.",
            ),
          clusters: z
            .array(clusterSchema)
            .default([])
            .describe(
              "The account's EKS clusters that pull from the registry, each adopted (nodeRoleArn) or created (create).",
            ),
        })
        .superRefine((account, ctx) => {
          // Within one account entry, like the create settings' subnets; validate.ts checks deployRoleArn.
          const next = account.nextDeployRoleArn;
          if (next === undefined) return;
          const problem = (message: string) =>
            ctx.addIssue({ code: "custom", path: ["nextDeployRoleArn"], message });
          if (next.split(":")[4] !== account.accountId)
            problem(`must be a role of account ${account.accountId}`);
          else if (next.split(":")[1] !== account.deployRoleArn.split(":")[1])
            problem("must be in the partition of deployRoleArn");
          else if (next === account.deployRoleArn)
            problem("is deployRoleArn itself; set it only to the role that will replace it");
        }),
    )
    .describe(
      "The consumer accounts and their clusters: each gets its own AWS provider, and its clusters' node roles the inline pull policy.",
    ),
});

/** Config as the user wrote it, defaults filled in. */
export type HubConfigInput = z.infer<typeof hubConfigSchema>;
export type CacheSettings = z.infer<typeof cacheSchema>;
export type CreateClusterSettings = z.infer<typeof createClusterSchema>;
