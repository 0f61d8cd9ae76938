// Offboarding ends sessions (issue 18, findings 2, 3 and 4): the run and its checks, shared by
// offboarding.test.ts and offboardingControls.test.ts. The real JupyterHub 5.5
// of chart 4.4.0 across a `pulumi up`: the dev stack with bob and carol as users, then the same
// stack with bob removed and carol's name handed to someone new (formerUsers, inherit: true), the
// hub restarted with the new release's files and its database kept (realHub.ts upgrades). The hub
// pod cannot reach its own Service (hairpinDropped), as on a CNI that drops hairpin traffic.
// The first release runs the lifecycle service as an earlier version did: a hub admin.
import { readStackConfig, type StackConfig } from "../harness/stackConfig";
import { runRealHub, type HubRun } from "./realHub";

export const STACK = "dev";
export const CHART = "4.4.0";
const SERVICE = "user-lifecycle";

/** The two configs: everyone a user, then bob gone, carol handed over, and dan dropped without a trace (what the adoption guard refuses in a real `pulumi up`, and a hub account nobody listed is like). */
export function offboardingConfigs(base: StackConfig): { first: StackConfig; second: StackConfig } {
  const users = base["jupyterhub:users"] as { name: string; admin?: boolean }[];
  return {
    first: { ...base, "jupyterhub:users": [...users, { name: "bob" }, { name: "carol" }, { name: "dan" }] },
    second: {
      ...base,
      "jupyterhub:users": [...users, { name: "carol", inherit: true }],
      "jupyterhub:formerUsers": [
        { name: "bob", note: "left" },
        { name: "carol", note: "left; the name goes to the new carol" },
      ],
    },
  };
}

/** The lifecycle service as an earlier version declared it: a hub admin, with no role of its own. */
export function asEarlierVersion(values: Record<string, any>): void {
  values.hub.services[SERVICE].admin = true;
  if (values.hub.loadRoles) delete values.hub.loadRoles[SERVICE];
}

export const people = [
  { name: "dev", password: "dev-first-login-password" },
  { name: "alice", password: "alice-first-login-password" },
  { name: "bob", password: "bob-first-login-password" },
  { name: "carol", password: "old-carol-first-login-password" },
  { name: "dan", password: "dan-first-login-password" },
];

export async function offboardingRun(options: { mutateSecond?: (values: Record<string, any>) => void } = {}): Promise<HubRun> {
  const { first, second } = offboardingConfigs(readStackConfig(STACK));
  return runRealHub(
    STACK,
    CHART,
    { module: "offboarding", people, admin: "dev", before: ["dev", "alice", "bob", "carol", "dan"], stillWelcome: ["dev", "alice"], newCarolPassword: "new-carol-own-password" },
    { config: first, mutateValues: asEarlierVersion, upgrades: [{ config: second, mutateValues: options.mutateSecond }], hairpinDropped: true },
  );
}

/** The hub's answer to a browser that must log in again: a redirect to the login page. */
const sentToLogin = { status: 302, location: expect.stringContaining("/hub/login") };

/** What the run must show, by finding; each throws (jest's expect) on what the real hub did otherwise. */
export const offboardingChecks: Record<string, (run: HubRun) => void> = {
  "release 1: everyone logs in, bob makes a token, and the service is a hub admin as before": ({ result }) => {
    for (const name of ["dev", "alice", "bob", "carol", "dan"]) expect({ name, ...result.before[name].whoAmI }).toEqual({ name, status: 200 });
    expect(result.before.bobToken).toBe(201);
    expect(result.before.service).toMatchObject({ admin: true, roles: expect.arrayContaining(["admin"]) });
  },
  "finding 3: the lifecycle service reaches the hub over loopback and offboards bob although the hub's Service is out of reach": ({ result }) => {
    expect(result.after.offboardedWithinSeconds).not.toBeNull();
    expect(result.after.status).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^last round: ok/m) });
  },
  "finding 2: bob's old cookie and token end with his access": ({ result }) => {
    const { oldBrowser, oldToken, logsInAgain, servers } = result.after.bob;
    expect(oldBrowser.home).toEqual(sentToLogin);
    expect(oldBrowser.whoAmI.status).toBe(403);
    expect(oldBrowser.spawnPost).toBeUndefined();
    expect(oldBrowser.newToken).toBe(403);
    expect(servers).toEqual([]);
    expect(oldToken.status).toBe(403);
    expect(logsInAgain).toBe(false);
  },
  "finding 2: carol's name goes to the new holder, and the old holder's browser and password get nothing": ({ result }) => {
    expect(result.after.newCarol.whoAmI).toEqual({ status: 200, name: "carol" });
    expect(result.after.oldCarol.oldBrowser.home).toEqual(sentToLogin);
    expect(result.after.oldCarol.oldBrowser.whoAmI.status).toBe(403);
    expect(result.after.oldCarol.oldPassword).toBe(false);
  },
  "finding 2: a name in neither list loses its session at the hub's refresh (Authenticator.refresh_user)": ({ result }) => {
    expect(result.after.dan.oldBrowser.home).toEqual(sentToLogin);
    expect(result.after.dan.oldBrowser.whoAmI.status).toBe(403);
  },
  "finding 2: people who keep their access keep their sessions through the restart": ({ result }) => {
    for (const name of ["dev", "alice"]) expect({ name, ...result.after.stillWelcome[name] }).toEqual({ name, status: 200, location: "" });
  },
  "finding 4: after the upgrade the service holds its own role only, not admin": ({ result }) => {
    const { admin, roles, scopes } = result.after.service;
    expect({ admin, roles }).toEqual({ admin: false, roles: [SERVICE] });
    for (const scope of ["admin-ui", "admin:servers", "servers", "access:servers", "proxy", "shutdown", "admin:groups", "read:hub"]) expect(scopes).not.toContain(scope);
    expect(scopes).toEqual(expect.arrayContaining(["admin:users", "delete:servers", "read:servers", "tokens", "groups"]));
  },
};
