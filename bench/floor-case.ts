/**
 * The SDK floor of one recorded program run, in its own process like bench/case.ts: the same
 * mock runtime and mock state, then every recorded registration made again with the SDK's base
 * classes (bench/registrations.ts), timed until registrations settle. Prints one JSON object.
 *
 *   node -r ts-node/register/transpile-only bench/floor-case.ts '{"file":"F.json","project":"registry-hub"}'
 *
 * It loads nothing but @pulumi/pulumi and these few bench modules: no config checks, no
 * provider SDKs.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import { mockState } from "./mock-state";
import { registrationsSettled } from "../testing/settle";
import { RecordedRegistration, replay } from "./registrations";

export interface FloorCaseArgs {
  /** A recording written by bench/case.ts with `recordTo`. */
  file: string;
  /** The project name the program's mocks ran with. */
  project: string;
}

export interface FloorCaseResult {
  registered: number;
  /** The synchronous part: every constructor. */
  constructMs: number;
  /** From the first constructor to the last registration the mock saw. */
  settledMs: number;
  /** CPU time (user + system) from the first constructor until settled. */
  cpuMs: number;
  peakRssMiB: number;
  /** RSS once the modules are loaded, before the recording is read. */
  rssAfterImportsMiB: number;
}

export async function runFloorCase(args: FloorCaseArgs): Promise<FloorCaseResult> {
  const rssAfterImportsMiB = Math.round(process.memoryUsage().rss / 1024 / 1024);
  const recorded = JSON.parse(readFileSync(args.file, "utf8")) as RecordedRegistration[];
  let registered = 0;
  let lastRegistrationAt = 0;
  await pulumi.runtime.setMocks(
    {
      newResource(mockArgs) {
        registered++;
        lastRegistrationAt = performance.now();
        return { id: `${mockArgs.name}-id`, state: mockState(mockArgs) };
      },
      call() {
        return {};
      },
    },
    args.project,
    "bench",
    false,
  );

  const start = performance.now();
  const cpu = process.cpuUsage();
  replay(recorded);
  const constructMs = performance.now() - start;
  await registrationsSettled(() => registered);
  const usage = process.cpuUsage(cpu);
  if (registered !== recorded.length)
    throw new Error(`registered ${registered} of ${recorded.length} recorded resources`);
  return {
    registered,
    constructMs: Math.round(constructMs),
    settledMs: Math.round(lastRegistrationAt - start),
    cpuMs: Math.round((usage.user + usage.system) / 1000),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    rssAfterImportsMiB,
  };
}

if (require.main === module) {
  const args = JSON.parse(process.argv[2] ?? "") as FloorCaseArgs;
  runFloorCase(args).then(
    (result) => process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(
        `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
