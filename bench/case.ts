/**
 * One benchmark case, in its own process (setMocks is process-global, and peak RSS is per
 * process): generate a config, validate it, run the program under the mock runtime until
 * every registration has settled, and print one JSON object on stdout.
 *
 *   node -r ts-node/register/transpile-only bench/case.ts '<CaseArgs as JSON>'
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import { buildModel } from "../config/model";
import { PROJECT, hubConfigSchema } from "../config/schema";
import { prepare } from "../prepare";
import { POLICY_SIZE_LIMIT, planAccess } from "../plan/access";
import { Scale, generateRawConfig, withOneMoreCluster } from "./generate";
import { promiseOf, registrationsSettled } from "../testing/mock-runtime";
import { mockState } from "./mock-state";
import { RegistrationRecorder } from "./registrations";

export interface CaseArgs {
  scale: Scale;
  /** "base": the scale as generated; "plus-one": one more cluster in the first account. */
  variant: "base" | "plus-one";
  /** Skip the mock deployment (validation and policy sizes only). */
  validateOnly?: boolean;
  /** Give up waiting for registrations and outputs after this long. */
  timeoutMs?: number;
  /** Write every registration (bench/registrations.ts) to this file, for the SDK floor. */
  recordTo?: string;
}

export interface CaseResult {
  args: CaseArgs;
  clusters: number;
  rssAfterImportsMiB: number;
  generateMs: number;
  validateMs: number;
  /** planAccess alone, timed again after validation (validation runs it once itself). */
  planMs: number;
  validation: { ok: true } | { ok: false; problemCount: number; firstProblem: string };
  policies?: {
    largestRepositoryPolicy: number;
    meanRepositoryPolicy: number;
    largestPullerPolicy: number;
    limit: number;
    /** Set when validation refused: the sizes the refused plan would have deployed. */
    refusedPlan?: boolean;
  };
  deploy?: {
    /** Loading hub.ts and the providers' SDKs (after setMocks). */
    importMs: number;
    /** The synchronous deployHub call: plan and resource constructors. */
    constructMs: number;
    /** From calling deployHub to the last registration the mock saw. */
    lastRegistrationMs: number;
    /** From calling deployHub until registrations were stable and every returned output resolved. */
    settledMs: number;
    /** CPU time (user + system) from calling deployHub until settled. */
    cpuMs: number;
    registered: number;
    customResources: number;
    components: number;
    providers: number;
    byType: Record<string, number>;
    perRepository: { max: number; mean: number };
    unexpectedInvokes: string[];
  };
  totalMs: number;
  /** CPU time (user + system) of runCase; less sensitive than wall time to other processes. */
  cpuMs: number;
  peakRssMiB: number;
  heapUsedMiB: number;
  /** URN -> hash of the registered inputs, for the add-one-cluster diff. */
  inputsByUrn?: Record<string, string>;
}

interface Registration {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
}

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const round = (ms: number) => Math.round(ms * 10) / 10;
const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

/** JSON with object keys sorted, so equal inputs hash equally whatever their insertion order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** URN as the mock monitor builds it: the parent's type chain, then the resource's own. */
function urnsOf(): Map<string, string> | undefined {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    getRegisteredResources?: () => Map<string, unknown>;
  };
  const urns = monitor?.getRegisteredResources?.();
  if (!urns) return undefined;
  const byTypeAndName = new Map<string, string>();
  for (const urn of urns.keys()) {
    const parts = urn.split("::");
    const name = parts.slice(3).join("::");
    const type = parts[2].split("$").pop() as string;
    byTypeAndName.set(`${type}::${name}`, urn);
  }
  return byTypeAndName;
}

