// The offboarding checks can fail: the second release runs the hub side as it was before issue 18's
// fixes (no session module, the service on the hub's connect URL, no exact admin role), and every
// finding's check fails on what the real hub then did, while release 1 is the same as in
// offboarding.test.ts. The service's status says, loudly, that its rounds fail.
import type { HubRun } from "./realHub";
import { offboardingChecks, offboardingRun } from "./offboardingChecks";

/** Release 2's hub Python as before the fixes, changed in the rendered values as a regression would. */
function beforeTheFixes(values: Record<string, any>): void {
  const hub = values.hub;
  expect(hub.extraConfig["81-hub-sessions"]).toBeDefined();
  delete hub.extraConfig["81-hub-sessions"];
  const lifecycle = hub.extraFiles["python-user-lifecycle"];
  const loopbackOnly = "if given and urllib.parse.urlsplit(given).hostname in LOOPBACK_HOSTS:";
  const exactAdmins = "    admin_role_services(c)\n";
  expect(lifecycle.stringData).toContain(loopbackOnly);
  expect(lifecycle.stringData).toContain(exactAdmins);
  // JupyterHub's JUPYTERHUB_API_URL as it is (http://hub:8081/hub/api), and the admin role as JupyterHub keeps it.
  lifecycle.stringData = lifecycle.stringData.replace(loopbackOnly, "if given:").replace(exactAdmins, "");
}

describe("offboarding controls: the real hub with release 2 as before the fixes", () => {
  let run: HubRun;
  beforeAll(async () => {
    run = await offboardingRun({ mutateSecond: beforeTheFixes });
  }, 300_000);

  it("runs release 1 as the fixed run does", () => {
    offboardingChecks["release 1: everyone logs in, bob makes a token, and the service is a hub admin as before"](run);
  });

  it.each(Object.keys(offboardingChecks).filter((name) => name.startsWith("finding") && !name.includes("keep their access")))("fails: %s", (name) => {
    expect(() => offboardingChecks[name](run)).toThrow();
  });

  it("keeps sessions of people who still have access either way", () => {
    offboardingChecks["finding 2: people who keep their access keep their sessions through the restart"](run);
  });

  it("says, where the operator looks, that the service's rounds fail", () => {
    const { status } = run.result.after;
    expect(status.exitCode).toBe(1);
    expect(status.stdout).toMatch(/^last round: FAILED at .*Network is unreachable/m);
    expect(status.stdout).toMatch(/failed round\(s\) in a row since/);
    expect(run.result.hubLogErrors.join("\n")).toMatch(/ERROR .* user-lifecycle\] Reconciling the hub's users failed \(\d+ round\(s\) in a row since .*Offboarding and renames are not happening/);
  });
});
