// S3 resource ARNs: a bucket (arn:aws:s3:::bucket) or objects in it (arn:aws:s3:::bucket/key).

const S3_ARN = /^arn:[a-z-]+:s3:::([^/]+)(\/.*)?$/;

/** "bucket" for arn:aws:s3:::name, "object" for arn:aws:s3:::name/..., undefined otherwise. */
export function s3ArnLevel(resource: string): "bucket" | "object" | undefined {
  const m = S3_ARN.exec(resource);
  if (!m) {
    return undefined;
  }
  return m[2] === undefined ? "bucket" : "object";
}
