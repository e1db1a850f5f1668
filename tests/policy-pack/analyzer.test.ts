// The pack as the Pulumi CLI runs it: @pulumi/pulumi's run-policy-pack loads policy-pack/index.ts
// with ts-node (type-checked, with the pack's tsconfig.json) and serves the Analyzer gRPC API;
// this test plays the engine's part on loopback. It runs the pack's own node_modules when
// `npm ci` was run in policy-pack/, the repository's otherwise.
import * as assert from "assert";
import { ChildProcessWithoutNullStreams, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { policies } from "../../policy-pack/policies";
import { ResourceTypes as T } from "../../policy-pack/helpers/resource-types";
import { cacheRolePolicy, urnOf } from "./fixtures";

const packDir = path.join(__dirname, "..", "..", "policy-pack");
/** How the engine sends a value that is unknown during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const MANDATORY = analyzer.EnforcementLevel.MANDATORY;
const ADVISORY = analyzer.EnforcementLevel.ADVISORY;

interface Diagnostic {
  policy: string;
  level: number;
  message: string;
  urn: string;
}

function diagnostics(response: analyzer.AnalyzeResponse): Diagnostic[] {
  return response.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    level: d.getEnforcementlevel(),
    message: d.getMessage(),
    urn: d.getUrn(),
  }));
}

function resource(
  type: string,
  name: string,
  props: Record<string, unknown>,
  dependsOn: Record<string, string[]> = {},
): analyzer.AnalyzerResource {
  const r = new analyzer.AnalyzerResource();
  r.setType(type);
  r.setName(name);
  r.setUrn(urnOf(type, name));
  r.setOptions(new analyzer.AnalyzerResourceOptions());
  r.setProperties(Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]));
  for (const [key, urns] of Object.entries(dependsOn)) {
    const deps = new analyzer.AnalyzerPropertyDependencies();
    deps.setUrnsList(urns);
    r.getPropertydependenciesMap().set(key, deps);
  }
  return r;
}

function analyzeRequest(
  type: string,
  name: string,
  props: Record<string, unknown>,
): analyzer.AnalyzeRequest {
  const source = resource(type, name, props);
  const request = new analyzer.AnalyzeRequest();
  request.setType(type);
  request.setName(name);
  request.setUrn(source.getUrn());
  request.setOptions(source.getOptions());
  request.setProperties(source.getProperties());
  return request;
}

describe("policy pack served over gRPC, as `pulumi preview --policy-pack` runs it", function () {
  this.timeout(60_000);
  let child: ChildProcessWithoutNullStreams | undefined;
  let client: AnalyzerClient;

  function settle<R>(resolve: (r: R) => void, reject: (e: Error) => void) {
    return (e: grpc.ServiceError | null, r: R) => (e ? reject(e) : resolve(r));
  }
  const getInfo = () =>
    new Promise<analyzer.AnalyzerInfo>((ok, fail) =>
      client.getAnalyzerInfo(new Empty(), settle(ok, fail)),
    );
  const analyze = (request: analyzer.AnalyzeRequest) =>
    new Promise<analyzer.AnalyzeResponse>((ok, fail) => client.analyze(request, settle(ok, fail)));
  const analyzeStack = (request: analyzer.AnalyzeStackRequest) =>
    new Promise<analyzer.AnalyzeResponse>((ok, fail) =>
      client.analyzeStack(request, settle(ok, fail)),
    );

  before(async () => {
    const pulumiDir = path.dirname(
      require.resolve("@pulumi/pulumi/package.json", { paths: [packDir] }),
    );
    const proc = spawn(
      process.execPath,
      [path.join(pulumiDir, "cmd", "run-policy-pack"), "127.0.0.1:1", "."],
      { cwd: packDir, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "" } },
    );
    child = proc;
    let stderr = "";
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no port after 50 s: ${stderr}`)), 50_000);
      proc.stdout.once("data", (d: Buffer) => {
        clearTimeout(timer);
        resolve(d.toString().trim());
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the pack exited with ${code}: ${stderr}`));
      });
    });
    assert.match(port, /^\d+$/);
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    child?.kill();
  });

  it("announces the pack and every rule as mandatory", async () => {
    const info = await getInfo();
    assert.strictEqual(info.getName(), "registry-hub");
    assert.deepStrictEqual(
      info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]),
      policies.map((p) => [p.name, MANDATORY]),
    );
  });

  it("blocks a mutable repository that does not scan on push", async () => {
    const response = await analyze(
      analyzeRequest(T.ecrRepository, "api", {
        name: "platform/api",
        imageTagMutability: "MUTABLE",
      }),
    );
    assert.deepStrictEqual(
      diagnostics(response).map((d) => [d.policy, d.level]),
      [
        ["ecr-repository-immutable-tags", MANDATORY],
        ["ecr-repository-scan-on-push", MANDATORY],
      ],
    );
  });

  it("passes the cache role's grant and downgrades an unknown policy to an advisory note", async () => {
    const known = await analyze(
      analyzeRequest(T.iamRolePolicy, "cache", { role: "cache", policy: cacheRolePolicy }),
    );
    assert.deepStrictEqual(diagnostics(known), []);
    const unknown = await analyze(
      analyzeRequest(T.iamRolePolicy, "cache", { role: "cache", policy: UNKNOWN }),
    );
    for (const d of diagnostics(unknown)) {
      assert.strictEqual(d.level, ADVISORY);
      assert.match(d.message, /can't run policy .* during preview/);
    }
    assert.deepStrictEqual(
      diagnostics(unknown).map((d) => d.policy),
      ["iam-no-wildcard-grants", "s3-grant-resource-levels"],
    );
  });

  it("checks a preview's buckets through property dependencies", async () => {
    const bucketUrn = urnOf(T.s3Bucket, "cache");
    const request = new analyzer.AnalyzeStackRequest();
    request.setResourcesList([
      resource(T.s3Bucket, "cache", {
        bucket: "registry-hub-cache-sandbox",
        id: UNKNOWN,
        arn: UNKNOWN,
      }),
      resource(
        T.s3BucketPublicAccessBlock,
        "cache-public-access",
        {
          bucket: UNKNOWN,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: false,
        },
        { bucket: [bucketUrn] },
      ),
      resource(
        T.s3BucketPolicy,
        "cache-policy",
        { bucket: UNKNOWN, policy: UNKNOWN },
        { bucket: [bucketUrn] },
      ),
    ]);
    const found = diagnostics(await analyzeStack(request));
    assert.deepStrictEqual(
      found.map((d) => [d.policy, d.level, d.urn]),
      [
        ["s3-bucket-public-access-blocked", MANDATORY, bucketUrn],
        ["s3-bucket-encrypted", MANDATORY, bucketUrn],
      ],
    );
    assert.match(found[0].message, /does not set restrictPublicBuckets to true/);
  });
});