export async function runCase(args: CaseArgs): Promise<CaseResult> {
  const timeoutMs = args.timeoutMs ?? 90_000;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const rssAfterImportsMiB = mib(process.memoryUsage().rss);

  let t = performance.now();
  const base = generateRawConfig(args.scale);
  const raw = args.variant === "plus-one" ? withOneMoreCluster(base, args.scale) : base;
  const generateMs = performance.now() - t;
  const clusters = args.scale.clusters + (args.variant === "plus-one" ? 1 : 0);

  t = performance.now();
  const validation = prepare(raw);
  const validateMs = performance.now() - t;

  const result: CaseResult = {
    args,
    clusters,
    rssAfterImportsMiB,
    generateMs: round(generateMs),
    validateMs: round(validateMs),
    planMs: 0,
    validation: validation.ok
      ? { ok: true }
      : {
          ok: false,
          problemCount: validation.problems.length,
          firstProblem: validation.problems[0],
        },
    totalMs: 0,
    cpuMs: 0,
    peakRssMiB: 0,
    heapUsedMiB: 0,
  };

  // Policy sizes: of the validated plan, or of the plan validation refused (when the schema passed).
  const parsed = validation.ok ? undefined : hubConfigSchema.safeParse(raw);
  const config = validation.ok
    ? validation.model
    : parsed?.success
      ? buildModel(parsed.data)
      : undefined;
  if (config) {
    t = performance.now();
    const plan = planAccess(config);
    if (validation.ok) result.planMs = round(performance.now() - t);
    const sizes = plan.repositories.map((r) => r.policyText.length);
    result.policies = {
      largestRepositoryPolicy: Math.max(...sizes),
      meanRepositoryPolicy: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
      largestPullerPolicy: Math.max(0, ...plan.pullers.map((p) => p.policyText.length)),
      limit: POLICY_SIZE_LIMIT,
      ...(validation.ok ? {} : { refusedPlan: true }),
    };
  }

  if (validation.ok && !args.validateOnly) {
    const registrations: Registration[] = [];
    const unexpectedInvokes: string[] = [];
    let lastRegistrationAt = 0;
    const recorder = args.recordTo ? new RegistrationRecorder() : undefined;
    await pulumi.runtime.setMocks(
      {
        newResource(mockArgs) {
          recorder?.record(mockArgs);
          registrations.push({
            type: mockArgs.type,
            name: mockArgs.name,
            custom: mockArgs.custom ?? true,
            inputs: mockArgs.inputs as Record<string, unknown>,
          });
          lastRegistrationAt = performance.now();
          return { id: `${mockArgs.name}-id`, state: mockState(mockArgs) };
        },
        call(mockArgs) {
          if (mockArgs.token === "aws:eks/getCluster:getCluster") {
            return {
              endpoint: `https://${String((mockArgs.inputs as Record<string, unknown>).name)}.eks.example`,
              certificateAuthorities: [{ data: "Y2VydA==" }],
            };
          }
          unexpectedInvokes.push(mockArgs.token);
          return {};
        },
      },
      PROJECT,
      "bench",
      false,
    );
    recorder?.install();

    t = performance.now();
    const { deployHub } = await import("../hub");
    const importMs = performance.now() - t;

    const start = performance.now();
    const deployCpu = process.cpuUsage();
    const outputs = deployHub(validation.model, validation.plan);
    const constructMs = performance.now() - start;

    // Settled: every returned output resolved, and the SDK has no registration left to make.
    let outputsResolvedAt = 0;
    await withTimeout(
      Promise.all([
        promiseOf(pulumi.output(outputs), timeoutMs).then(
          () => (outputsResolvedAt = performance.now()),
        ),
        registrationsSettled(() => registrations.length),
      ]),
      timeoutMs,
      "registrations and outputs",
    );
    const settledMs = Math.max(lastRegistrationAt, outputsResolvedAt) - start;
    const deployCpuMs = cpuMs(process.cpuUsage(deployCpu));
    if (recorder && args.recordTo) recorder.write(args.recordTo);

    const byType: Record<string, number> = {};
    for (const r of registrations) byType[r.type] = (byType[r.type] ?? 0) + 1;
    const repositoryNames = new Set(validation.model.repositories.map((r) => `central-${r.name}`));
    const perRepository = new Map<string, number>();
    for (const r of registrations) {
      if (r.custom && repositoryNames.has(r.name))
        perRepository.set(r.name, (perRepository.get(r.name) ?? 0) + 1);
    }
    const counts = [...perRepository.values()];
    const urns = urnsOf();
    result.inputsByUrn = Object.fromEntries(
      registrations.map((r) => [
        urns?.get(`${r.type}::${r.name}`) ?? `${r.type}::${r.name}`,
        createHash("sha1").update(stableJson(r.inputs)).digest("hex").slice(0, 16),
      ]),
    );
    result.deploy = {
      importMs: round(importMs),
      constructMs: round(constructMs),
      lastRegistrationMs: round(lastRegistrationAt - start),
      settledMs: round(settledMs),
      cpuMs: round(deployCpuMs),
      registered: registrations.length,
      customResources: registrations.filter(
        (r) => r.custom && !r.type.startsWith("pulumi:providers:"),
      ).length,
      components: registrations.filter((r) => !r.custom).length,
      providers: registrations.filter((r) => r.type.startsWith("pulumi:providers:")).length,
      byType,
      perRepository: {
        max: Math.max(0, ...counts),
        mean:
          Math.round((counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length)) * 100) / 100,
      },
      unexpectedInvokes: [...new Set(unexpectedInvokes)],
    };
  }

  result.totalMs = round(performance.now() - t0);
  result.cpuMs = round(cpuMs(process.cpuUsage(cpu0)));
  result.heapUsedMiB = mib(process.memoryUsage().heapUsed);
  // maxRSS is in kilobytes: the process's peak, imports included.
  result.peakRssMiB = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
  return result;
}

if (require.main === module) {
  const args = JSON.parse(process.argv[2] ?? "") as CaseArgs;
  runCase(args).then(
    (result) => {
      process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0));
    },
    (error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
