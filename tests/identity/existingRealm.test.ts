// Issue 18, finding 9: the hub keys homes, Vault secrets and SSH on the Keycloak username. In an
// existing realm that lets users change their own username, a user could take the name of a
// former user (whose Keycloak account the stack deleted) or a renamed one's earlier name, and log
// in to that hub account, with its home. `pulumi up` reads the realm's settings through the Keycloak
// provider (getRealm) and refuses such a realm before anything in it changes.
import type { MockCallArgs } from "@pulumi/pulumi/runtime";
import { selfRenameProblems } from "../../components/identity/existingRealmCheck";
import { INVOKE_FIXTURES, type InvokeFixture } from "../../offline/invokeFixtures";
import { renderStack } from "../harness/renderStack";
import { upRuns, type UpRun } from "./upRun";
import { asStackConfig, keycloakConfig, type RawConfig } from "../fixtures/configs";

const GET_REALM = "keycloak:index/getRealm:getRealm";

/** The fixture Keycloak's realm, with some settings changed, while `run` runs. */
async function withRealmSettings<T>(settings: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
  const table = INVOKE_FIXTURES as Record<string, InvokeFixture>;
  const original = table[GET_REALM];
  table[GET_REALM] = (args: MockCallArgs) => ({ ...original(args), ...settings });
  try {
    return await run();
  } finally {
    table[GET_REALM] = original;
  }
}

function config(keycloak: RawConfig = {}): RawConfig {
  const base = keycloakConfig();
  return { ...base, keycloak: { ...(base.keycloak as RawConfig), identityProviders: {}, ...keycloak } };
}

describe("what lets a realm's users rename themselves", () => {
  it("is nothing in a realm with Keycloak's defaults", () => {
    expect(selfRenameProblems({ editUsernameAllowed: false, registrationEmailAsUsername: false })).toEqual([]);
  });

  it("is 'Edit username', and 'Email as username' (a changed email changes the username)", () => {
    expect(selfRenameProblems({ editUsernameAllowed: true, registrationEmailAsUsername: false })).toEqual([
      expect.stringMatching(/^lets users change their own username \(Realm settings, Login: Edit username\)/),
    ]);
    expect(selfRenameProblems({ editUsernameAllowed: false, registrationEmailAsUsername: true })).toEqual([
      expect.stringMatching(/^uses the email as username \(Realm settings, Login: Email as username\)/),
    ]);
  });
});

describe("pulumi up into an existing realm", () => {
  const turnedOn = [
    ["Edit username", { editUsernameAllowed: true }, /Edit username/],
    ["Email as username", { registrationEmailAsUsername: true }, /Email as username/],
  ] as const;
  // Every run of the describe in one process (upRuns), the control last.
  let runs: UpRun[];
  beforeAll(() => {
    runs = upRuns([...turnedOn.map(([, settings]) => ({ config: asStackConfig(config()), answers: { [GET_REALM]: settings } })), { config: asStackConfig(config()) }]);
  });

  it.each(turnedOn.map(([name, , what], index) => [name, what, index] as const))("fails with %s on, naming the key and what to do, and declares nothing in the realm", (_, what, index) => {
    const { errors, registered } = runs[index];
    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(error.runError).toBe(true);
    expect(error.message).toMatch(/^invalid stack config \(1 problem\):\n {2}jupyterhub:keycloak\.realm: /);
    expect(error.message).toMatch(what);
    expect(error.message).toMatch(/turn it off in the realm, or let the stack create a realm of its own \(createRealm: true\)$/);
    expect(registered.filter((r) => r.startsWith("keycloak:") && !r.startsWith("keycloak:index/getRealm"))).toEqual([]);
    // Nor the hub, whose client secret comes from the realm.
    expect(registered.filter((r) => r.startsWith("kubernetes:helm.sh/v3:Release"))).toEqual([]);
  });

  it("runs clean in the same process with Keycloak's defaults (the control)", () => {
    const { errors, registered } = runs[turnedOn.length];
    expect(errors).toEqual([]);
    expect(registered.filter((r) => r.startsWith("keycloak:index/user:User"))).toHaveLength(2);
  });

  it("goes ahead in a realm with Keycloak's defaults, having read it once", async () => {
    const { invokes, resources } = await renderStack(asStackConfig(config()));
    expect(invokes.filter((i) => i.token === GET_REALM)).toEqual([{ token: GET_REALM, args: { realm: "lab" } }]);
    expect(resources.filter((r) => r.type === "keycloak:index/user:User").map((r) => r.inputs.realmId)).toEqual(["lab", "lab"]);
  });

  it("reads nothing in a preview, which makes no Keycloak call (the provider logs in lazily)", async () => {
    const { invokes } = await withRealmSettings({ editUsernameAllowed: true }, () => renderStack(asStackConfig(config()), "test", undefined, { preview: true }));
    expect(invokes.filter((i) => i.token === GET_REALM)).toEqual([]);
  });

  it("reads nothing for a realm the stack creates: it sets Edit username off itself", async () => {
    const { invokes } = await renderStack(asStackConfig(config({ createRealm: true })));
    expect(invokes.filter((i) => i.token === GET_REALM)).toEqual([]);
  });
});
