/**
 * The pull-through cache on the real parts: distribution v3.1.1 (the version the chart runs)
 * on the configuration Helm renders from the program's values, its credential helper fed by
 * its token refresher (both from the rendered ConfigMap, with a stand-in `aws` on PATH), an
 * upstream that demands Basic auth for user AWS like ECR, S3 through s3rver behind a recorder.
 *
 * Only what must point at this machine differs from a node (see support/local-config.ts). IRSA, TLS
 * to S3, real S3 IAM enforcement and S3 lifecycle runs cannot happen here: IAM is checked by
 * replaying the recorded S3 requests through the IAM simulator, and the lifecycle rule's effect
 * (objects under the root disappear) is applied by deleting them.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import {
  CONFIG_DIR,
  LIVENESS_PROBE,
  cacheChartValues,
  hungCacheClosedWithinSeconds,
} from "../../cache/chart-values";
import {
  METRICS_PROXY_CONFIG_KEY,
  METRICS_PROXY_START_KEY,
  NODE_IP_PLACEHOLDER,
} from "../../cache/metrics-proxy";
import { OBJECT_ACL, ROOT_PREFIX, cacheRegistryConfig } from "../../cache/registry-config";
import { TOKEN_FILE } from "../../cache/token-refresh";
import { cacheBucketPolicy } from "../../iam/cache-storage";
import { planAccess } from "../../plan/access";
import { HubConfig } from "../../config/model";
import { rawStack, stackConfig, validConfig } from "../../testing/stacks";
import { RenderedChart, renderChart } from "./support/chart";
import { idleConnectionsScript, startNetworkNamespace } from "./support/netns";
import {
  buildImages,
  ImageSpec,
  LayoutImage,
  pseudoRandomBytes,
  readLayoutImage,
  sha256Hex,
  skopeoCopy,
  skopeoCopyOk,
} from "./support/images";
import {
  Daemon,
  freePort,
  note,
  requireToolsOrSkip,
  spawnDaemon,
  stopAll,
  tempDir,
  waitFor,
} from "./support/processes";
import {
  BasicAuthGate,
  CountingProxy,
  httpRequest,
  listeningSockets,
  RegistryProcess,
  startBasicAuthGate,
  startCountingProxy,
  startRegistry,
  upstreamConfig,
} from "./support/registries";
import { S3Emulator, startS3 } from "./support/s3";
import { LOCALIZED_PATHS, changedPaths, pointAtThisMachine } from "./support/local-config";
import { iamCallsFor, simulateCalls } from "./support/s3-iam";

/** The prod stack's adopted cluster with a cache: the model, plan and values the program deploys. */
const STACK = stackConfig("prod");
const CLUSTER = STACK.accounts.flatMap((a) => a.clusters).find((c) => c.name === "beta")!;
const CACHE = CLUSTER.cache!;
const ACCOUNT = STACK.accounts.find((a) => a.name === CLUSTER.accountName)!;
const cachePlan = (stack: HubConfig) =>
  planAccess(stack).pullers.find((p) => p.kind === "cache" && p.cluster.name === "beta")!;
const CACHE_ROLE_POLICY = cachePlan(STACK).policy;
const BUCKET_POLICY = cacheBucketPolicy({
  partition: CLUSTER.partition,
  bucket: CACHE.bucketName,
  cacheRoleArn: CACHE.roleArn,
  deployRoleArn: ACCOUNT.deployRoleArn,
});
/** The credential helper's lifetime, shortened through the program's knob so rotation shows in seconds. */
const HELPER_LIFETIME_SECONDS = 1;
/** A repository beta may pull in the prod stack, and the stack once it is taken from beta. */
const REVOKED = "team/worker";
const REVOKED_STACK = (() => {
  const raw = rawStack("prod") as { repositories: Array<{ name: string; clusters?: string[] }> };
  raw.repositories.find((r) => r.name === REVOKED)!.clusters = ["prod"];
  return validConfig(raw);
})();

/**
 * The roots a cluster's random root id takes, in order: the program gives a new one, never an
 * old one, whenever the cluster's denied repositories change (tests/engine/cache-root.test.ts).
 */
const ROOT_IDS = ["1f0e2d3c4b5a6978", "8a9b0c1d2e3f4a5b", "c0ffee00c0ffee01"] as const;

function programValues(
  helperLifetimeSeconds?: number,
  stack = STACK,
  metrics: Partial<typeof CACHE.metrics> = {},
  rootId: string = ROOT_IDS[0],
) {
  const cache = { ...CACHE, metrics: { ...CACHE.metrics, ...metrics } };
  return cacheChartValues({
    cache,
    registryRegion: stack.registry.region,
    registryConfig: cacheRegistryConfig({
      region: CLUSTER.region,
      bucket: CACHE.bucketName,
      upstreamHost: stack.registry.host,
      port: CACHE.port,
      helperLifetimeSeconds,
      rootId,
      metrics: cache.metrics.enabled,
    }),
  });
}

