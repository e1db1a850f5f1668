/**
 * The identity policy on each puller role in its own account (the consumer's half of
 * cross-account access).
 *
 * It allows pulling from the central registry's repositories and denies the ones this
 * cluster is left out of. Naming every repository instead would outgrow IAM's 10,240
 * characters of inline policy per role at about 150 repositories, and would change every
 * node role whenever a repository is added.
 */
import { GET_AUTHORIZATION_TOKEN, PULL_ACTIONS } from "./ecr-actions";
import { PolicyDocument, PolicyStatement, oneOrMany, policyDocument } from "./document";
import { repositoryArn } from "../naming/aws";

export interface ConsumerPull {
  partition: string;
  registryRegion: string;
  registryAccountId: string;
  /** ARNs of the repositories whose `clusters` list leaves this puller out. */
  excludedRepositoryArns: string[];
}

export function consumerPullStatements(pull: ConsumerPull): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    {
      Sid: "PullFromCentralRegistry",
      Effect: "Allow",
      Action: [...PULL_ACTIONS],
      Resource: repositoryArn(pull.partition, pull.registryRegion, pull.registryAccountId, "*"),
    },
  ];
  if (pull.excludedRepositoryArns.length > 0) {
    statements.push({
      Sid: "NoPullFromRepositoriesOfOtherClusters",
      Effect: "Deny",
      Action: [...PULL_ACTIONS],
      Resource: oneOrMany(pull.excludedRepositoryArns),
    });
  }
  statements.push({
    Sid: "GetRegistryToken",
    Effect: "Allow",
    Action: GET_AUTHORIZATION_TOKEN,
    Resource: "*",
  });
  return statements;
}

export function consumerPullPolicy(pull: ConsumerPull): PolicyDocument {
  return policyDocument(consumerPullStatements(pull));
}
