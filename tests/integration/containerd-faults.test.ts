/**
 * What a sick cache costs a node's pull, measured with real containerd (Debian's 1.6.20, `ctr`).
 *
 * PROVES, with the program's own hosts.toml (mirrorHostsToml, only its `server` line pointed at a
 * local upstream that demands Basic auth like ECR): when the cache is stopped, answers 500 or
 * 404 to everything, or answers garbage instead of HTTP, containerd falls back to the upstream
 * within a second and gets the right image; when the cache hangs until its liveness probe kills
 * it (port closed after SILENT_THEN_CLOSE_AFTER_SECONDS), the pull completes from the upstream
 * within that bound + 5 s; a healthy cache serves every blob while the upstream resolves the tag
 * (hosts.toml trusts the cache with digests only); a squatter on the cache's port, serving its
 * own image for the tag or its own manifest for every request, never gets its image taken; and a
 * cache that hangs forever is NOT given up on by containerd on its own (still waiting after
 * FOREVER_SILENT_WAIT_SECONDS), which is why the liveness kill must exist.
 *
 * CANNOT PROVE: kubelet's CRI path (the CRI plugin is disabled here; it runs the same resolver
 * code with its own HTTP client, whose timeouts were not measured; later containerd versions
 * add pull timeouts of their own, e.g. a dial timeout in hosts.toml in 2.1), TLS to the real
 * ECR, containerd versions other than the one installed (CI may run Docker's containerd.io).
 * As non-root the pull is fetch-only (see ./containerd.ts).
 */
import { hungCacheClosedWithinSeconds } from "../../cache/chart-values";
import { strict as assert } from "assert";
import * as http from "http";
import * as path from "path";
import { mirrorHostsToml } from "../../cache/containerd";
import {
  CONTAINERD_TOOLS,
  Containerd,
  PullResult,
  startContainerd,
  writeHostsDir,
} from "./support/containerd";
import { FaultKind, startFaultServer } from "./support/fault-servers";
import {
  buildImages,
  LayoutImage,
  pseudoRandomBytes,
  readLayoutImage,
  skopeoCopyOk,
} from "./support/images";
import { freePort, note, requireToolsOrSkip, stopAll, tempDir } from "./support/processes";
import {
  BasicAuthGate,
  GateRequest,
  RegistryProcess,
  startBasicAuthGate,
  startRegistry,
  upstreamConfig,
} from "./support/registries";

/** Seconds from "the cache hangs" to "its port is closed": the chart's liveness probe kill. */
const SILENT_THEN_CLOSE_AFTER_SECONDS = hungCacheClosedWithinSeconds();
/** How long a forever-silent cache is watched to show containerd does not give up by itself. */
const FOREVER_SILENT_WAIT_SECONDS = 10;
/** A broken-but-answering cache may cost a pull at most this much. */
const FAST_FALLBACK_MS = 1000;

const REGISTRY_HOST = "333333333333.dkr.ecr.eu-west-1.amazonaws.com";
const REPO = "team/app";
const TAG = "v1";
const REF = `${REGISTRY_HOST}/${REPO}:${TAG}`;
/** ECR's Basic user and a token-like password. */
const ECR_USER = "AWS";
const ECR_TOKEN = pseudoRandomBytes(96, "ecr-token").toString("base64");

interface Row {
  fault: string;
  ms: number;
  outcome: string;
}

/** The program's hosts.toml with only its `server` line changed to `serverUrl`. */
function localHostsToml(cachePort: number, serverUrl: string): string {
  return mirrorHostsToml(REGISTRY_HOST, cachePort)
    .split("\n")
    .map((line) => (/^server\s*=/.test(line) ? `server = "${serverUrl}"` : line))
    .join("\n");
}