/**
 * The metrics proxy as its container starts it: the chart's own start script and config from
 * the rendered ConfigMap, run with `sh` and NODE_IP set, changing only the paths, the ports and
 * the debug address. Returns the proxy's URL.
 */
function startMetricsProxy(
  chart: RenderedChart,
  nodeIp: string,
  metricsPort: number,
  debugPort: number,
  name: string,
  tempRoot: string,
): string {
  const nginxDir = path.join(tempRoot, name);
  fs.mkdirSync(nginxDir, { recursive: true });
  const conf = path.join(nginxDir, METRICS_PROXY_CONFIG_KEY);
  const rendered = chart.scripts[METRICS_PROXY_CONFIG_KEY];
  const local = rendered
    .replaceAll("/tmp/", `${nginxDir}/`)
    .replace(
      `${NODE_IP_PLACEHOLDER}:${CACHE.metrics.port};`,
      `${NODE_IP_PLACEHOLDER}:${metricsPort};`,
    )
    .replace(`127.0.0.1:${CACHE.port + 1}`, `127.0.0.1:${debugPort}`);
  assert.equal(
    local.split("\n").filter((line, i) => line !== rendered.split("\n")[i]).length,
    8,
    "only the listen port, the debug address and six temp paths change",
  );
  fs.writeFileSync(conf, local);
  const script = chart.scripts[METRICS_PROXY_START_KEY].replaceAll("/tmp/", `${nginxDir}/`).replace(
    `${CONFIG_DIR}/${METRICS_PROXY_CONFIG_KEY}`,
    conf,
  );
  spawnDaemon(name, "sh", ["-c", script], tempRoot, { env: { NODE_IP: nodeIp } });
  return `http://${nodeIp}:${metricsPort}`;
}

