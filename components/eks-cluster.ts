import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as pulumi from "@pulumi/pulumi";
import { mirrorUserData } from "../cache/containerd";
import { CreatedClusterModel } from "../config/model";
import { policyDocument, renderPolicy } from "../iam/document";
import { clusterTag, requireProviders } from "./providers";

export interface EksClusterArgs {
  /** The cluster's model, with the settings to create it. */
  readonly cluster: CreatedClusterModel;
  /** The central registry host, whose pulls the nodes send through the cache. */
  readonly registryHost: string;
  /** The AWS profile of the cluster's account, which kubectl access goes through. */
  readonly awsProfile: string;
}

const NODE_POLICIES = [
  "AmazonEKSWorkerNodePolicy",
  "AmazonEKS_CNI_Policy",
  // EKS's own add-on images; the central registry is granted separately.
  "AmazonEC2ContainerRegistryPullOnly",
];

/**
 * A cluster the program creates, with an OIDC provider and a node role named up front.
 * Needs `opts.providers.aws` (the cluster's account's provider) and `opts.providers.eks`:
 * eks.Cluster is a remote component, constructed by the eks plugin, so with default providers
 * disabled the engine refuses it unless an explicit eks provider is handed to it.
 */
export class EksCluster extends pulumi.ComponentResource {
  /** kubectl access to the cluster, through the account's deploy role. */
  readonly kubeconfig: pulumi.Output<string>;
  /** The cluster's OIDC issuer (no scheme), which IRSA roles trust. */
  readonly oidcIssuer: pulumi.Output<string>;
  /** The node role's name, once the role exists: what the node role's pull policy waits for. */
  readonly nodeRoleName: pulumi.Output<string>;

  constructor(name: string, args: EksClusterArgs, opts: pulumi.ComponentResourceOptions) {
    const providers = requireProviders("EksCluster", opts, ["aws", "eks"]);
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
        providerCredentialOpts: { profileName: args.awsProfile },
        nodeUserData: cluster.cache
          ? mirrorUserData(args.registryHost, cluster.cache.port)
          : undefined,
      },
      // A remote component: it is constructed by the eks provider given here, and its aws
      // children see only the providers handed to it by package.
      { parent: this, dependsOn: attachments, providers },
    );
    this.kubeconfig = eksCluster.kubeconfigJson;
    this.oidcIssuer = eksCluster.oidcIssuer;
    this.nodeRoleName = nodeRole.name;
    this.registerOutputs({
      kubeconfig: this.kubeconfig,
      oidcIssuer: this.oidcIssuer,
      nodeRoleName: this.nodeRoleName,
    });
  }
}

/** kubectl access to an adopted cluster, through the account's AWS profile. */
export function adoptedKubeconfig(
  clusterName: string,
  region: string,
  awsProfile: string,
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
              "--profile",
              awsProfile,
            ],
          },
        },
      },
    ],
  });
}
