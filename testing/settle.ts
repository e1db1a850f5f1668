/** Loads nothing but the SDK, so that the benchmark's floor process stays minimal. */
/**
 * The engine's own "program finished" test: the SDK's queue of outstanding RPCs has drained.
 * Internal to the SDK, so it is looked up at run time rather than imported with types.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as {
  waitForRPCs: () => Promise<void>;
};

/**
 * Resolves once the program has stopped registering: the SDK's RPC queue has drained and no
 * apply has registered more since. Shared with the benchmarks, whose floor process counts registrations too.
 */
export async function registrationsSettled(count: () => number): Promise<void> {
  let seen = -1;
  while (count() !== seen) {
    seen = count();
    await waitForRPCs();
    // Lets applies still queued behind the drained RPCs run, and register, before counting again.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
