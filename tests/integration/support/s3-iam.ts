/**
 * Maps recorded S3 REST requests to the IAM authorization they need (AWS S3 docs: "Required
 * permissions for Amazon S3 API operations"), and evaluates them with the program's simulator (tools/simulate.ts).
 */
import { PolicyDocument } from "../../../iam/document";
import { simulate } from "../../../tools/simulate";
import type { S3Request } from "./s3";

export interface IamCall {
  /** The S3 API operation the request is. */
  operation: string;
  action: string;
  resource: string;
}

/** Every IAM authorization one S3 request needs; throws on a request it does not know. */
export function iamCallsFor(request: S3Request, partition = "aws"): IamCall[] {
  const bucketArn = `arn:${partition}:s3:::${request.bucket}`;
  const objectArn = (key: string) => `${bucketArn}/${key}`;
  const q = request.query;
  const has = (name: string) => name in q;
  const call = (operation: string, action: string, resource: string): IamCall => ({
    operation,
    action,
    resource,
  });
  const describe = () =>
    `${request.method} /${request.bucket}/${request.key}?${new URLSearchParams(q).toString()}`;

  if (!request.key) {
    switch (request.method) {
      case "GET":
        if (has("uploads"))
          return [call("ListMultipartUploads", "s3:ListBucketMultipartUploads", bucketArn)];
        if (has("location")) return [call("GetBucketLocation", "s3:GetBucketLocation", bucketArn)];
        if (has("versions") || has("acl") || has("policy") || has("tagging")) break;
        return [
          call(
            q["list-type"] === "2" ? "ListObjectsV2" : "ListObjects",
            "s3:ListBucket",
            bucketArn,
          ),
        ];
      case "HEAD":
        return [call("HeadBucket", "s3:ListBucket", bucketArn)];
      case "POST":
        if (has("delete")) {
          if (!request.deleteKeys)
            throw new Error(`DeleteObjects without recorded keys: ${describe()}`);
          return request.deleteKeys.map((key) =>
            call("DeleteObjects", "s3:DeleteObject", objectArn(key)),
          );
        }
        break;
    }
    throw new Error(`unmapped S3 bucket request ${describe()}`);
  }

  const target = objectArn(request.key);
  const copySource = () => {
    if (!request.copySource) return [];
    const [, sourceBucket, ...key] = request.copySource.split("/");
    return [
      call(
        "CopyObject (source)",
        "s3:GetObject",
        `arn:${partition}:s3:::${sourceBucket}/${key.join("/")}`,
      ),
    ];
  };
  switch (request.method) {
    case "GET":
    case "HEAD":
      if (has("uploadId")) return [call("ListParts", "s3:ListMultipartUploadParts", target)];
      if (has("acl") || has("tagging") || has("torrent") || has("attributes")) break;
      return [call(request.method === "GET" ? "GetObject" : "HeadObject", "s3:GetObject", target)];
    case "PUT":
      if (has("partNumber") && has("uploadId")) {
        return [
          call(request.copySource ? "UploadPartCopy" : "UploadPart", "s3:PutObject", target),
          ...copySource(),
        ];
      }
      if (has("acl") || has("tagging") || has("retention") || has("legal-hold")) break;
      return [
        call(request.copySource ? "CopyObject" : "PutObject", "s3:PutObject", target),
        ...copySource(),
      ];
    case "POST":
      if (has("uploads")) return [call("CreateMultipartUpload", "s3:PutObject", target)];
      if (has("uploadId")) return [call("CompleteMultipartUpload", "s3:PutObject", target)];
      break;
    case "DELETE":
      if (has("uploadId")) return [call("AbortMultipartUpload", "s3:AbortMultipartUpload", target)];
      if (Object.keys(q).length === 0) return [call("DeleteObject", "s3:DeleteObject", target)];
      break;
  }
  throw new Error(`unmapped S3 object request ${describe()}`);
}

export interface SimulationContext {
  principalArn: string;
  identityPolicy: PolicyDocument;
  resourcePolicy?: PolicyDocument;
}

export interface Verdict {
  action: string;
  resource: string;
  result: string;
}

/** Simulates each distinct (action, resource) pair with the program's simulator; one verdict per pair. */
export async function simulateCalls(calls: IamCall[], ctx: SimulationContext): Promise<Verdict[]> {
  const distinct = new Map<string, IamCall>();
  for (const c of calls) distinct.set(`${c.action} ${c.resource}`, c);
  const verdicts: Verdict[] = [];
  for (const c of distinct.values()) {
    const result = await simulate({
      principalArn: ctx.principalArn,
      identityPolicies: [ctx.identityPolicy],
      action: c.action,
      resourceArn: c.resource,
      resourcePolicy: ctx.resourcePolicy,
    });
    verdicts.push({ action: c.action, resource: c.resource, result });
  }
  return verdicts;
}
