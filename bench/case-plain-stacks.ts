/**
 * bench/case.ts with V8's own stack-trace formatting: drops the `Error.prepareStackTrace` hook
 * that source-map-support installs (ts-node installs it, and so does `pulumi` itself for every
 * Node.js program). Used once, to measure what that hook costs the program under the mock
 * runtime; not how the program runs for real.
 */
import { CaseArgs, runCase } from "./case";

(Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;

const args = JSON.parse(process.argv[2] ?? "") as CaseArgs;
runCase(args).then(
  (result) => {
    delete result.inputsByUrn;
    process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(0));
  },
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
