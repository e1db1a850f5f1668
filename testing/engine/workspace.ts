/**
 * The real Pulumi engine for tests: a throwaway project folder with its own PULUMI_HOME (the
 * stand-in plugins installed by `pulumi plugin install --file`), a local file:// backend and the
 * passphrase secrets provider. No network: automatic plugin acquisition is off, so a plugin the
 * program needs and nobody installed is an error, not a download.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sdkRecordFor } from "./standin-provider";

export const ROOT = path.resolve(__dirname, "..", "..");
export const TOOLS_BIN = path.join(ROOT, ".tools", "bin");
export const PULUMI = path.join(TOOLS_BIN, "pulumi");
const PACK_DIR = path.join(ROOT, "policy-pack");
/** The packages whose plugins are stand-ins here. */
export const STANDIN_PACKAGES = ["aws", "eks", "kubernetes", "random"] as const;
export type StandinPackage = (typeof STANDIN_PACKAGES)[number];

/** The real Kubernetes provider plugin, built by `.ci/install-tools pulumi-kubernetes`. */
export const REAL_KUBERNETES_PLUGIN = path.join(TOOLS_BIN, "pulumi-resource-kubernetes");

export interface WorkspaceOptions {
  /** Packages whose real plugin binary to install instead of the stand-in, by package. */
  readonly realPlugins?: Partial<Record<StandinPackage, string>>;
}

export interface StandinCall {
  op: "check" | "diff" | "create" | "read" | "update" | "delete" | "invoke" | "construct";
  pkg: string;
  type?: string;
  name?: string;
  token?: string;
  id?: string;
  undeclared?: string[];
  changed?: string[];
  providers?: string[];
}

export interface DeploymentResource {
  urn: string;
  type: string;
  custom?: boolean;
  protect?: boolean;
  retainOnDelete?: boolean;
  provider?: string;
  parent?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface EngineResult {
  ok: boolean;
  message?: string;
  summary?: Record<string, number>;
  outputs?: Record<string, unknown>;
  stdout?: string;
  stderr?: string;
  deployment?: { resources?: DeploymentResource[] };
}

export interface RunOptions {
  /** The program's entry file; the project's index.ts by default. */
  readonly program?: string;
  /** Policy packs to run, by folder. */
  readonly policyPacks?: readonly string[];
  /** How long the operation may take before it is killed; 150 s by default. */
  readonly timeoutMs?: number;
  /** More environment for the program's process. */
  readonly env?: NodeJS.ProcessEnv;
  /** Called with the operation's process id once it is started (the benchmark samples its tree). */
  readonly onSpawn?: (pid: number) => void;
}

const ENGINE_TIMEOUT_MS = 150_000;

export function pulumiAvailable(): boolean {
  return fs.existsSync(PULUMI);
}

/**
 * The policy pack as the CLI starts it here. Given a pack folder, the CLI runs it through the
 * Node.js language host's RunPlugin, and that host cannot be built here; given an executable file,
 * it runs the file with the engine's address, reading PulumiPolicy.yaml beside it. So a folder
 * with the pack's PulumiPolicy.yaml and a launcher that runs @pulumi/pulumi's own run-policy-pack
 * (what the language host runs) on policy-pack/, from the pack's node_modules or the project's.
 */
function policyPackLauncher(dir: string): string {
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(PACK_DIR, "PulumiPolicy.yaml"), path.join(dir, "PulumiPolicy.yaml"));
  const file = path.join(dir, "analyzer");
  const own = path.join(PACK_DIR, "node_modules", "@pulumi", "pulumi");
  const runner = path.join(
    fs.existsSync(own) ? own : path.join(ROOT, "node_modules", "@pulumi", "pulumi"),
    "cmd",
    "run-policy-pack",
  );
  fs.writeFileSync(file, `#!/bin/sh\ncd '${PACK_DIR}' && exec node '${runner}' "$1" .\n`, {
    mode: 0o755,
  });
  return file;
}

/** The launcher the engine starts as `pulumi-resource-<pkg>`: the stand-in, under ts-node. */
function launcher(dir: string, pkg: string): string {
  const file = path.join(dir, `pulumi-resource-${pkg}`);
  const register = path.join(ROOT, "node_modules", "ts-node", "register", "transpile-only");
  const entry = path.join(__dirname, "standin-provider.ts");
  fs.writeFileSync(
    file,
    `#!/bin/sh\nTS_NODE_PROJECT='${ROOT}/tsconfig.json' exec node -r '${register}' '${entry}' ${pkg} "$@"\n`,
    { mode: 0o755 },
  );
  return file;
}

