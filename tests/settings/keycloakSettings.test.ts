import { parseSettings } from "../../settings/parseSettings";
import { keycloakConfig, profile, type RawConfig } from "../fixtures/configs";
import { problemsOf } from "../fixtures/problemsOf";


const withKeycloak = (overrides: RawConfig) => {
  const config = keycloakConfig();
  return { ...config, keycloak: { ...(config.keycloak as RawConfig), ...overrides } };
};

it("fills the Keycloak defaults and trims the URL", () => {
  expect(parseSettings(keycloakConfig()).keycloak).toEqual({
    url: "https://auth.example.test",
    realm: "lab",
    createRealm: false,
    deleteRealmOnDestroy: false,
    adminRealm: "master",
    clientId: "jupyterhub",
    loginService: "Keycloak",
    userGroup: "jupyterhub",
    adminGroup: "jupyterhub-admins",
    identityProviders: {
      google: {
        clientId: "1234.apps.googleusercontent.com",
        clientSecret: { onePassword: { vault: "vault-uuid", item: "Google OAuth client", field: "credential" } },
      },
    },
    users: {},
  });
});

it("reads the accounts linked to each user, and users an existing realm already has", () => {
  const settings = parseSettings(
    withKeycloak({ users: { ada: { identities: { google: { userId: "104500000000000000001" } } }, grace: { existing: true } } }),
  );
  expect(settings.keycloak?.users).toEqual({
    ada: { existing: false, identities: { google: { userId: "104500000000000000001" } } },
    grace: { existing: true, identities: {} },
  });
});

it("accepts users without an email: Keycloak links by account id, never by email", () => {
  expect(problemsOf({ ...keycloakConfig(), users: [{ name: "ada" }, { name: "bob" }] })).toEqual([]);
});

it("lets a user an existing realm already has keep an email another configured user has", () => {
  const users = [{ name: "ada", email: "a@x.test" }, { name: "bob", email: "a@x.test" }];
  expect(problemsOf({ ...withKeycloak({ users: { ada: { existing: true } } }), users })).toEqual([]);
});

it("reads session lifetimes in seconds for a realm it creates", () => {
  const settings = parseSettings(withKeycloak({ createRealm: true, sessions: { idleTimeout: "1h" } }));
  expect(settings.keycloak?.sessions).toEqual({ idleTimeout: 3600, maxLifespan: 604800 });
});

it("counts the Keycloak user and admin groups as known to profiles", () => {
  const config = { ...keycloakConfig(), profiles: [profile({ default: true }), profile({ slug: "staff", allowedGroups: ["jupyterhub-admins"] })] };
  expect(problemsOf(config)).toEqual([]);
});

it.each<[string, RawConfig, string[]]>([
  ["an http URL", withKeycloak({ url: "http://auth.example.test" }), ["jupyterhub:keycloak.url: must be the https:// URL Keycloak is served at, e.g. https://auth.home.arpa"]],
  ["a missing realm", withKeycloak({ realm: undefined }), ["jupyterhub:keycloak.realm: is required (string)"]],
  ["a client secret written into the stack", withKeycloak({ identityProviders: { github: { clientId: "x", clientSecret: "s3cret" } } }), ["jupyterhub:keycloak.identityProviders.github.clientSecret: must be { env: VARIABLE } or { onePassword: { vault, item, field } }"]],
  ["an environment variable that is no name", withKeycloak({ identityProviders: { github: { clientId: "x", clientSecret: { env: "lower case" } } } }), [expect.stringMatching(/clientSecret/)] as never],
  ["session lifetimes for a realm it does not own", withKeycloak({ sessions: {} }), ["jupyterhub:keycloak.sessions: only applies to a realm this stack creates (createRealm: true)"]],
  ["local login options next to Keycloak", { ...keycloakConfig(), auth: { type: "local" } }, ["jupyterhub:auth: remove it: with a jupyterhub:keycloak block, users log in through Keycloak"]],
  ["the removed usernameClaim", withKeycloak({ usernameClaim: "email" }), [
    expect.stringMatching(/^jupyterhub:keycloak\.usernameClaim: unknown key/),
    "jupyterhub:keycloak.usernameClaim: was removed: the hub username is always Keycloak's preferred_username, which is users[].name (homes, Vault and SSH are keyed on it)",
  ] as never],
  ["deleteRealmOnDestroy for a realm it does not own", withKeycloak({ deleteRealmOnDestroy: true }), ["jupyterhub:keycloak.deleteRealmOnDestroy: only applies to a realm this stack creates (createRealm: true); an existing realm is never deleted"]],
  ["links for someone who is not a user", withKeycloak({ users: { mallory: { identities: { google: { userId: "1" } } } } }), ["jupyterhub:keycloak.users.mallory: 'mallory' is not in jupyterhub:users"]],
  ["an existing user in a realm the stack creates", withKeycloak({ createRealm: true, users: { ada: { existing: true } } }), ["jupyterhub:keycloak.users.ada.existing: a realm this stack creates has no users of its own; only with createRealm: false"]],
  ["links on a user the stack does not manage", withKeycloak({ users: { ada: { existing: true, identities: { google: { userId: "1" } } } } }), ["jupyterhub:keycloak.users.ada.identities.google: the stack does not change a user it did not create: link their account in Keycloak (admin console or the user's own account console)"]],
  ["a link to a provider that is not brokered", withKeycloak({ users: { ada: { identities: { github: { userId: "583231" } } } } }), ["jupyterhub:keycloak.users.ada.identities.github: needs keycloak.identityProviders.github"]],
  ["one account linked to two users", withKeycloak({ users: { ada: { identities: { google: { userId: "7" } } }, grace: { identities: { google: { userId: "7" } } } } }), ["jupyterhub:keycloak.users.grace.identities.google.userId: google account 7 is already linked to ada"]],
  ["a GitHub login where its numeric id belongs", withKeycloak({ identityProviders: { github: { clientId: "x", clientSecret: { env: "X" } } }, users: { ada: { identities: { github: { userId: "ada-l" } } } } }), ["jupyterhub:keycloak.users.ada.identities.github.userId: must be the numeric GitHub user id (the `id` at https://api.github.com/users/<login>), not the login"]],
  ["a Google email where its sub belongs", withKeycloak({ users: { ada: { identities: { google: { userId: "ada@example.test" } } } } }), ["jupyterhub:keycloak.users.ada.identities.google.userId: must be the Google account's numeric `sub`, not an email"]],
  ["an upper-case user key", withKeycloak({ users: { Ada: {} } }), ["jupyterhub:keycloak.users.Ada: is not a username: keys are names from jupyterhub:users (lower case)"]],
  ["two users with one email", { ...keycloakConfig(), users: [{ name: "ada", email: "a@x.test" }, { name: "bob", email: "A@x.test" }] }, ["jupyterhub:users[1].email: 'A@x.test' is already the email of users[0]; Keycloak needs one user per email"]],
  ["plain HTTP", { ...keycloakConfig(), https: { type: "none" } }, [expect.stringMatching(/^jupyterhub:https: Keycloak login needs HTTPS on the hub/)] as never],
])("rejects %s", (_, raw, expected) => {
  expect(problemsOf(raw)).toEqual(expected);
});
