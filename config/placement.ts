/**
 * Where the config's things physically are: the partition every ARN and region lies in, and
 * which entries name one and the same EKS cluster. Both are invisible to the schema, which
 * sees one value at a time.
 */
import type { PartialConfig } from "./validate";
import { configPath } from "./validate";
import { partitionOf } from "../naming/aws";

function partitionOfArn(arn: unknown): string | undefined {
  return typeof arn === "string" ? arn.split(":")[1] : undefined;
}

export function placementProblems(input: PartialConfig): string[] {
  return [...partitionProblems(input), ...sameEksClusterProblems(input)];
}

/** IAM and ECR never cross partitions: a principal of aws-cn cannot be granted anything in aws. */
function partitionProblems(input: PartialConfig): string[] {
  const region = input.registry?.region;
  if (region === undefined) return [];
  const partition = partitionOf(region);
  const where = `the registry (region ${region}) is in partition ${partition}`;
  const problems: string[] = [];
  const arn = (value: unknown, path: PropertyKey[]) => {
    const other = partitionOfArn(value);
    if (other !== undefined && other !== partition)
      problems.push(`${configPath(path)}: is in partition ${other}; ${where}`);
  };
  arn(input.registry?.deployRoleArn, ["registry", "deployRoleArn"]);
  arn(input.registry?.previewRoleArn, ["registry", "previewRoleArn"]);
  (input.registry?.admins ?? []).forEach((a, i) => arn(a, ["registry", "admins", i]));
  const encryption = input.registry?.encryption;
  if (encryption && "kmsKeyArn" in encryption)
    arn(encryption.kmsKeyArn, ["registry", "encryption", "kmsKeyArn"]);
  arn(input.organization?.deployRoleArn, ["organization", "deployRoleArn"]);
  arn(input.organization?.previewRoleArn, ["organization", "previewRoleArn"]);
  (input.pushers ?? []).forEach((p, i) => arn(p?.principalArn, ["pushers", i, "principalArn"]));
  (input.accounts ?? []).forEach((account, a) => {
    if (account?.region !== undefined && partitionOf(account.region) !== partition) {
      problems.push(
        `${configPath(["accounts", a, "region"])}: ${account.region} is in partition ` +
          `${partitionOf(account.region)}; ${where}, and images are not shared across partitions`,
      );
    }
    arn(account?.deployRoleArn, ["accounts", a, "deployRoleArn"]);
    arn(account?.previewRoleArn, ["accounts", a, "previewRoleArn"]);
    (account?.clusters ?? []).forEach((cluster, c) =>
      arn(cluster?.nodeRoleArn, ["accounts", a, "clusters", c, "nodeRoleArn"]),
    );
  });
  return problems;
}

/**
 * A created cluster's EKS name is its config name; an adopted one names its own in
 * eks.clusterName. Two entries for one cluster would install two caches on it.
 */
function sameEksClusterProblems(input: PartialConfig): string[] {
  const problems: string[] = [];
  const firstAt = new Map<string, string>();
  (input.accounts ?? []).forEach((account, a) => {
    const region = account?.region ?? input.registry?.region;
    if (account?.accountId === undefined || region === undefined) return;
    (account.clusters ?? []).forEach((cluster, c) => {
      const [name, path] = cluster?.create
        ? [cluster.name, ["accounts", a, "clusters", c, "name"]]
        : [cluster?.eks?.clusterName, ["accounts", a, "clusters", c, "eks", "clusterName"]];
      if (name === undefined) return;
      const key = JSON.stringify([account.accountId, region, name]);
      const first = firstAt.get(key);
      if (first === undefined) {
        firstAt.set(key, configPath(path));
        return;
      }
      problems.push(
        `${configPath(path)}: EKS cluster ${name} in account ${account.accountId} (${region}) ` +
          `is already configured at ${first}; one cluster, one entry`,
      );
    });
  });
  return problems;
}