export class EngineWorkspace {
  readonly dir: string;
  readonly home: string;
  readonly logFile: string;
  /** What to pass as a policy pack: the project's pack, through its launcher. */
  readonly policyPack: string;
  private readonly backend: string;

  private constructor(readonly stack: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `registry-hub-engine-${stack}-`));
    this.home = path.join(this.dir, ".pulumi-home");
    this.backend = path.join(this.dir, ".state");
    this.logFile = path.join(this.dir, "standin.log");
    fs.mkdirSync(this.home);
    fs.mkdirSync(this.backend);
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(this.dir, "Pulumi.yaml"));
    // The program names its chart by a path relative to the project, as a user's checkout has it.
    fs.symlinkSync(path.join(ROOT, "charts"), path.join(this.dir, "charts"));
    this.policyPack = policyPackLauncher(path.join(this.dir, ".policy-pack"));
  }

  /** A project folder for `stack`, with the stand-ins installed; the stack file is `stackFile`. */
  static create(stack: string, stackFile: string, options: WorkspaceOptions = {}): EngineWorkspace {
    const workspace = new EngineWorkspace(stack);
    workspace.writeStackFile(stackFile);
    workspace.installPlugins(options.realPlugins ?? {});
    return workspace;
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${TOOLS_BIN}${path.delimiter}${process.env.PATH ?? ""}`,
      PULUMI_HOME: this.home,
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: "registry-hub engine tests",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      // Only the plugins installed here: .tools/bin (on PATH) holds the real kubernetes plugin.
      PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
      STANDIN_LOG: this.logFile,
      TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json"),
    };
  }

  writeStackFile(text: string): void {
    const file = path.join(this.dir, `Pulumi.${this.stack}.yaml`);
    // The engine adds the passphrase's salt to the stack file: keep it across rewrites.
    const salt = fs.existsSync(file)
      ? fs.readFileSync(file, "utf8").match(/^encryptionsalt: .*$/m)?.[0]
      : undefined;
    fs.writeFileSync(file, salt ? `${salt}\n${text}` : text);
  }

  /**
   * `pulumi plugin install resource <pkg> <version> --file`, at the version the SDK asks for: the
   * stand-in, or the real binary given for the package.
   */
  private installPlugins(real: Partial<Record<StandinPackage, string>>): void {
    const launchers = path.join(this.dir, ".launchers");
    fs.mkdirSync(launchers);
    for (const pkg of STANDIN_PACKAGES) {
      const { version } = sdkRecordFor(pkg);
      const file = real[pkg] ?? launcher(launchers, pkg);
      execFileSync(PULUMI, ["plugin", "install", "resource", pkg, version, "--file", file], {
        env: this.env,
        stdio: "pipe",
      });
    }
  }

  /** One operation in a process of its own; resolves with the engine's result. */
  async run(op: "preview" | "up" | "export", options: RunOptions = {}): Promise<EngineResult> {
    const resultFile = path.join(this.dir, `result-${Date.now()}.json`);
    const args = [
      "-r",
      "ts-node/register/transpile-only",
      path.join(__dirname, "run-program.ts"),
      op,
      "--stack",
      this.stack,
    ];
    if (options.program) args.push("--program", options.program);
    for (const pack of options.policyPacks ?? []) args.push("--policy-pack", pack);
    const child = spawn(process.execPath, args, {
      cwd: this.dir,
      env: {
        ...this.env,
        ...options.env,
        ENGINE_RESULT: resultFile,
        NODE_PATH: path.join(ROOT, "node_modules"),
      },
      stdio: ["ignore", "pipe", "pipe"],
      // A process group of its own (the program and the CLI), so a timeout stops both.
      detached: true,
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const stop = () => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    };
    const timer = setTimeout(stop, options.timeoutMs ?? ENGINE_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearTimeout(timer);
    if (!fs.existsSync(resultFile)) {
      throw new Error(
        `engine run (${op} ${this.stack}) ended with ${code} and no result:\n${stderr}`,
      );
    }
    return JSON.parse(fs.readFileSync(resultFile, "utf8")) as EngineResult;
  }

  /** What the stand-ins were asked, in order, since the workspace was made (or last cleared). */
  calls(): StandinCall[] {
    if (!fs.existsSync(this.logFile)) return [];
    return fs
      .readFileSync(this.logFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as StandinCall);
  }

  clearCalls(): void {
    fs.rmSync(this.logFile, { force: true });
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
