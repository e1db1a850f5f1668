import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as pulumi from "@pulumi/pulumi";
import { mirrorUserData } from "../cache/containerd";
import { CreatedClusterModel } from "../config/model";
import { policyDocument, renderPolicy } from "../iam/document";
import { clusterTag } from "./providers";

export interface EksClusterArgs {
  cluster: CreatedClusterModel;
  /** The central registry host, whose pulls the nodes send through the cache. */
  registryHost: string;
  /** The role kubectl access assumes, the account's deploy role. */
  deployRoleArn: string;
}

const NODE_POLICIES = [
  "AmazonEKSWorkerNodePolicy",
  "AmazonEKS_CNI_Policy",
  // EKS's own add-on images; the central registry is granted separately.
  "AmazonEC2ContainerRegistryPullOnly",
];

/** A cluster the program creates, with an OIDC provider and a node role named up front. */
export class EksCluster extends pulumi.ComponentResource {
  readonly kubeconfig: pulumi.Output<string>;
  readonly oidcIssuer: pulumi.Output<string>;

  constructor(
    name: string,
    args: EksClusterArgs,
    opts: pulumi.ComponentResourceOptions & { provider: aws.Provider },
  ) {
    super("registry-hub:eks:EksCluster", name, {}, opts);
    const { cluster } = args;
    const nodeRole = new aws.iam.Role(
      `${name}-nodes`,
      {
        name: cluster.nodeRoleName,
        tags: clusterTag(cluster.name),
        assumeRolePolicy: renderPolicy(
          policyDocument([
            {
              Effect: "Allow",
              Principal: { Service: "ec2.amazonaws.com" },
              Action: "sts:AssumeRole",
            },
          ]),
        ),
      },
      { parent: this },
    );
    const attachments = NODE_POLICIES.map(
      (policy) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-${policy}`,
          { role: nodeRole.name, policyArn: `arn:${cluster.partition}:iam::aws:policy/${policy}` },
          { parent: this },
        ),
    );
    const { create } = cluster;
    const eksCluster = new eks.Cluster(
      name,
      {
        name: cluster.name,
        version: create.version,
        instanceType: create.instanceType,
        desiredCapacity: create.desiredSize,
        minSize: create.minSize,
        maxSize: create.maxSize,
        vpcId: create.vpcId,
        subnetIds: create.subnetIds,
        instanceRole: nodeRole,
        // Applied to the AWS resources the component creates; its provider adds the account's.
        tags: clusterTag(cluster.name),
        createOidcProvider: true,
        providerCredentialOpts: { roleArn: args.deployRoleArn },
        nodeUserData: cluster.cache
          ? mirrorUserData(args.registryHost, cluster.cache.port)
          : undefined,
      },
      // A remote component: its aws children see only providers handed to it by package.
      { parent: this, dependsOn: attachments, providers: { aws: opts.provider } },
    );
    this.kubeconfig = eksCluster.kubeconfigJson;
    this.oidcIssuer = eksCluster.oidcIssuer;
    this.registerOutputs({ kubeconfig: this.kubeconfig, oidcIssuer: this.oidcIssuer });
  }
}

/** kubectl access to an adopted cluster, through the account's deploy role. */
export function adoptedKubeconfig(
  clusterName: string,
  region: string,
  deployRoleArn: string,
  provider: aws.Provider,
): pulumi.Output<string> {
  const found = aws.eks.getClusterOutput({ name: clusterName }, { provider });
  return pulumi.jsonStringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: clusterName,
        cluster: {
          server: found.endpoint,
          "certificate-authority-data": found.certificateAuthorities[0].data,
        },
      },
    ],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: clusterName } }],
    "current-context": clusterName,
    users: [
      {
        name: clusterName,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: [
              "eks",
              "get-token",
              "--cluster-name",
              clusterName,
              "--region",
              region,
              "--role-arn",
              deployRoleArn,
            ],
          },
        },
      },
    ],
  });
}
