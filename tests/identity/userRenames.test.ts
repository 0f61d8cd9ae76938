// Issue 18, finding 8: renaming a user (users[].renamedFrom) must go through in one `pulumi up`.
// The Keycloak username cannot change in place: the provider's `username` is ForceNew, and Keycloak
// refuses a new username unless the realm lets users rename themselves (finding 9), so the user is
// made anew. Made before the old one is gone, the new one carries the same email and the same
// Google/GitHub link as the old one, which Keycloak refuses (email) or stores twice (link), after
// which logins through that link fail. keycloakUpdateModel.ts runs the engine's steps against
// Keycloak's checks, citing both.
import { renderStack } from "../harness/renderStack";
import type { RecordedResource } from "../harness/recordedResource";
import { asStackConfig, keycloakConfig, type RawConfig } from "../fixtures/configs";
import { runUpdate } from "./keycloakUpdateModel";
import { brokerLogin } from "./keycloakBrokerModel";

const USER = "keycloak:index/user:User";
const AIKO_GOOGLE = "101928374650192837465";

function config(users: RawConfig[], keycloakUsers: RawConfig): RawConfig {
  const base = keycloakConfig();
  return { ...base, users, keycloak: { ...(base.keycloak as RawConfig), users: keycloakUsers } };
}

async function declared(raw: RawConfig): Promise<RecordedResource[]> {
  return (await renderStack(asStackConfig(raw))).resources;
}

const ada = { name: "ada", email: "ada@example.test", admin: true, groups: ["lab"] };

describe.each<[string, { email?: string }]>([
  ["with an email and a Google link", { email: "aiko@example.test" }],
  ["with a Google link and no email", {}],
])("aiko.tanaka becomes aiko, %s", (_, email) => {
  let before: RecordedResource[];
  let after: RecordedResource[];
  beforeAll(async () => {
    before = await declared(config([ada, { name: "aiko.tanaka", ...email }], { "aiko.tanaka": { identities: { google: { userId: AIKO_GOOGLE } } } }));
    after = await declared(config([ada, { name: "aiko", ...email, renamedFrom: ["aiko.tanaka"] }], { aiko: { identities: { google: { userId: AIKO_GOOGLE } } } }));
  });

  it("is the same Keycloak user resource under its new name, replaced old-first", () => {
    const aiko = after.find((r) => r.type === USER && r.inputs.username === "aiko")!;
    expect(aiko.name).toBe("jupyterhub-user-aiko");
    expect(aiko.aliases).toEqual([`${USER}::jupyterhub-user-aiko.tanaka`]);
    expect(aiko.deleteBeforeReplace).toBe(true);
  });

  it("goes through in one `pulumi up`, never with two users holding the email or the link", () => {
    const run = runUpdate(before, after);
    expect(run.refused).toBeUndefined();
    expect(run.ambiguousLinks).toEqual([]);
    expect(run.steps).toEqual([
      { op: "delete", resource: `${USER}::jupyterhub-user-aiko.tanaka` },
      { op: "create", resource: `${USER}::jupyterhub-user-aiko` },
    ]);
    expect(run.realm.users.map((u) => u.username).sort()).toEqual(["ada", "aiko"]);
  });

  it("logs her Google account in as aiko afterwards", () => {
    const run = runUpdate(before, after);
    const preExisting = run.realm.users.map((u) => ({ username: u.username, email: u.email, federatedIdentities: u.links }));
    // The realm as it is after the update, with the stack's flow and providers.
    const realmOnly = after.filter((r) => r.type !== USER);
    expect(brokerLogin(realmOnly, { idp: "google", id: AIKO_GOOGLE, username: "aiko@example.test" }, preExisting)).toEqual({
      outcome: "login",
      user: "aiko",
      via: "linked identity",
    });
  });

  it("would not have without the old-first replace (the model's control)", () => {
    const createFirst = after.map((r) => (r.type === USER ? { ...r, deleteBeforeReplace: undefined } : r));
    const run = runUpdate(before, createFirst);
    if (email.email) expect(run.refused).toBe("User exists with same email");
    else expect(run.ambiguousLinks).toEqual([`google:${AIKO_GOOGLE}`]);
  });
});

it("replaces nobody who is not renamed, and an unchanged user is left alone", async () => {
  const before = await declared(config([ada, { name: "grace" }], {}));
  const after = await declared(config([ada, { name: "grace" }, { name: "lin" }], {}));
  expect(runUpdate(before, after).steps).toEqual([{ op: "create", resource: `${USER}::jupyterhub-user-lin` }]);
  expect(after.filter((r) => r.type === USER).every((r) => r.deleteBeforeReplace === true && r.aliases === undefined)).toBe(true);
});