const BIG_BYTES = 50 * 1024 * 1024;
const TINY = ["tiny-a", "tiny-b", "tiny-c", "tiny-d"];
const repoOf = (name: string) => `team/${name}`;
const ROOT = programValues().registryConfig.storage.s3.rootdirectory.replace(/^\/+/, "");
const blobKey = (digest: string) => {
  const hex = digest.split(":")[1];
  return `${ROOT}/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
};

describe("the cache on distribution v3.1.1, as the chart renders it", function () {
  let dir: string;
  let rendered: RenderedChart;
  let s3: S3Emulator;
  let upstream: RegistryProcess;
  let ecr: BasicAuthGate;
  let ecrPort: number;
  let upstreamCounter: CountingProxy;
  let refresher: Daemon;
  let cache: RegistryProcess;
  let cacheCounter: CountingProxy;
  let localConfig: object;
  let cacheEnv: Record<string, string>;
  let tokenSource: string;
  let tokenFile: string;
  let traceConnections = 0;
  let traceListener: net.Server | undefined;
  const source = new Map<string, LayoutImage>();
  const cached = new Set<string>();
  let pullCount = 0;

  /**
   * skopeo copy through `registryUrl` into a fresh OCI layout, checking digests; without
   * credentials unless `creds` ("user:password") are given. Returns the pull's milliseconds.
   */
  async function pull(
    registryUrl: string,
    name: string,
    byDigest = false,
    creds?: string,
  ): Promise<number> {
    const dest = path.join(dir, `pull-${pullCount++}`);
    const reference = byDigest ? `@${source.get(name)!.manifestDigest}` : ":v1";
    const { ms } = await skopeoCopyOk(
      `docker://${registryUrl.replace("http://", "")}/${repoOf(name)}${reference}`,
      `oci:${dest}:v1`,
      60_000,
      creds ? ["--src-creds", creds] : ["--src-no-creds"],
    );
    const image = readLayoutImage(dest, "v1");
    const expected = source.get(name)!;
    assert.equal(image.manifestDigest, expected.manifestDigest, `${name}: manifest digest`);
    assert.deepEqual(image.layers, expected.layers, `${name}: layers`);
    assert.deepEqual(image.config, expected.config, `${name}: config`);
    fs.rmSync(dest, { recursive: true, force: true });
    return ms;
  }

  /** The proxy commits pulled blobs to storage in the background: wait until they are in S3. */
  async function waitUntilStored(name: string): Promise<void> {
    const image = source.get(name)!;
    for (const d of [image.config, ...image.layers]) {
      const hex = d.digest.split(":")[1];
      const link = `${ROOT}/docker/registry/v2/repositories/${repoOf(name)}/_layers/sha256/${hex}/link`;
      const stored = async () => (await s3.hasObject(link)) && s3.hasObject(blobKey(d.digest));
      await waitFor(`${name} blob stored and linked`, stored, 30_000, 50);
    }
  }

  async function ensureCached(name: string, via = cacheCounter.url): Promise<void> {
    if (cached.has(name)) return;
    await pull(via, name);
    await waitUntilStored(name);
    cached.add(name);
  }

  function localize(config: object, port: number, debugPort?: number): object {
    return pointAtThisMachine(config, {
      s3Endpoint: s3.endpoint,
      accessKey: s3.accessKey,
      secretKey: s3.secretKey,
      upstreamUrl: upstreamCounter.url,
      addr: `127.0.0.1:${port}`,
      credentialHelper: path.join(dir, "scripts", "ecr-credential-helper"),
      debugAddr: debugPort === undefined ? undefined : `127.0.0.1:${debugPort}`,
    });
  }

  async function startCache(name: string, config = localConfig): Promise<RegistryProcess> {
    const port = Number(/:(\d+)$/.exec((config as { http: { addr: string } }).http.addr)![1]);
    return startRegistry(name, config, port, dir, { binary: "v3", env: cacheEnv });
  }

  before(async function () {
    this.timeout(120_000);
    requireToolsOrSkip(this);
    dir = tempDir("registry-hub-it");
    rendered = await renderChart(programValues(HELPER_LIFETIME_SECONDS), dir);

    // v3 exports traces to localhost:4318 unless told not to: count who knocks.
    traceListener = net.createServer((socket) => {
      traceConnections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => {
      traceListener!.once("error", () => {
        traceListener = undefined;
        resolve();
      });
      traceListener!.listen(4318, "127.0.0.1", () => resolve());
    });

    s3 = await startS3(CACHE.bucketName);
    const upstreamPort = await freePort();
    const upstreamStart = startRegistry(
      "upstream",
      upstreamConfig(upstreamPort, path.join(dir, "upstream")),
      upstreamPort,
      dir,
      { binary: "2.8" },
    );
    const layout = path.join(dir, "source");
    const specs: ImageSpec[] = [
      ...TINY.map((name) => ({
        tag: name,
        files: { [`etc/${name}`]: pseudoRandomBytes(4096, name) },
      })),
      { tag: "never-cached", files: { "etc/never": "only upstream has this\n" } },
      { tag: "worker", files: { "etc/worker": "taken from the cluster later\n" } },
      { tag: "granted", files: { "etc/granted": "granted for a while, then revoked\n" } },
      { tag: "purged", files: { "etc/purged": "deleted upstream, then purged\n" } },
      { tag: "counted", files: { "etc/counted": "one miss, then one hit\n" } },
      { tag: "after-rotation", files: { "etc/rotated": "fetched with the second token\n" } },
      { tag: "after-expiry", files: { "etc/expiry": "fetched after the lifecycle rule ran\n" } },
      { tag: "big", files: { "data/big.bin": pseudoRandomBytes(BIG_BYTES, "big") } },
    ];
    await buildImages(layout, dir, specs);
    for (const spec of specs) source.set(spec.tag, readLayoutImage(layout, spec.tag));
    upstream = await upstreamStart;
    await Promise.all(
      specs.map((spec) =>
        skopeoCopyOk(
          `oci:${layout}:${spec.tag}`,
          `docker://127.0.0.1:${upstreamPort}/${repoOf(spec.tag)}:v1`,
        ),
      ),
    );
    ecr = await startBasicAuthGate(upstreamPort, "token-1");
    ecrPort = ecr.port;
    upstreamCounter = await startCountingProxy(ecrPort);

    // The pod's scripts, from the rendered ConfigMap, and a stand-in `aws` that prints the
    // token the upstream currently accepts.
    const scripts = path.join(dir, "scripts");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(scripts);
    fs.mkdirSync(bin);
    for (const [name, text] of Object.entries(rendered.scripts))
      fs.writeFileSync(path.join(scripts, name), text, { mode: 0o755 });
    tokenSource = path.join(dir, "current-token");
    fs.writeFileSync(tokenSource, "token-1");
    fs.writeFileSync(path.join(bin, "aws"), `#!/bin/sh\ncat "${tokenSource}"\n`, { mode: 0o755 });
    tokenFile = path.join(dir, "token", path.basename(TOKEN_FILE));
    fs.mkdirSync(path.dirname(tokenFile));
    const refresherContainer = rendered.pod.initContainers[0];
    refresher = spawnDaemon("refresher", "sh", [path.join(scripts, "ecr-token-refresher")], dir, {
      env: {
        ...Object.fromEntries(refresherContainer.env.map((e) => [e.name, e.value])),
        HOME: dir,
        PATH: `${bin}:${process.env.PATH}`,
        ECR_TOKEN_FILE: tokenFile,
        // The refresher's own knob: refresh every second instead of every 6 hours.
        REFRESH_SECONDS: "1",
      },
    });
    await waitFor(
      "the refresher's first token",
      () => Promise.resolve(fs.existsSync(tokenFile)),
      10_000,
    );

    const registryContainer = rendered.pod.containers[0];
    cacheEnv = {
      ...Object.fromEntries(registryContainer.env.map((e) => [e.name, e.value])),
      ECR_TOKEN_FILE: tokenFile,
    };
    localConfig = localize(rendered.registryConfig, await freePort());
    cache = await startCache("cache");
    cacheCounter = await startCountingProxy(cache.port);
  });

  // An `after` hook has no current test: remember whether any test of the suite failed.
  let anyFailed = false;
  afterEach(function () {
    if (this.currentTest?.state === "failed") anyFailed = true;
  });

  after(async function () {
    this.timeout(30_000);
    if (cache && (process.env.REGISTRY_IT_VERBOSE || anyFailed)) {
      process.stderr.write(`--- cache log (tail) ---\n${cache.logTail(60)}\n`);
      // The registry answers 503 to everything once its storage check has failed `threshold`
      // times in a row: show every failure, however long ago.
      const checks = fs
        .readFileSync(cache.logFile, "utf8")
        .split("\n")
        .filter((line) => line.includes("storage driver health check"));
      process.stderr.write(`--- storage health check failures ---\n${checks.join("\n")}\n`);
      process.stderr.write(`--- s3rver's 500s ---\n${s3?.errors.join("\n")}\n`);
    }
    traceListener?.close();
    await stopAll();
  });

  describe("what Helm renders", () => {
    it("config.yml is exactly the program's object: nothing merged, no debug listener", () => {
      assert.deepEqual(
        rendered.registryConfig,
        JSON.parse(JSON.stringify(programValues(HELPER_LIFETIME_SECONDS).registryConfig)),
      );
      assert.equal((rendered.registryConfig.http as { debug?: unknown }).debug, undefined);
    });

    it("the local run changes only what must point at this machine", () => {
      const changed = changedPaths(rendered.registryConfig, localConfig);
      assert.deepEqual(
        changed.filter((p) => !(LOCALIZED_PATHS as readonly string[]).includes(p)),
        [],
        `unexpected changes: ${changed.join(", ")}`,
      );
    });

    it("runs on the host network on 127.0.0.1, probed there on a path that lists S3", () => {
      const { pod } = rendered;
      assert.equal(pod.hostNetwork, true);
      const registry = pod.containers[0];
      for (const probe of [registry.livenessProbe!, registry.readinessProbe!]) {
        assert.deepEqual(probe.httpGet, {
          host: "127.0.0.1",
          port: CACHE.port,
          path: LIVENESS_PROBE.path,
        });
        assert.ok(probe.timeoutSeconds <= 2);
      }
      assert.equal(pod.initContainers[0].restartPolicy, "Always", "native sidecar");
      assert.ok(hungCacheClosedWithinSeconds() <= 30, `${hungCacheClosedWithinSeconds()} s`);
    });

    it("the registry container's root filesystem is read-only, even if the values say otherwise", async () => {
      const registry = rendered.pod.containers.find((c) => c.name === "registry")!;
      assert.equal(registry.securityContext?.readOnlyRootFilesystem, true);
      assert.equal(registry.securityContext?.allowPrivilegeEscalation, false);
      const values = programValues(HELPER_LIFETIME_SECONDS) as { containerSecurityContext: object };
      const loosened = await renderChart(
        {
          ...values,
          containerSecurityContext: {
            ...values.containerSecurityContext,
            readOnlyRootFilesystem: false,
          },
        },
        dir,
      );
      const again = loosened.pod.containers.find((c) => c.name === "registry")!;
      assert.equal(again.securityContext?.readOnlyRootFilesystem, true);
    });

    it("rolls the pods when a script changes, and only then", async () => {
      const values = programValues(HELPER_LIFETIME_SECONDS);
      const again = await renderChart(values, dir);
      assert.equal(again.checksum, rendered.checksum);
      values.scripts["ecr-token-refresher"] += "\n# changed\n";
      const changed = await renderChart(values, dir);
      assert.notEqual(changed.checksum, rendered.checksum);
    });
  });

  describe("pulling through it", () => {
    it("pulls by tag and by digest with no client credentials; the upstream saw the helper's token", async function () {
      this.timeout(60_000);
      await ensureCached("tiny-a");
      await pull(cacheCounter.url, "tiny-a", true);
      await pull(cacheCounter.url, "tiny-b", true);
      assert.ok(
        ecr.requests.some((r) => r.token === "token-1"),
        "the cache authenticated upstream with the helper's token",
      );
      const outside = (await s3.keys("")).filter((k) => !k.startsWith(`${ROOT}/`));
      assert.deepEqual(outside, [], "every object lives under the root directory");
    });

    it("answers a cached blob with 307 to the S3 endpoint: the registry sends < 2% of a 50 MB image", async function () {
      this.timeout(120_000);
      const big = source.get("big")!;
      upstreamCounter.reset();
      const missMs = await pull(cacheCounter.url, "big");
      await waitUntilStored("big");
      cached.add("big");
      const layer = big.layers[0];
      const blob = await httpRequest(
        `${cacheCounter.url}/v2/${repoOf("big")}/blobs/${layer.digest}`,
      );
      assert.equal(blob.status, 307);
      const location = String(blob.headers.location);
      assert.ok(
        location.startsWith(`${s3.endpoint}/${CACHE.bucketName}/${blobKey(layer.digest)}?`),
        location,
      );
      const body = await httpRequest(location, { timeoutMs: 30_000 });
      assert.equal(body.status, 200);
      assert.equal(`sha256:${sha256Hex(body.body)}`, layer.digest);

      // Side by side, alternating: straight from the upstream, and a hit through the cache.
      const direct: number[] = [];
      const hits: number[] = [];
      for (let round = 0; round < 3; round++) {
        direct.push(await pull(ecr.url, "big", false, "AWS:token-1"));
        cacheCounter.reset();
        upstreamCounter.reset();
        hits.push(await pull(cacheCounter.url, "big"));
        const sent = cacheCounter.bytesFromTarget();
        assert.ok(sent < 0.02 * big.totalBytes, `registry sent ${sent} of ${big.totalBytes} bytes`);
        assert.ok(upstreamCounter.bytesFromTarget() < 4096, "a hit fetches no blob upstream");
        note(
          `round ${round + 1}: hit sent ${sent} B through the registry (${((100 * sent) / big.totalBytes).toFixed(4)}% of ${big.totalBytes} B)`,
        );
      }
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[1];
      note(
        `50 MB image: miss ${missMs} ms; median of 3: hit ${median(hits)} ms via the cache (${hits.join(", ")}), ${median(direct)} ms straight from the upstream (${direct.join(", ")})`,
      );
    });

    it("writes every S3 object with the only ACL a BucketOwnerEnforced bucket accepts", () => {
      const writes = s3.requests.filter(
        (r) =>
          (r.method === "PUT" && r.key && !("partNumber" in r.query)) ||
          (r.method === "POST" && "uploads" in r.query),
      );
      assert.ok(writes.length >= 4, `${writes.length} PutObject/CreateMultipartUpload requests`);
      const wrong = writes
        .filter((r) => r.acl !== OBJECT_ACL)
        .map((r) => `${r.method} ${r.key}: ${r.acl}`);
      assert.deepEqual(wrong, []);
    });

    it("20 concurrent pulls of cached images all succeed with the right digests", async function () {
      this.timeout(90_000);
      for (const name of TINY) await ensureCached(name);
      const names = Array.from({ length: 20 }, (_, i) => TINY[i % TINY.length]);
      const results = await Promise.allSettled(names.map((name) => pull(cacheCounter.url, name)));
      assert.deepEqual(
        results.flatMap((r, i) =>
          r.status === "rejected" ? [`${names[i]}: ${String(r.reason)}`] : [],
        ),
        [],
      );
    });

    it("refuses a push", async function () {
      this.timeout(30_000);
      const layout = path.join(dir, "source");
      const result = await skopeoCopy(
        `oci:${layout}:tiny-c`,
        `docker://127.0.0.1:${cache.port}/${repoOf("pushed")}:v1`,
        20_000,
      );
      assert.notEqual(result.code, 0, "push accepted");
      assert.deepEqual(
        await s3.keys(`${ROOT}/docker/registry/v2/repositories/${repoOf("pushed")}`),
        [],
      );
    });
  });

  describe("credentials", () => {
    it("follows a rotated token without a restart", async function () {
      this.timeout(60_000);
      ecr.setToken("token-2"); // the old token now fails, as an expired ECR token does
      fs.writeFileSync(tokenSource, "token-2");
      await waitFor(
        "the refresher to write token-2",
        () => Promise.resolve(fs.readFileSync(tokenFile, "utf8") === "token-2"),
        15_000,
      );
      await new Promise((resolve) => setTimeout(resolve, (HELPER_LIFETIME_SECONDS + 1) * 1000));
      await pull(cacheCounter.url, "after-rotation");
      assert.equal(ecr.requests.filter((r) => r.authorized).at(-1)?.token, "token-2");
      assert.equal(cache.exited(), false);
      assert.equal(refresher.exited(), false);
      assert.doesNotMatch(refresher.logTail(200), /token-\d/, "the refresher never logs a token");
    });
  });

  describe("what it exposes", () => {
    it("listens on 127.0.0.1:<port> and nowhere else (no debug server)", () => {
      const port = Number((localConfig as { http: { addr: string } }).http.addr.split(":")[1]);
      assert.deepEqual(listeningSockets(cache.pid), [`127.0.0.1:${port}`]);
    });

    it("sends no traces to whatever listens on the node's localhost:4318", function () {
      if (!traceListener) {
        process.stderr.write("!! localhost:4318 is taken on this machine: trace check not run\n");
        if (process.env.CI === "true") throw new Error("CI=true and localhost:4318 is taken");
        this.skip();
      }
      assert.equal(traceConnections, 0);
    });
  });

  describe("faults", () => {
    it("restarted while the upstream is down, serves cached content by digest", async function () {
      this.timeout(60_000);
      await ensureCached("tiny-c");
      await cache.stop();
      await ecr.stop();
      try {
        cache = await startCache("cache-restarted");
        const via = `http://127.0.0.1:${cache.port}`;
        await pull(via, "tiny-c", true);
        // By tag too: the proxy asks the upstream, fails to reach it, and answers from storage.
        await pull(via, "tiny-c");
        const never = await skopeoCopy(
          `docker://127.0.0.1:${cache.port}/${repoOf("never-cached")}:v1`,
          `oci:${path.join(dir, "never")}:v1`,
          20_000,
        );
        assert.notEqual(never.code, 0, "nothing to serve for an image it never fetched");
        assert.ok(never.ms < 10_000, `an uncached pull failed after ${never.ms} ms`);
      } finally {
        ecr = await startBasicAuthGate(upstream.port, "token-2", { port: ecrPort });
      }
    });

    it("starts without reachable storage, says so, and fails the probe", async function () {
      this.timeout(30_000);
      const port = await freePort();
      const config = structuredClone(localize(rendered.registryConfig, port)) as {
        storage: { s3: { regionendpoint: string } };
      };
      config.storage.s3.regionendpoint = `http://127.0.0.1:${await freePort()}`;
      const broken = await startCache("cache-no-storage", config);
      const probe = await httpRequest(`${broken.url}${LIVENESS_PROBE.path}`, {
        timeoutMs: LIVENESS_PROBE.timeoutSeconds * 1000,
      });
      assert.notEqual(probe.status, 200);
      await waitFor(
        "a storage error in the log",
        () => Promise.resolve(/storage driver health check: s3aws/.test(broken.logTail(50))),
        15_000,
      );
      assert.equal(broken.exited(), false, "no panic at start");
      await broken.stop();
    });

    it("a hung S3 call fails the probe within its timeout, while GET /v2/ still answers", async function () {
      this.timeout(30_000);
      s3.setMode("hang");
      try {
        const base = await httpRequest(`${cache.url}/v2/`, { timeoutMs: 2000 });
        assert.equal(base.status, 200, "a probe of /v2/ would keep a hung cache alive");
        const probe = httpRequest(`${cache.url}${LIVENESS_PROBE.path}`, {
          timeoutMs: LIVENESS_PROBE.timeoutSeconds * 1000,
        });
        await assert.rejects(probe, /timeout/);
      } finally {
        s3.setMode("forward");
      }
    });
  });

  describe("metrics", () => {
    /** The value of one counter sample, e.g. registry_proxy_hits_total{type="blob"}. */
    const sample = (text: string, name: string) =>
      Number(new RegExp(`^${name.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1] ?? 0);

    it("counts a miss and a hit; the node's address serves /metrics and nothing else", async function () {
      this.timeout(90_000);
      requireToolsOrSkip(this, ["nginx"], "cache metrics");
      const chart = await renderChart(
        programValues(HELPER_LIFETIME_SECONDS, STACK, { enabled: true, podMonitor: true }),
        dir,
      );
      assert.ok(chart.objects.some((o) => o.kind === "PodMonitor"));
      const [port, debugPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
      const instance = await startCache(
        "cache-metrics",
        localize(chart.registryConfig, port, debugPort),
      );
      assert.deepEqual(
        listeningSockets(instance.pid),
        [`127.0.0.1:${debugPort}`, `127.0.0.1:${port}`].sort(),
      );
      // With metrics on, v3's debug listener on the node's loopback also serves pprof and
      // expvar (docs/cache.md says so): whoever shares the node's network namespace reads them.
      for (const debugPath of ["/debug/pprof/", "/debug/vars"]) {
        const response = await httpRequest(`http://127.0.0.1:${debugPort}${debugPath}`);
        assert.equal(response.status, 200, debugPath);
      }

      const metricsUrl = startMetricsProxy(
        chart,
        "127.0.0.1",
        metricsPort,
        debugPort,
        "nginx",
        dir,
      );
      const scrape = async () => {
        const response = await httpRequest(`${metricsUrl}/metrics`);
        assert.equal(response.status, 200);
        return response.body.toString();
      };
      await waitFor("the metrics proxy", () => scrape().then(() => true), 10_000);

      const before = await scrape();
      const via = `http://127.0.0.1:${port}`;
      await pull(via, "counted");
      await waitUntilStored("counted");
      const afterMiss = await scrape();
      await pull(via, "counted");
      const afterHit = await scrape();
      const delta = (from: string, to: string, name: string) =>
        sample(to, name) - sample(from, name);
      const counters = {
        blobMisses: delta(before, afterMiss, 'registry_proxy_misses_total{type="blob"}'),
        blobHitsOnMiss: delta(before, afterMiss, 'registry_proxy_hits_total{type="blob"}'),
        blobHits: delta(afterMiss, afterHit, 'registry_proxy_hits_total{type="blob"}'),
        blobMissesOnHit: delta(afterMiss, afterHit, 'registry_proxy_misses_total{type="blob"}'),
        pulledBytes: delta(before, afterMiss, 'registry_proxy_pulled_bytes_total{type="blob"}'),
      };
      note(`metrics of one miss, then one hit: ${JSON.stringify(counters)}`);
      const blobs = 1 + source.get("counted")!.layers.length;
      assert.equal(counters.blobMisses, blobs);
      assert.equal(counters.blobHits, blobs);
      assert.equal(counters.blobMissesOnHit, 0);
      assert.ok(counters.pulledBytes > 0);

      for (const hidden of ["/debug/pprof/", "/debug/vars", "/debug/health", "/"]) {
        const response = await httpRequest(`${metricsUrl}${hidden}`);
        assert.equal(response.status, 404, hidden);
      }
      const post = await httpRequest(`${metricsUrl}/metrics`, { method: "POST" });
      assert.equal(post.status, 403);
      await instance.stop();
    });

    it("the metrics proxy listens on the node's address only, and 1,000 idle connections from a pod's network namespace do not starve /metrics", async function () {
      this.timeout(90_000);
      requireToolsOrSkip(this, ["nginx", "ip"], "cache metrics (network namespaces)");
      const chart = await renderChart(
        programValues(HELPER_LIFETIME_SECONDS, STACK, { enabled: true }),
        dir,
      );
      const [port, debugPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
      const instance = await startCache(
        "cache-netns",
        localize(chart.registryConfig, port, debugPort),
      );
      // The node's address: the host end of a veth pair whose other end is a pod's namespace.
      const netns = startNetworkNamespace("rh-metrics", dir);
      try {
        const metricsUrl = startMetricsProxy(
          chart,
          netns.hostIp,
          metricsPort,
          debugPort,
          "nginx-netns",
          dir,
        );
        await waitFor(
          "the metrics proxy",
          async () => (await httpRequest(`${metricsUrl}/metrics`)).status === 200,
          10_000,
        );
        // Not on every interface: loopback has no listener on the metrics port.
        await assert.rejects(
          httpRequest(`http://127.0.0.1:${metricsPort}/metrics`),
          /ECONNREFUSED/,
        );
        const idle = netns.spawn(process.execPath, [
          "-e",
          idleConnectionsScript(netns.hostIp, metricsPort, 1000),
        ]);
        await waitFor(
          "1,000 idle connections",
          () => Promise.resolve(idle.output().includes("open 1000")),
          20_000,
        );
        const started = Date.now();
        const response = await httpRequest(`${metricsUrl}/metrics`);
        const ms = Date.now() - started;
        assert.equal(response.status, 200);
        assert.ok(ms < 2000, `/metrics took ${ms} ms with 1,000 idle connections`);
        await idle.stop();
      } finally {
        await netns.stop();
        await instance.stop();
      }
    });
  });

  describe("revocation", () => {
    it("a repository taken from the cluster is not served by its cache once the pods roll", async function () {
      this.timeout(90_000);
      await ensureCached("worker");
      assert.equal(repoOf("worker"), REVOKED);
      const after = await renderChart(
        programValues(HELPER_LIFETIME_SECONDS, REVOKED_STACK, {}, ROOT_IDS[1]),
        dir,
      );
      assert.notEqual(after.checksum, rendered.checksum, "the shrunk grants roll the pods");
      ecr.deny(REVOKED);
      // A pod that has not rolled yet still serves what it stored: the proxy falls back to it.
      await pull(cache.url, "worker", true);
      const rolled = await startCache(
        "cache-revoked",
        localize(after.registryConfig, await freePort()),
      );
      try {
        for (const reference of [":v1", `@${source.get("worker")!.manifestDigest}`]) {
          const refused = await skopeoCopy(
            `docker://127.0.0.1:${rolled.port}/${REVOKED}${reference}`,
            `oci:${path.join(dir, "revoked")}:v1`,
            20_000,
            ["--src-no-creds"],
          );
          assert.notEqual(refused.code, 0, `${REVOKED}${reference} still served`);
        }
        await pull(rolled.url, "tiny-a");
      } finally {
        await rolled.stop();
      }
    });

    it("grant, pull, revoke: the new root refuses what pods fetched into the old one while it was granted", async function () {
      this.timeout(120_000);
      const GRANTED = repoOf("granted");
      // Before: the cluster may not pull GRANTED; its pods are on the root of that denied set.
      ecr.deny(GRANTED);
      const before = await startCache(
        "cache-before-grant",
        localize(
          (await renderChart(programValues(HELPER_LIFETIME_SECONDS, STACK, {}, ROOT_IDS[0]), dir))
            .registryConfig,
          await freePort(),
        ),
      );
      const revokedRoot = await renderChart(
        programValues(HELPER_LIFETIME_SECONDS, STACK, {}, ROOT_IDS[2]),
        dir,
      );
      const rolled = await startCache(
        "cache-after-revoke",
        localize(revokedRoot.registryConfig, await freePort()),
      );
      try {
        // The grant: the role's policy changes before the pods roll, so a pod still on the old
        // root fetches GRANTED into it.
        ecr.allow(GRANTED);
        await pull(before.url, "granted");
        await waitUntilStored("granted");
        // The revoke: ECR refuses GRANTED again.
        ecr.deny(GRANTED);
        // A root derived from the denied set alone came back to the old one, which serves it:
        await pull(before.url, "granted", true);
        // The program's root after the revoke is a new one, which never held it: refused.
        const refused = await skopeoCopy(
          `docker://127.0.0.1:${rolled.port}/${GRANTED}:v1`,
          `oci:${path.join(dir, "grant-then-revoke")}:v1`,
          20_000,
          ["--src-no-creds"],
        );
        assert.notEqual(refused.code, 0, "the revoked repository was served from the new root");
      } finally {
        await before.stop();
        await rolled.stop();
      }
    });
  });

  describe("expiry with every node's cache on one bucket", () => {
    it("shares content, keeps no scheduler state, writes nothing on a hit, and refetches after the lifecycle rule", async function () {
      this.timeout(120_000);
      await ensureCached("tiny-d");
      const second = await startCache(
        "cache-second-node",
        localize(rendered.registryConfig, await freePort()),
      );
      upstreamCounter.reset();
      const requestsBefore = s3.requests.length;
      await pull(second.url, "tiny-d");
      assert.ok(
        upstreamCounter.bytesFromTarget() < 4096,
        "a second node's cache hits what the first fetched",
      );
      // A pull by tag asks the upstream for the tag and rewrites the tag's link; blobs and
      // manifests are not written again, so their age (the lifecycle clock) keeps running.
      const rewritten = s3.requests
        .slice(requestsBefore)
        .filter((r) => r.method === "PUT" || r.method === "POST")
        .map((r) => r.key.replace(/^.*\/docker\/registry\/v2\//, ""));
      note(`a hit rewrote: ${rewritten.join(", ") || "nothing"}`);
      assert.deepEqual(
        rewritten.filter((k) => !/^repositories\/.*\/_manifests\/tags\//.test(k)),
        [],
      );
      assert.deepEqual(
        (await s3.keys("")).filter((k) => k.includes("scheduler-state")),
        [],
      );

      // What the expire-cached-content rule does on its day: every object under the root goes.
      // Each instance then fetches again rather than pointing at what is gone.
      const size = source.get("tiny-d")!.totalBytes;
      for (const via of [cache.url, second.url]) {
        await waitUntilStored("tiny-d");
        await s3.deleteObjects(await s3.keys(`${ROOT}/`));
        assert.deepEqual(await s3.keys(`${ROOT}/`), []);
        upstreamCounter.reset();
        await pull(via, "tiny-d");
        const fetched = upstreamCounter.bytesFromTarget();
        assert.ok(fetched >= size, `${via} refetched ${fetched} of ${size} B from the upstream`);
      }
      await pull(second.url, "after-expiry");
      await second.stop();
    });

    it("an image deleted from ECR is served until the purge (emptying cache/, docs/operations.md), then by tag and by digest no more", async function () {
      this.timeout(90_000);
      await ensureCached("purged");
      // Deleted upstream: ECR answers 404 (here: refuses it, as the gate does once denied).
      ecr.deny(repoOf("purged"));
      await pull(cache.url, "purged", true);
      // The responder's `aws s3 rm s3://<bucket>/cache/ --recursive`: every object under cache/.
      await s3.deleteObjects(await s3.keys(ROOT_PREFIX));
      assert.deepEqual(await s3.keys(ROOT_PREFIX), []);
      cached.clear();
      for (const reference of [":v1", `@${source.get("purged")!.manifestDigest}`]) {
        const refused = await skopeoCopy(
          `docker://127.0.0.1:${cache.port}/${repoOf("purged")}${reference}`,
          `oci:${path.join(dir, "purged")}:v1`,
          20_000,
          ["--src-no-creds"],
        );
        assert.notEqual(refused.code, 0, `${reference} still served after the purge`);
      }
    });
  });

  describe("S3 permissions (the recorded requests, replayed through the IAM simulator)", () => {
    it("the cache role may make every request the registry made; another principal of the account none of the object ones", async function () {
      this.timeout(60_000);
      const calls = s3.requests.filter((r) => r.auth === "header").flatMap((r) => iamCallsFor(r));
      const operations = new Set(calls.map((c) => c.operation));
      for (const op of [
        "ListObjectsV2",
        "GetObject",
        "CreateMultipartUpload",
        "CopyObject",
        "DeleteObjects",
      ])
        assert.ok(operations.has(op), `the run made ${op}`);
      // Requests are simulated over TLS, as the registry talks to S3 on AWS (secure: true).
      const context = { resourcePolicy: BUCKET_POLICY };
      const asCache = await simulateCalls(calls, {
        ...context,
        principalArn: CACHE.roleArn,
        identityPolicy: CACHE_ROLE_POLICY,
      });
      assert.deepEqual(
        asCache.filter((v) => v.result !== "Allowed"),
        [],
      );
      const admin = await simulateCalls(
        calls.filter((c) => c.resource.startsWith(`arn:aws:s3:::${CACHE.bucketName}/`)),
        {
          ...context,
          principalArn: `arn:aws:iam::${CLUSTER.accountId}:role/someone-with-s3-star`,
          identityPolicy: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
          },
        },
      );
      assert.ok(admin.length > 0);
      assert.deepEqual(
        admin.filter((v) => v.result !== "ExplicitlyDenied"),
        [],
      );
    });
  });
});
