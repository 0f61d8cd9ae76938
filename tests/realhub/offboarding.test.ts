// Offboarding ends sessions (issue 18, findings 2, 3 and 4), proven with the real JupyterHub 5.5
// across a `pulumi up` (offboardingChecks.ts says how); offboardingControls.test.ts shows that each
// check fails on the code before the fix.
import type { HubRun } from "./realHub";
import { CHART, offboardingChecks, offboardingRun, STACK } from "./offboardingChecks";

describe(`offboarding ends sessions: the real hub of ${STACK} on chart ${CHART} across an upgrade`, () => {
  let run: HubRun;
  beforeAll(async () => {
    run = await offboardingRun();
  }, 300_000);

  it.each(Object.keys(offboardingChecks))("%s", (name) => offboardingChecks[name](run));
});
