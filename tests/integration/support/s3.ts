/**
 * The S3 stand-in: s3rver behind a recorder of every S3 request, which also recomputes each
 * request's SigV4 signature.
 */
import * as crypto from "crypto";
import * as http from "http";
import { closeServer, freePort, listen, onCleanup, tempDir } from "./processes";

// ---------------------------------------------------------------------------------------------
// S3 emulator with a request recorder

export interface S3Request {
  method: string;
  bucket: string;
  /** Decoded object key, "" for bucket-level requests. */
  key: string;
  query: Record<string, string>;
  /** Decoded `/bucket/key` of x-amz-copy-source (CopyObject, UploadPartCopy). */
  copySource?: string;
  serverSideEncryption?: string;
  /** The x-amz-acl header, which S3 refuses (but for bucket-owner-full-control) under BucketOwnerEnforced. */
  acl?: string;
  /** Keys of a DeleteObjects (POST ?delete) body. */
  deleteKeys?: string[];
  auth: "header" | "presigned" | "anonymous";
  accessKeyId?: string;
  /** SigV4 recomputed with the known secret key: true = matches what the client sent. */
  signatureValid?: boolean;
  status: number;
  responseBytes: number;
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  on(event: "error", listener: (err: Error & { status?: number }) => void): void;
  close(): Promise<void>;
  store: {
    existsObject(bucket: string, key: string): Promise<boolean>;
    deleteObject(bucket: string, key: string): Promise<void>;
    listObjects(
      bucket: string,
      options: { prefix?: string },
    ): Promise<{ objects: Array<{ key: string }> }>;
  };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

export interface S3Emulator {
  /** The address the registry must use (the recorder in front of s3rver). */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  requests: S3Request[];
  /** Errors s3rver answered with a 500 (S3 would not have), with their stacks. */
  errors: string[];
  keys(prefix: string): Promise<string[]>;
  hasObject(key: string): Promise<boolean>;
  deleteObjects(keys: string[]): Promise<void>;
  /** "hang": accept requests and never answer, like an S3 call that never returns. */
  setMode(mode: "forward" | "hang"): void;
}

/** s3rver's only account: its access key and secret are both "S3RVER". */
export const S3RVER_KEY = "S3RVER";

export async function startS3(bucket: string): Promise<S3Emulator> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require("s3rver") as S3rverConstructor;
  // s3rver can answer a PUT before its file write has finished (it resolves on the request
  // body's end, not the file's), so a write may outlive close(): removing the dir in stopAll()
  // made that write throw ENOENT into whichever test ran next.
  const dataDir = tempDir("s3rver", "exit");
  const backendPort = await freePort();
  const s3rver = new S3rver({
    address: "127.0.0.1",
    port: backendPort,
    silent: true,
    directory: dataDir,
    configureBuckets: [{ name: bucket }],
  });
  await s3rver.run();
  onCleanup(() => s3rver.close());
  // What s3rver answers with a 500 (S3 would not), kept for the suites' failure reports.
  const errors: string[] = [];
  s3rver.on("error", (err: Error & { status?: number }) => {
    if ((err.status ?? 500) >= 500) errors.push(err.stack ?? String(err));
  });

  const requests: S3Request[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  onCleanup(() => agent.destroy());
  let mode: "forward" | "hang" = "forward";
  const held = new Set<http.ServerResponse>();
  const recorder = http.createServer((req, res) => {
    if (mode === "hang") {
      held.add(res);
      req.resume();
      return;
    }
    const record = describeS3Request(req, S3RVER_KEY);
    const bodyChunks: Buffer[] = [];
    const wantBody = req.method === "POST" && "delete" in record.query;
    if (wantBody) req.on("data", (d: Buffer) => bodyChunks.push(d));
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: backendPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (backendRes) => {
        record.status = backendRes.statusCode ?? 502;
        res.writeHead(record.status, backendRes.headers);
        backendRes.on("data", (d: Buffer) => (record.responseBytes += d.length));
        backendRes.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      record.status = record.status || 502;
      res.destroy(err);
    });
    // Recorded once the exchange is over, whether it completed or was cut off.
    res.on("close", () => {
      if (wantBody) record.deleteKeys = parseDeleteKeys(Buffer.concat(bodyChunks).toString());
      requests.push(record);
    });
    req.pipe(upstream);
  });
  const port = await listen(recorder);
  onCleanup(() => closeServer(recorder));

  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    accessKey: S3RVER_KEY,
    secretKey: S3RVER_KEY,
    requests,
    errors,
    keys: async (prefix) =>
      (await s3rver.store.listObjects(bucket, { prefix })).objects.map((o) => o.key),
    hasObject: (key) => s3rver.store.existsObject(bucket, key),
    deleteObjects: async (keys) => {
      for (const key of keys) await s3rver.store.deleteObject(bucket, key);
    },
    setMode: (m) => {
      mode = m;
      if (m === "forward") {
        for (const res of held) res.destroy();
        held.clear();
      }
    },
  };
}

