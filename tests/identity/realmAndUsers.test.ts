// What the stack owns in Keycloak (issue 12): users it creates with their links, users an existing
// realm already has (never created, changed or deleted), and a realm `pulumi destroy` keeps.
import { federatedIdentities, managedUsers, realmArgs, realmResourceOptions } from "../../components/identity/keycloakInputs";
import { parseSettings } from "../../settings";
import { renderStack } from "../harness/renderStack";
import type { RecordedResource } from "../harness/recordedResource";
import { asStackConfig, keycloakConfig, type RawConfig } from "../fixtures/configs";

const of = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const GITHUB = { github: { clientId: "gh-client", clientSecret: { env: "GITHUB_CLIENT_SECRET" } } };

function config(keycloak: RawConfig = {}, users?: RawConfig[]): RawConfig {
  const base = keycloakConfig();
  const identityProviders = { ...((base.keycloak as RawConfig).identityProviders as RawConfig), ...GITHUB };
  return { ...base, ...(users ? { users } : {}), keycloak: { ...(base.keycloak as RawConfig), identityProviders, ...keycloak } };
}

describe("pure inputs", () => {
  const settings = parseSettings(
    config({
      users: {
        ada: { identities: { github: { userId: "583231", username: "ada-l" }, google: { userId: "104500000000000000001" } } },
        grace: { identities: { github: { userId: "1024" } } },
      },
    }),
  );
  const keycloak = settings.keycloak!;

  it("links each user's accounts by provider alias and immutable id; the stored name is only a label", () => {
    expect(federatedIdentities(settings.users[0], keycloak)).toEqual([
      { identityProvider: "google", userId: "104500000000000000001", userName: "ada@example.test" },
      { identityProvider: "github", userId: "583231", userName: "ada-l" },
    ]);
    expect(federatedIdentities(settings.users[1], keycloak)).toEqual([{ identityProvider: "github", userId: "1024", userName: "grace@example.test" }]);
    expect(federatedIdentities({ ...settings.users[1], email: undefined }, keycloak)).toEqual([
      { identityProvider: "github", userId: "1024", userName: "1024" },
    ]);
  });

  it("creates users without an email as well: nothing is matched on it", () => {
    const noEmail = parseSettings(config({}, [{ name: "ada", admin: true }])).keycloak!;
    expect(managedUsers([{ name: "ada", admin: true, groups: [] }] as never, noEmail)).toEqual([
      { name: "ada", earlierNames: [], args: { username: "ada", enabled: true, federatedIdentities: [] } },
    ]);
  });

  it("keeps usernames as the realm knows them, not editable by their owners", () => {
    expect(realmArgs(keycloak)).toMatchObject({ editUsernameAllowed: false, registrationAllowed: false, duplicateEmailsAllowed: false });
  });

  it("keeps a created realm on destroy unless the config lets it go", () => {
    expect(realmResourceOptions(keycloak)).toEqual({ retainOnDelete: true });
    expect(realmResourceOptions({ ...keycloak, createRealm: true, deleteRealmOnDestroy: true })).toEqual({ retainOnDelete: false });
  });
});

describe("users linked up front", () => {
  let resources: RecordedResource[];
  beforeAll(async () => {
    ({ resources } = await renderStack(
      asStackConfig(config({ users: { ada: { identities: { github: { userId: "583231", username: "ada-l" }, google: { userId: "104500000000000000001" } } } } })),
    ));
  });

  it("declares the links on the user, after both identity providers exist", () => {
    const ada = of(resources, "keycloak:index/user:User").find((u) => u.inputs.username === "ada")!;
    expect(ada.inputs.federatedIdentities).toEqual([
      { identityProvider: "google", userId: "104500000000000000001", userName: "ada@example.test" },
      { identityProvider: "github", userId: "583231", userName: "ada-l" },
    ]);
    expect(ada.dependsOn).toEqual(
      expect.arrayContaining([
        "keycloak:oidc/githubIdentityProvider:GithubIdentityProvider::jupyterhub-github",
        "keycloak:oidc/googleIdentityProvider:GoogleIdentityProvider::jupyterhub-google",
      ]),
    );
    const [github] = of(resources, "keycloak:oidc/githubIdentityProvider:GithubIdentityProvider");
    expect(github.inputs).toMatchObject({ alias: "github", trustEmail: false, syncMode: "IMPORT", firstBrokerLoginFlowAlias: "jupyterhub-linked-accounts-only" });
  });
});

describe("an existing realm with users of its own (createRealm: false)", () => {
  let resources: RecordedResource[];
  beforeAll(async () => {
    ({ resources } = await renderStack(
      asStackConfig(
        config({ createRealm: false, users: { ada: { existing: true } } }, [
          { name: "ada", email: "ada@corp.test", admin: true, groups: ["lab"] },
          { name: "grace", email: "grace@example.test" },
        ]),
      ),
    ));
  });

  it("declares neither the realm nor a user the realm already has, so nothing collides with it", () => {
    expect(of(resources, "keycloak:index/realm:Realm")).toEqual([]);
    const users = of(resources, "keycloak:index/user:User");
    expect(users.map((u) => u.inputs.username)).toEqual(["grace"]);
    expect(users.some((u) => u.inputs.import === true)).toBe(false);
  });

  it("still puts the existing user in the stack's groups by username", () => {
    const memberships = Object.fromEntries(
      of(resources, "keycloak:index/groupMemberships:GroupMemberships").map((m) => [m.inputs.groupId, m.inputs.members]),
    );
    expect(memberships).toEqual({
      "jupyterhub-group-jupyterhub-id": ["ada", "grace"],
      "jupyterhub-group-jupyterhub-admins-id": ["ada"],
      "jupyterhub-group-lab-id": ["ada"],
    });
    for (const m of of(resources, "keycloak:index/groupMemberships:GroupMemberships")) {
      expect(m.dependsOn).toContain("keycloak:index/user:User::jupyterhub-user-grace");
    }
  });

  it("retains nothing it did not make: every Keycloak resource is the stack's own, deleted by destroy", () => {
    const keycloakResources = resources.filter((r) => r.type.startsWith("keycloak:") && r.custom);
    expect(keycloakResources.filter((r) => r.retainOnDelete)).toEqual([]);
  });
});

describe("a realm the stack creates", () => {
  it("is kept by `pulumi destroy` by default", async () => {
    const { resources } = await renderStack(asStackConfig(config({ createRealm: true })));
    const [realm] = of(resources, "keycloak:index/realm:Realm");
    expect(realm.retainOnDelete).toBe(true);
    expect(realm.protect).toBe(false);
    // Only the realm: what the stack made inside it is deleted, as documented.
    expect(resources.filter((r) => r.type.startsWith("keycloak:") && r.retainOnDelete).map((r) => `${r.type}::${r.name}`)).toEqual([
      "keycloak:index/realm:Realm::jupyterhub-realm",
    ]);
  });

  it("is deleted with everything in it when deleteRealmOnDestroy says so", async () => {
    const { resources } = await renderStack(asStackConfig(config({ createRealm: true, deleteRealmOnDestroy: true })));
    expect(of(resources, "keycloak:index/realm:Realm")[0].retainOnDelete).toBe(false);
  });
});
