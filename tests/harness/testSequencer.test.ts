// The order jest runs the test files in (testSequencer.cjs), through the real jest sequencer it
// extends: jest's own times and failures from its cache once it has them, and before that (a fresh
// clone's first run) the committed first-run seconds, the unlisted files last, larger first.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import SlowestFirst from "./testSequencer.cjs";
import { PROJECT_ROOT } from "./stackConfig";

const config = require("../../jest.config.js") as { testSequencer: string };

let cacheDirectory: string;
beforeEach(() => {
  cacheDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "sequencer-"));
});
afterEach(() => fs.rmSync(cacheDirectory, { recursive: true, force: true }));

/** jest's Test objects for these project files, in one context whose cache is cacheDirectory. */
function testsFor(files: Record<string, number>) {
  const context = {
    config: { id: "sequencer-test", cache: true, cacheDirectory, haste: {}, rootDir: PROJECT_ROOT },
    hasteFS: { getSize: (file: string) => files[path.relative(PROJECT_ROOT, file)] },
  };
  return Object.keys(files).map((file) => ({ path: path.join(PROJECT_ROOT, file), context, duration: undefined as number | undefined }));
}

const order = (tests: ReturnType<typeof testsFor>) => new SlowestFirst().sort(tests as never).map((test: { path: string }) => path.relative(PROJECT_ROOT, test.path));

it("is the sequencer jest.config.js names", () => {
  expect(path.resolve(config.testSequencer.replace("<rootDir>", PROJECT_ROOT))).toBe(path.join(__dirname, "testSequencer.cjs"));
});

it("runs a fresh clone's slow files first, slowest first, then the rest largest first", () => {
  const files = { "tests/settings/quantities.test.ts": 9000, "tests/realhub/realHub.4.2.0.test.ts": 300, "tests/ssh/pipeCrd.test.ts": 12000, "tests/toolchain/pulumiRuntime.test.ts": 5000, "tests/realhub/controls.test.ts": 2000 };
  expect(order(testsFor(files))).toEqual([
    "tests/toolchain/pulumiRuntime.test.ts",
    "tests/realhub/realHub.4.2.0.test.ts",
    "tests/realhub/controls.test.ts",
    "tests/ssh/pipeCrd.test.ts",
    "tests/settings/quantities.test.ts",
  ]);
});

it("goes by jest's own times once it has them, and runs what failed last time first", () => {
  const files = { "tests/settings/quantities.test.ts": 9000, "tests/realhub/realHub.4.2.0.test.ts": 300, "tests/ssh/pipeCrd.test.ts": 12000, "tests/toolchain/pulumiRuntime.test.ts": 5000 };
  const tests = testsFor(files);
  // What jest keeps after a run (its sequencer's cacheResults): [failed ? 0 : 1, milliseconds].
  new SlowestFirst().cacheResults(tests as never, {
    testResults: [
      { testFilePath: tests[0].path, numFailingTests: 0, perfStats: { runtime: 40000 } },
      { testFilePath: tests[1].path, numFailingTests: 0, perfStats: { runtime: 1000 } },
      { testFilePath: tests[2].path, numFailingTests: 1, perfStats: { runtime: 200 } },
    ],
  } as never);
  const ordered = testsFor(files);
  expect(order(ordered)).toEqual([
    "tests/ssh/pipeCrd.test.ts", // failed last time
    "tests/settings/quantities.test.ts", // 40 s in jest's cache
    "tests/toolchain/pulumiRuntime.test.ts", // not in the cache: its first-run seconds
    "tests/realhub/realHub.4.2.0.test.ts", // 1 s in jest's cache, under its first-run seconds
  ]);
  // jest's scheduler reads the cached time from each test, as after jest's own sequencer.
  expect(ordered.map((test) => test.duration)).toEqual([200, 40000, undefined, 1000]);
});

it("lists only test files that exist, slowest first", () => {
  const { FIRST_RUN_SECONDS } = SlowestFirst;
  for (const file of Object.keys(FIRST_RUN_SECONDS)) expect(fs.existsSync(path.join(PROJECT_ROOT, file)) && file).toBe(file);
  const seconds = Object.values(FIRST_RUN_SECONDS);
  expect(seconds).toEqual([...seconds].sort((a, b) => b - a));
});
