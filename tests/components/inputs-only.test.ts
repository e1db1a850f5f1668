import * as assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import { version as awsSdkVersion } from "@pulumi/aws/package.json";
import * as pulumi from "@pulumi/pulumi";
import { inputsOnly } from "../../components/inputs-only";
import { collect, installMocks } from "../../testing/mock-runtime";

installMocks();

interface RegisterRequest {
  getName(): string;
  toObject(): Record<string, unknown>;
}

/** Every RegisterResource request the SDK sends, as the engine would receive it. */
async function requests(program: () => void): Promise<Record<string, unknown>[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { getMonitor } = require("@pulumi/pulumi/runtime/settings") as {
    getMonitor: () => { registerResource(req: RegisterRequest, cb: unknown): Promise<void> };
  };
  const monitor = getMonitor();
  const original = Object.getOwnPropertyDescriptor(monitor, "registerResource");
  const register = monitor.registerResource.bind(monitor);
  const seen: Record<string, unknown>[] = [];
  monitor.registerResource = (req, cb) => {
    seen.push(req.toObject());
    return register(req, cb);
  };
  try {
    await collect(program);
  } finally {
    if (original) Object.defineProperty(monitor, "registerResource", original);
    else delete (monitor as { registerResource?: unknown }).registerResource;
  }
  return seen;
}

/**
 * A request without what must differ: the names (and references to them), and where in the
 * source the resource was made (its stack trace and source position).
 */
function comparable(request: Record<string, unknown>, name: string) {
  const rest = { ...request };
  delete rest.stacktrace;
  delete rest.sourceposition;
  return JSON.parse(JSON.stringify(rest).split(name).join("NAME")) as unknown;
}

describe("inputsOnly: a provider SDK's resource registered with only its inputs", () => {
  for (const variant of ["class", "inputsOnly"] as const) void variant; // (both variants are built below, side by side)

  it("sends the engine exactly what the SDK's class sends: type, name, inputs, options, version", async () => {
    const build = (prefix: string, lean: boolean) => () => {
      const provider = new aws.Provider(`${prefix}-p`, { region: "us-east-1" });
      const parent = new pulumi.ComponentResource(
        "test:index:Parent",
        `${prefix}-parent`,
        {},
        { providers: { aws: provider } },
      );
      const repoArgs = {
        name: "team/app",
        imageTagMutability: "IMMUTABLE",
        imageTagMutabilityExclusionFilters: undefined,
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [{ encryptionType: "AES256" }],
        forceDelete: false,
      };
      const opts = {
        parent,
        protect: true,
        retainOnDelete: true,
        ignoreChanges: ["encryptionConfigurations"],
      };
      const repo = lean
        ? inputsOnly(aws.ecr.Repository, `${prefix}-repo`, repoArgs, opts)
        : new aws.ecr.Repository(`${prefix}-repo`, repoArgs, opts);
      const policyArgs = { repository: repo.name, policy: '{"Version":"2012-10-17"}' };
      if (lean) inputsOnly(aws.ecr.RepositoryPolicy, `${prefix}-repo`, policyArgs, { parent });
      else new aws.ecr.RepositoryPolicy(`${prefix}-repo`, policyArgs, { parent });
    };
    const typed = await requests(build("typed", false));
    const lean = await requests(build("lean", true));
    assert.equal(lean.length, 4);
    assert.deepEqual(
      lean.map((r) => comparable(r, "lean")),
      typed.map((r) => comparable(r, "typed")),
    );
    const repository = lean.find((r) => r.type === "aws:ecr/repository:Repository")!;
    assert.equal(repository.version, awsSdkVersion);
  });

  it("creates Outputs for the inputs given only", () => {
    const provider = new aws.Provider("few-p", { region: "us-east-1" });
    const repo = inputsOnly(
      aws.ecr.Repository,
      "few-repo",
      { name: "a", forceDelete: undefined },
      { provider },
    );
    assert.ok(pulumi.Output.isInstance(repo.name));
    const record = repo as unknown as Record<string, unknown>;
    assert.equal(record.repositoryUrl, undefined);
    assert.equal(record.forceDelete, undefined);
  });
});
