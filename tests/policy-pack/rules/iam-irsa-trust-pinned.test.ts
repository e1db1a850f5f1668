// Rule "iam-irsa-trust-pinned": IRSA roles trust exactly one service account.
// Fabricated resources that pass and that fail it, with the messages `pulumi preview` shows.
import * as assert from "assert";
import { irsaTrustPinned } from "../../../policy-pack/rules/iam-irsa-trust-pinned";
import {
  assertNoViolations,
  checkResource,
  describeRule,
  irsaTrust,
  ISSUER,
  OIDC_PROVIDER_ARN,
  pinnedIrsaCondition,
  policyDocument,
  T,
} from "../fixtures";

describeRule(irsaTrustPinned, () => {
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
    assert.deepStrictEqual(await checkResource(irsaTrustPinned, T.iamRole, { assumeRolePolicy }), [
      'statement 0 uses "StringLike"; pin the service account with StringEquals instead.',
      'statement 0 must pin exactly one service account with StringEquals "<issuer>:sub" = ' +
        '"system:serviceaccount:<namespace>:<name>".',
    ]);
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
    assert.deepStrictEqual(await checkResource(irsaTrustPinned, T.iamRole, { assumeRolePolicy }), [
      'statement 0 must pin exactly one service account with StringEquals "<issuer>:sub" = ' +
        '"system:serviceaccount:<namespace>:<name>".',
      'statement 0 must require StringEquals "<issuer>:aud" = "sts.amazonaws.com".',
    ]);
  });
});
