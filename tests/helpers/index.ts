/**
 * Old home of testing/stacks.ts, kept only for tests/policy-pack/program.test.ts (which imports
 * "../helpers"); delete once that file imports ../../testing/stacks.
 */
export * from "../../testing/stacks";