/** The first reason ctr logged for leaving a host ("trying next host"), shortened. */
function firstFallbackReason(result: PullResult): string | undefined {
  const match = /msg="trying next host[^"]*"(?: error="((?:[^"\\]|\\.)*)")?/.exec(result.stderr);
  if (!match) return undefined;
  const reason = match[1] ?? match[0].replace(/^msg="trying next host - /, "").replace(/"$/, "");
  const short = reason.replace(/\\"/g, '"').replace(/^.*: /, "");
  // Garbage answers come back quoted in the error: keep only the error's own words.
  return short.length > 60
    ? `${short.slice(0, short.indexOf('"') > 0 ? short.indexOf('"') : 60).trim()} ...`
    : short;
}

/** "HEAD manifests/v1 401, ..." for the verbose notes. */
function describeRequests(requests: GateRequest[]): string {
  if (requests.length === 0) return "none";
  return requests
    .map((r) => {
      const what = r.path.split("?")[0].replace(/^\/v2\/.*\/(manifests|blobs)\//, "$1/");
      return `${r.method} ${what.replace(/sha256:([0-9a-f]{12})[0-9a-f]+/, "sha256:$1")} ${r.status}`;
    })
    .join(", ");
}

describe("containerd hosts.toml used by the fault tests", () => {
  const LOCAL_UPSTREAM = "http://127.0.0.1:5000";
  it("hosts.toml is the program's, with only the server line pointed at the local upstream", () => {
    const program = mirrorHostsToml(REGISTRY_HOST, 30500).split("\n");
    const local = localHostsToml(30500, LOCAL_UPSTREAM).split("\n");
    assert.equal(local.length, program.length);
    const changed = program.flatMap((line, i) => (line === local[i] ? [] : [[line, local[i]]]));
    assert.deepEqual(changed, [
      [`server = "https://${REGISTRY_HOST}"`, `server = "${LOCAL_UPSTREAM}"`],
    ]);
  });
});

describe("containerd pulls through a sick cache (real containerd, ctr)", function () {
  let dir: string;
  let containerd: Containerd;
  let upstream: RegistryProcess;
  let gate: BasicAuthGate;
  let image: LayoutImage;
  let caseCount = 0;
  const rows: Row[] = [];

  /**
   * Pulls REF in a fresh namespace with the program's hosts.toml pointing at cachePort; returns
   * the result and the upstream requests it caused.
   */
  async function pullWithCache(
    name: string,
    cachePort: number | "no cache",
    timeoutMs: number,
    credentials: "with credentials" | "without credentials" = "with credentials",
  ) {
    const user = credentials === "with credentials" ? `${ECR_USER}:${ECR_TOKEN}` : undefined;
    const namespace = `case-${caseCount++}`;
    const hostsDir = writeHostsDir(
      path.join(dir, `hosts-${namespace}`),
      REGISTRY_HOST,
      cachePort === "no cache"
        ? // containerd 1.6 rejects a hosts.toml without a [host] table ("invalid `host` tree")
          // and then pulls from https://<registry host>: name the upstream as the only host.
          `server = "${gate.url}"\n\n[host."${gate.url}"]\n  capabilities = ["pull", "resolve"]\n`
        : localHostsToml(cachePort, gate.url),
    );
    const before = gate.requests.length;
    const result = await containerd.pull(REF, { hostsDir, namespace, timeoutMs, user });
    const upstreamRequests = gate.requests.slice(before);
    note(
      `${name}: ctr exit ${result.code}${result.timedOut ? " (killed at the hard timeout)" : ""} ` +
        `in ${result.ms} ms; upstream requests: ${describeRequests(upstreamRequests)}`,
    );
    return { namespace, result, upstreamRequests };
  }

  /** The pull succeeded and the namespace holds the upstream's image: manifest, config, layers. */
  async function assertPulledRightImage(namespace: string, result: PullResult): Promise<void> {
    assert.equal(
      result.code,
      0,
      `ctr ${result.args.map((arg, i) => (result.args[i - 1] === "--user" ? "AWS:<redacted>" : arg)).join(" ")} failed (timed out: ${result.timedOut}):\n${result.stderr}`,
    );
    assert.equal(await containerd.imageDigest(REF, namespace), image.manifestDigest, "digest");
    const content = await containerd.contentDigests(namespace);
    for (const blob of [image.config, ...image.layers]) {
      assert.ok(content.includes(blob.digest), `blob ${blob.digest} missing from ${namespace}`);
    }
  }

  /** Every blob came from the upstream, with its credentials. */
  function assertServedByUpstream(requests: GateRequest[]): void {
    for (const blob of [image.config, ...image.layers]) {
      assert.ok(
        requests.some(
          (r) => r.path.split("?")[0].endsWith(`/blobs/${blob.digest}`) && r.status === 200,
        ),
        `upstream did not serve ${blob.digest}: ${JSON.stringify(requests)}`,
      );
    }
    assert.ok(
      requests.some((r) => r.authorized),
      "no authorized upstream request",
    );
  }

  before(async function () {
    this.timeout(60_000);
    requireToolsOrSkip(this, CONTAINERD_TOOLS, "containerd-faults");
    dir = tempDir("registry-hub-ctd");

    const upstreamPort = await freePort();
    const upstreamStart = startRegistry(
      "upstream",
      upstreamConfig(upstreamPort, path.join(dir, "upstream")),
      upstreamPort,
      dir,
    );
    const containerdStart = startContainerd(dir);
    const layout = path.join(dir, "source");
    await buildImages(layout, dir, [
      { tag: TAG, files: { "etc/app": pseudoRandomBytes(64 * 1024, "containerd-faults") } },
    ]);
    image = readLayoutImage(layout, TAG);
    upstream = await upstreamStart;
    await skopeoCopyOk(
      `oci:${layout}:${TAG}`,
      `docker://127.0.0.1:${upstream.port}/${REPO}:${TAG}`,
    );
    gate = await startBasicAuthGate(upstream.port, ECR_TOKEN, { realmHost: REGISTRY_HOST });
    containerd = await containerdStart;
    note(
      `containerd mode: ${containerd.mode} (ctr ${containerd.mode === "pull" ? "images pull" : "content fetch"})`,
    );
  });

  after(async function () {
    this.timeout(30_000);
    if (rows.length > 0 && process.env.REGISTRY_IT_VERBOSE) {
      const width = Math.max(...rows.map((r) => r.fault.length));
      process.stdout.write(`\n      fault${" ".repeat(width - 5)} | elapsed ms | outcome\n`);
      for (const row of rows) {
        process.stdout.write(
          `      ${row.fault.padEnd(width)} | ${String(row.ms).padStart(10)} | ${row.outcome}\n`,
        );
      }
      process.stdout.write("\n");
    }
    await stopAll();
  });

  it("the upstream stand-in demands Basic auth like ECR: a pull without credentials fails", async function () {
    this.timeout(30_000);
    const stopped = await startFaultServer("stopped");
    const { result, upstreamRequests } = await pullWithCache(
      "no credentials",
      stopped.port,
      15_000,
      "without credentials",
    );
    assert.notEqual(result.code, 0, "pulled without credentials");
    assert.ok(
      upstreamRequests.some((r) => r.status === 401),
      JSON.stringify(upstreamRequests),
    );
    assert.ok(upstreamRequests.every((r) => !r.authorized));
  });

  it("baseline, no cache in hosts.toml: the pull the faults are compared with", async function () {
    this.timeout(30_000);
    const { namespace, result, upstreamRequests } = await pullWithCache(
      "no cache",
      "no cache",
      15_000,
    );
    await assertPulledRightImage(namespace, result);
    assertServedByUpstream(upstreamRequests);
    rows.push({
      fault: "no cache (baseline)",
      ms: result.ms,
      outcome: "pulled from upstream, digest ok",
    });
  });

  const fastFaults: Array<[FaultKind, string]> = [
    ["stopped", "stopped (nothing listening)"],
    ["http500", "500 to everything"],
    ["http404", "404 to everything"],
    ["garbage", "garbage instead of HTTP"],
  ];
  for (const [kind, label] of fastFaults) {
    it(`${label}: falls back to the upstream in < ${FAST_FALLBACK_MS} ms`, async function () {
      this.timeout(30_000);
      const fault = await startFaultServer(kind);
      const { namespace, result, upstreamRequests } = await pullWithCache(
        label,
        fault.port,
        15_000,
      );
      await fault.stop();
      await assertPulledRightImage(namespace, result);
      assertServedByUpstream(upstreamRequests);
      // A stopped cache counts no connections, and ctr does not log the refused fetch of a
      // digest; the three answering faults show that containerd does try the cache.
      if (kind !== "stopped")
        assert.ok(fault.connections() > 0, "containerd never tried the cache");
      const reason = firstFallbackReason(result);
      rows.push({
        fault: label,
        ms: result.ms,
        outcome: `pulled from upstream, digest ok${reason ? ` (ctr: ${reason})` : ""}`,
      });
      assert.ok(result.ms < FAST_FALLBACK_MS, `pull took ${result.ms} ms`);
    });
  }

  it("healthy cache (distribution 2.8 proxying the upstream): the upstream only resolves the tag, the cache serves every blob", async function () {
    this.timeout(30_000);
    // 2.8 cannot answer a Basic challenge (distribution#3153), so it proxies the open registry
    // behind the gate: every request the gate sees would be containerd's own fallback.
    const port = await freePort();
    const cache = await startRegistry(
      "healthy-cache",
      {
        ...upstreamConfig(port, path.join(dir, "healthy-cache")),
        proxy: { remoteurl: upstream.url },
      },
      port,
      dir,
    );
    const { namespace, result, upstreamRequests } = await pullWithCache(
      "healthy cache",
      cache.port,
      15_000,
    );
    await cache.stop();
    await assertPulledRightImage(namespace, result);
    // The tag is resolved at the upstream (hosts.toml gives the cache "pull" only): nothing else.
    const byTag = `/v2/${REPO}/manifests/${TAG}`;
    assert.ok(
      upstreamRequests.some((r) => r.path.split("?")[0] === byTag && r.status === 200),
      JSON.stringify(upstreamRequests),
    );
    assert.deepEqual(
      upstreamRequests.filter((r) => r.path.split("?")[0] !== byTag && r.status === 200),
      [],
      "the upstream served more than the tag's resolution",
    );
    rows.push({
      fault: "healthy cache (2.8 proxy)",
      ms: result.ms,
      outcome: "tag resolved at the upstream, content from the cache, digest ok",
    });
  });

  it("ECR down: with the cache healthy, a pull by tag fails and a pull by digest comes from the cache", async function () {
    this.timeout(60_000);
    const port = await freePort();
    const cache = await startRegistry(
      "cache-ecr-down",
      {
        ...upstreamConfig(port, path.join(dir, "cache-ecr-down")),
        proxy: { remoteurl: upstream.url },
      },
      port,
      dir,
    );
    try {
      // Warm the cache, then point the node's server at a port nobody listens on.
      await pullWithCache("warm the cache", cache.port, 15_000);
      const down = `http://127.0.0.1:${await freePort()}`;
      const hostsDir = (name: string) =>
        writeHostsDir(
          path.join(dir, `hosts-${name}`),
          REGISTRY_HOST,
          localHostsToml(cache.port, down),
        );
      const byTag = await containerd.pull(REF, {
        hostsDir: hostsDir("ecr-down-tag"),
        namespace: "ecr-down-tag",
        timeoutMs: 15_000,
      });
      assert.notEqual(byTag.code, 0, "a tag cannot be resolved without ECR");
      const digestRef = `${REGISTRY_HOST}/${REPO}@${image.manifestDigest}`;
      const byDigest = await containerd.pull(digestRef, {
        hostsDir: hostsDir("ecr-down-digest"),
        namespace: "ecr-down-digest",
        timeoutMs: 15_000,
      });
      assert.equal(byDigest.code, 0, byDigest.stderr);
      const content = await containerd.contentDigests("ecr-down-digest");
      for (const blob of [image.config, ...image.layers]) assert.ok(content.includes(blob.digest));
      rows.push({ fault: "ECR down, by tag", ms: byTag.ms, outcome: "fails: tags resolve at ECR" });
      rows.push({
        fault: "ECR down, by digest",
        ms: byDigest.ms,
        outcome: "from the cache, digest ok",
      });
    } finally {
      await cache.stop();
    }
  });

  /** An image of the attacker's under the same repository and tag, in its own registry. */
  async function rogueRegistry(): Promise<{ rogue: RegistryProcess; rogueImage: LayoutImage }> {
    const port = await freePort();
    const rogue = await startRegistry(
      "rogue",
      upstreamConfig(port, path.join(dir, `rogue-${port}`)),
      port,
      dir,
    );
    const layout = path.join(dir, `rogue-source-${port}`);
    await buildImages(layout, dir, [
      { tag: TAG, files: { "etc/app": pseudoRandomBytes(64 * 1024, "the attacker's") } },
    ]);
    const rogueImage = readLayoutImage(layout, TAG);
    await skopeoCopyOk(`oci:${layout}:${TAG}`, `docker://127.0.0.1:${port}/${REPO}:${TAG}`);
    return { rogue, rogueImage };
  }

  it("a squatter on the cache's port serving its own image for the tag: the node pulls the upstream's image", async function () {
    this.timeout(60_000);
    const { rogue, rogueImage } = await rogueRegistry();
    assert.notEqual(rogueImage.manifestDigest, image.manifestDigest);
    const { namespace, result } = await pullWithCache("squatter", rogue.port, 15_000);
    await rogue.stop();
    await assertPulledRightImage(namespace, result);
    const content = await containerd.contentDigests(namespace);
    assert.ok(!content.includes(rogueImage.manifestDigest), "the squatter's manifest was taken");
    for (const layer of rogueImage.layers) assert.ok(!content.includes(layer.digest));
    rows.push({
      fault: "squatter, own tag",
      ms: result.ms,
      outcome: "upstream's image, digest ok",
    });
  });

  it("a squatter answering every manifest with its own: the node never takes it (digest checked)", async function () {
    this.timeout(60_000);
    const { rogue, rogueImage } = await rogueRegistry();
    // Every manifest request, by tag or by digest, gets the squatter's manifest; blobs are its own.
    const rogueManifest = await fetch(`${rogue.url}/v2/${REPO}/manifests/${TAG}`, {
      headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
    });
    const manifestBody = Buffer.from(await rogueManifest.arrayBuffer());
    const manifestType = rogueManifest.headers.get("content-type") ?? "";
    const squatter = http.createServer((request, response) => {
      if (/\/manifests\//.test(request.url ?? "")) {
        response.writeHead(200, {
          "Content-Type": manifestType,
          "Docker-Content-Digest": image.manifestDigest,
          "Content-Length": String(manifestBody.length),
        });
        response.end(request.method === "HEAD" ? undefined : manifestBody);
        return;
      }
      const target = `${rogue.url}${request.url ?? "/"}`;
      void fetch(target, { method: request.method }).then(async (answer) => {
        response.writeHead(answer.status, Object.fromEntries(answer.headers.entries()));
        response.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => squatter.listen(port, "127.0.0.1", resolve));
    try {
      const { namespace, result } = await pullWithCache("squatter, every manifest", port, 15_000);
      const content = await containerd.contentDigests(namespace).catch(() => [] as string[]);
      assert.ok(!content.includes(rogueImage.manifestDigest), "the squatter's manifest was taken");
      for (const layer of rogueImage.layers) assert.ok(!content.includes(layer.digest));
      if (result.code === 0) await assertPulledRightImage(namespace, result);
      rows.push({
        fault: "squatter, every manifest",
        ms: result.ms,
        outcome: result.code === 0 ? "upstream's image, digest ok" : "pull failed, nothing taken",
      });
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
      await rogue.stop();
    }
  });

  it(`silent, then port closed after ${SILENT_THEN_CLOSE_AFTER_SECONDS} s (liveness kill): pull completes from the upstream within ${SILENT_THEN_CLOSE_AFTER_SECONDS} + 5 s`, async function () {
    const boundMs = (SILENT_THEN_CLOSE_AFTER_SECONDS + 5) * 1000;
    this.timeout(boundMs + 20_000);
    // The worst case: the pull starts the moment the cache starts hanging.
    const fault = await startFaultServer("silentThenClose", {
      silentThenCloseAfterSeconds: SILENT_THEN_CLOSE_AFTER_SECONDS,
    });
    const { namespace, result, upstreamRequests } = await pullWithCache(
      "silent, then closed",
      fault.port,
      boundMs + 10_000,
    );
    await fault.stop();
    assert.ok(fault.connections() > 0, "containerd never tried the cache");
    rows.push({
      fault: `silent, closed after ${SILENT_THEN_CLOSE_AFTER_SECONDS} s`,
      ms: result.ms,
      outcome:
        result.code === 0
          ? "pulled from upstream once the port closed, digest ok"
          : `failed (exit ${result.code}, timed out: ${result.timedOut})`,
    });
    await assertPulledRightImage(namespace, result);
    assertServedByUpstream(upstreamRequests);
    assert.ok(result.ms <= boundMs, `pull took ${result.ms} ms, bound ${boundMs} ms`);
    assert.ok(
      result.ms >= SILENT_THEN_CLOSE_AFTER_SECONDS * 1000 - 1000,
      `pull took only ${result.ms} ms: the fault did not hold it`,
    );
  });

  it(`silent forever: containerd does not give up on its own within ${FOREVER_SILENT_WAIT_SECONDS} s`, async function () {
    this.timeout(FOREVER_SILENT_WAIT_SECONDS * 1000 + 20_000);
    const fault = await startFaultServer("silent");
    const { result, upstreamRequests } = await pullWithCache(
      "silent forever",
      fault.port,
      FOREVER_SILENT_WAIT_SECONDS * 1000,
    );
    const connections = fault.connections();
    await fault.stop();
    rows.push({
      fault: "silent forever",
      ms: result.ms,
      outcome: result.timedOut
        ? `still waiting, killed at ${FOREVER_SILENT_WAIT_SECONDS} s; upstream asked only for the tag`
        : `ended by itself (exit ${result.code})`,
    });
    assert.ok(
      result.timedOut,
      `ctr ended by itself after ${result.ms} ms (exit ${result.code}):\n${result.stderr}`,
    );
    assert.ok(connections > 0, "containerd never tried the cache");
    // The tag is resolved at the upstream first (the cache is trusted with digests only); then
    // containerd waits on the cache for the content and asks the upstream for nothing else.
    const byTag = `/v2/${REPO}/manifests/${TAG}`;
    assert.deepEqual(
      upstreamRequests.filter((r) => r.path.split("?")[0] !== byTag),
      [],
      "containerd went to the upstream for content while the cache hung",
    );
  });
});
