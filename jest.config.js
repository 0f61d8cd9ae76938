// Tests are transpiled by swc (no type-check per file); `npm test` runs tsc --noEmit once first.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>"],
  testPathIgnorePatterns: ["/node_modules/", "/rendered/"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
  },
  // V8's compiled code of each module, kept between test files and runs (jestCodeCache.cjs).
  runtime: "<rootDir>/tests/harness/jestCodeCache.cjs",
  // The SDK's TypeScript compiler, loaded only by the files that serialize a function (lazyTypeScript.cjs).
  moduleNameMapper: { "^\\.\\./\\.\\./typescript-shim$": "<rootDir>/tests/harness/lazyTypeScript.cjs" },
  testTimeout: 60000,
  // Three workers on two cores: the real-hub and provider tests wait on subprocesses much of the
  // time, and once the Python tests (run beside jest) end, two workers left a core idle while they
  // waited. Measured in turns with two: the machine's idle CPU fell from 3-4 to 0-1 CPU-s in a
  // cached npm test and from 9-10 to 5-7 in a fresh one, with no more CPU spent.
  maxWorkers: 3,
  // Fetches the real chart and the hub's Python once per run when no offline copy is at hand.
  globalSetup: "<rootDir>/tests/harness/globalSetup.ts",
};
