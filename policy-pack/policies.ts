// The rules of the registry-hub policy pack: one module per rule in ./rules, sharing ./helpers.
//
// These modules only define policies: they must stay importable without side effects. Creating a
// `PolicyPack` starts the policy gRPC server, so that happens in ./index.ts only, and everything
// imported from @pulumi/policy here, in ./rules and in ./helpers is a type.
//
// The rules match resources by their type tokens (./helpers/resource-types) instead of importing
// @pulumi/aws, so the pack does not need the AWS SDK installed.
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ecrRegistryScanningCoversAll } from "./rules/ecr-registry-scanning-covers-all";
import { ecrRepositoryImmutableTags } from "./rules/ecr-repository-immutable-tags";
import { ecrRepositoryPolicySize } from "./rules/ecr-repository-policy-size";
import { ecrRepositoryScanOnPush } from "./rules/ecr-repository-scan-on-push";
import { irsaTrustPinned } from "./rules/iam-irsa-trust-pinned";
import { noWildcardGrants } from "./rules/iam-no-wildcard-grants";
import { kmsKeyRotated } from "./rules/kms-key-rotated";
import { s3BucketEncrypted } from "./rules/s3-bucket-encrypted";
import { s3BucketPublicAccessBlocked } from "./rules/s3-bucket-public-access-blocked";
import { s3BucketTlsOnly } from "./rules/s3-bucket-tls-only";
import { s3GrantResourceLevels } from "./rules/s3-grant-resource-levels";

/** Every rule of the pack, in the order they are reported. */
export const policies: (ResourceValidationPolicy | StackValidationPolicy)[] = [
  noWildcardGrants,
  s3GrantResourceLevels,
  s3BucketPublicAccessBlocked,
  s3BucketTlsOnly,
  s3BucketEncrypted,
  ecrRepositoryImmutableTags,
  ecrRepositoryScanOnPush,
  ecrRepositoryPolicySize,
  ecrRegistryScanningCoversAll,
  kmsKeyRotated,
  irsaTrustPinned,
];