function parseDeleteKeys(xml: string): string[] {
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, "&");
  return [...xml.matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) => unescape(m[1]));
}

function describeS3Request(req: http.IncomingMessage, secretKey: string): S3Request {
  const rawUrl = req.url ?? "/";
  const queryStart = rawUrl.indexOf("?");
  const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? "" : rawUrl.slice(queryStart + 1);
  const segments = rawPath.replace(/^\//, "").split("/");
  const bucket = decodeURIComponent(segments[0] ?? "");
  const key = segments.slice(1).map(decodeURIComponent).join("/");
  const query: Record<string, string> = {};
  for (const [name, value] of queryPairs(rawQuery)) query[name] = value;
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(",") : value;
  };
  const copySource = header("x-amz-copy-source");
  const record: S3Request = {
    method: req.method ?? "",
    bucket,
    key,
    query,
    copySource:
      copySource === undefined
        ? undefined
        : decodeURIComponent(copySource.split("?")[0]).replace(/^\/?/, "/"),
    serverSideEncryption: header("x-amz-server-side-encryption"),
    acl: header("x-amz-acl"),
    auth: header("authorization")
      ? "header"
      : "X-Amz-Signature" in query
        ? "presigned"
        : "anonymous",
    status: 0,
    responseBytes: 0,
  };
  if (record.auth !== "anonymous") {
    const check = verifySigV4(req.method ?? "", rawPath, rawQuery, req.headers, secretKey);
    record.accessKeyId = check.accessKeyId;
    record.signatureValid = check.valid;
  }
  return record;
}

function queryPairs(rawQuery: string): Array<[string, string]> {
  if (!rawQuery) return [];
  return rawQuery.split("&").map((part) => {
    const eq = part.indexOf("=");
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, "%20"));
    return eq < 0 ? [decode(part), ""] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))];
  });
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function hmac(key: Buffer | string, data: string): Buffer {
  return crypto.createHmac("sha256", key).update(data).digest();
}

/**
 * Recomputes an AWS Signature Version 4 (Authorization header or presigned query) with the
 * emulator's known secret. s3rver itself does not check V4 signatures, so this is what proves
 * that the registry's requests and its presigned redirect URLs are correctly signed.
 */
export function verifySigV4(
  method: string,
  rawPath: string,
  rawQuery: string,
  headers: http.IncomingHttpHeaders,
  secretKey: string,
): { valid: boolean; accessKeyId?: string } {
  const pairs = queryPairs(rawQuery);
  const query = Object.fromEntries(pairs);
  let credential: string;
  let signedHeaders: string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  const presigned = "X-Amz-Signature" in query;
  if (presigned) {
    credential = query["X-Amz-Credential"] ?? "";
    signedHeaders = (query["X-Amz-SignedHeaders"] ?? "").split(";");
    signature = query["X-Amz-Signature"];
    amzDate = query["X-Amz-Date"] ?? "";
    payloadHash = "UNSIGNED-PAYLOAD";
  } else {
    const authorization = String(headers.authorization ?? "");
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/.exec(
        authorization,
      );
    if (!match) return { valid: false };
    [, credential] = match;
    signedHeaders = match[2].split(";");
    signature = match[3];
    amzDate = String(headers["x-amz-date"] ?? "");
    payloadHash = String(headers["x-amz-content-sha256"] ?? "UNSIGNED-PAYLOAD");
  }
  const [accessKeyId, date, region, service, terminator] = credential.split("/");
  const canonicalQuery = pairs
    .filter(([name]) => !(presigned && name === "X-Amz-Signature"))
    .map(([name, value]) => [rfc3986(name), rfc3986(value)])
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = headers[name];
      const text = Array.isArray(value) ? value.join(",") : (value ?? "");
      return `${name}:${text.trim().replace(/\s+/g, " ")}\n`;
    })
    .join("");
  const canonicalRequest = [
    method,
    rawPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  const scope = [date, region, service, terminator].join("/");
  const stringToSign = [
    "AWS4-HMAC-SHA256",
    amzDate,
    scope,
    crypto.createHash("sha256").update(canonicalRequest).digest("hex"),
  ].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretKey}`, date), region), service), terminator);
  const expected = crypto.createHmac("sha256", signingKey).update(stringToSign).digest("hex");
  return { valid: expected === signature, accessKeyId };
}
