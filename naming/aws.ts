/**
 * Every physical name and ARN the program derives: the model, the policy builders, the
 * components and the tools all take them from here, so a name is spelled in one place.
 * Depends on nothing, so any stage may use it.
 */

export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export function accountOfArn(arn: string): string {
  return arn.split(":")[4];
}

/** The last segment of a role ARN: its name without the path. */
export function roleNameOfArn(arn: string): string {
  return arn.split("/").pop() as string;
}

export function roleArn(partition: string, accountId: string, name: string): string {
  return `arn:${partition}:iam::${accountId}:role/${name}`;
}

export function repositoryArn(
  partition: string,
  region: string,
  accountId: string,
  name: string,
): string {
  return `arn:${partition}:ecr:${region}:${accountId}:repository/${name}`;
}

export function bucketArn(partition: string, bucket: string): string {
  return `arn:${partition}:s3:::${bucket}`;
}

/** The registry endpoint, e.g. 333333333333.dkr.ecr.us-east-1.amazonaws.com */
export function registryHost(accountId: string, region: string, partition: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com${partition === "aws-cn" ? ".cn" : ""}`;
}

/** The node role a created cluster gets: named up front so policies can name it before it exists. */
export function createdNodeRoleName(cluster: string): string {
  return `registry-hub-${cluster}-nodes`;
}

export function cacheRoleName(cluster: string): string {
  return `registry-hub-${cluster}-cache`;
}

/** Bucket names are global: the account id keeps two stacks from colliding. */
export function cacheBucketName(cluster: string, accountId: string): string {
  return `registry-hub-cache-${cluster}-${accountId}`;
}

/** The Kubernetes service account the cache's pods run as, which its IRSA role trusts. */
export const CACHE_SERVICE_ACCOUNT = "registry-cache";

/**
 * The AWS profile the program's provider for one account (and `aws eks get-token` for its
 * clusters) uses. Which role the profile assumes is the job's choice, not the program's: the
 * deploy role for `pulumi up`, the read-only preview role for pull-request previews
 * (npm run aws-profiles). So the provider's inputs are the same in both, and a preview after a
 * deploy shows no change to any provider.
 */
export function awsProfileName(stack: string, target: string): string {
  return `registry-hub-${stack}-${target}`;
}
