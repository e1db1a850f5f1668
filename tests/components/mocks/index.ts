/**
 * Old home of testing/mock-runtime.ts, kept only for tests/policy-pack/program.test.ts (which
 * imports "../components/mocks"); delete once that file imports ../../testing/mock-runtime.
 */
export * from "../../../testing/mock-runtime";
