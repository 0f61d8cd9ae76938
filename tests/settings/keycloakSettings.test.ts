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
    adminRealm: "master",
    clientId: "jupyterhub",
    loginService: "Keycloak",
    usernameClaim: "preferred_username",
    userGroup: "jupyterhub",
    adminGroup: "jupyterhub-admins",
    identityProviders: {
      google: {
        clientId: "1234.apps.googleusercontent.com",
        clientSecret: { onePassword: { vault: "vault-uuid", item: "Google OAuth client", field: "credential" } },
      },
    },
  });
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
  ["a user without email", { ...keycloakConfig(), users: [{ name: "ada" }] }, ["jupyterhub:users[0].email: is required with Keycloak login: it links ada's first login to their Keycloak user"]],
  ["two users with one email", { ...keycloakConfig(), users: [{ name: "ada", email: "a@x.test" }, { name: "bob", email: "A@x.test" }] }, ["jupyterhub:users[1].email: 'A@x.test' is already the email of users[0]; Keycloak needs one user per email"]],
  ["plain HTTP", { ...keycloakConfig(), https: { type: "none" } }, [expect.stringMatching(/^jupyterhub:https: Keycloak login needs HTTPS on the hub/)] as never],
])("rejects %s", (_, raw, expected) => {
  expect(problemsOf(raw)).toEqual(expected);
});
