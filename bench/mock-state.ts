/** The benchmarks' mock resource state, shared by the program's cases and the SDK floor's. */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** Mock outputs for what the program reads back from its resources; everything else echoes inputs. */
export function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  const name = String(inputs.name);
  const bucket = String(inputs.bucket);
  switch (args.type) {
    case "aws:ecr/repository:Repository":
      return {
        ...inputs,
        repositoryUrl: `999999999999.dkr.ecr.us-east-1.amazonaws.com/${name}`,
        registryId: "999999999999",
        arn: `arn:aws:ecr:us-east-1:999999999999:repository/${name}`,
      };
    case "aws:iam/role:Role":
      return { ...inputs, arn: `arn:aws:iam::000000000000:role/${name}` };
    case "aws:s3/bucket:Bucket":
      return { ...inputs, bucket, arn: `arn:aws:s3:::${bucket}` };
    case "random:index/randomId:RandomId":
      // Deterministic for the tests: the same keepers and name give the same id.
      return {
        ...inputs,
        hex: createHash("sha256")
          .update(`${args.name}\n${JSON.stringify(inputs.keepers ?? {})}`)
          .digest("hex")
          .slice(0, 16),
      };
    case "random:index/randomPassword:RandomPassword":
      return { ...inputs, result: "0123456789abcdef0123456789abcdef" };
    case "kubernetes:helm.sh/v3:Release":
      return { ...inputs, status: { status: "deployed" } };
    default:
      return { ...inputs };
  }
}
