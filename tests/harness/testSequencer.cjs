// The order jest runs the test files in: the slowest first, so that no long file starts last and
// leaves the other core idle at the end (jest's own rule). jest knows each file's time from its
// last run, in its cache. A fresh clone's first run has no cache, and jest then orders by file
// size: the real-hub files, short files that drive seconds of hub processes, ran last, and a
// fresh `npm test` ended with one core idle (111 s against 117 s here, the same run with and
// without jest's times). Until jest has its own, the files below take the seconds they took in a
// fresh run here (from jest's cache after one: `npm run bench:suite` makes one); a file not
// listed counts as fast, and among those the larger runs first. Only the order depends on these
// numbers, never what runs or passes.
const Sequencer = require("@jest/test-sequencer").default;
const path = require("path");

const PROJECT_ROOT = path.join(__dirname, "..", "..");

/** @type {Record<string, number>} Seconds each slow test file took in a fresh `npm test` here, slowest first. */
const FIRST_RUN_SECONDS = {
  "tests/toolchain/pulumiRuntime.test.ts": 17.2,
  "tests/network/flows.test.ts": 13.6,
  "tests/realhub/realHub.4.4.0.test.ts": 13.2,
  "tests/harness/testInputs.test.ts": 12.4,
  "tests/realhub/realHub.4.2.0.test.ts": 10.8,
  "tests/toolchain/doctor.test.ts": 9.4,
  "tests/lifecycle/serverShutdown.test.ts": 9.0,
  "tests/realhub/offboarding.test.ts": 7.7,
  "tests/stacks/committedStacks.test.ts": 6.7,
  "tests/realhub/controls.test.ts": 6.6,
  "tests/lifecycle/lifecycleStack.test.ts": 5.4,
  "tests/components/namespaceDependency.test.ts": 5.1,
  "tests/realhub/offboardingControls.test.ts": 4.7,
  "tests/toolchain/nodeVersion.test.ts": 4.7,
  "tests/images/publishImages.test.ts": 4.6,
  "tests/lifecycle/vaultSecretsMove.test.ts": 3.6,
  "tests/settings/deployTimeKeys.test.ts": 3.3,
  "tests/settings/configMistakes.test.ts": 3.1,
  "tests/policies/ci/workflows.test.ts": 2.8,
  "tests/ssh/serverSshd.test.ts": 2.7,
  "tests/identity/existingRealm.test.ts": 2.2,
  "tests/hub/extraConfig.test.ts": 2.2,
  "tests/render/renderCli.test.ts": 2.1,
  "tests/chart/realChart.test.ts": 1.9,
};

class SlowestFirst extends Sequencer {
  static FIRST_RUN_SECONDS = FIRST_RUN_SECONDS;

  /** @param {import("@jest/test-result").Test[]} tests */
  sort(tests) {
    /** @type {Map<string, number>} */
    const sizes = new Map();
    /** @param {import("@jest/test-result").Test} test */
    const size = (test) => {
      if (!sizes.has(test.path)) sizes.set(test.path, test.context.hasteFS.getSize(test.path) ?? 0);
      return /** @type {number} */ (sizes.get(test.path));
    };
    /** @param {import("@jest/test-result").Test} test jest's [0 if it failed else 1, milliseconds] of its last run */
    const lastRun = (test) => this._getCache(test)[test.path];
    /** @param {import("@jest/test-result").Test} test */
    const failed = (test) => Number(lastRun(test)?.[0] === 0);
    /** @param {import("@jest/test-result").Test} test */
    const milliseconds = (test) => lastRun(test)?.[1] ?? (FIRST_RUN_SECONDS[path.relative(PROJECT_ROOT, test.path)] ?? 0) * 1000;
    // As jest's own sequencer does: the time from its cache, which its scheduler reads too.
    for (const test of tests) test.duration = lastRun(test)?.[1];
    return tests.sort((a, b) => failed(b) - failed(a) || milliseconds(b) - milliseconds(a) || size(b) - size(a));
  }
}

module.exports = SlowestFirst;
