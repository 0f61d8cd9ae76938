// The `jupyterhub:keycloak` block: login through a Keycloak realm, which also brokers Google or
// GitHub and owns the groups. Present: Keycloak login; absent: the hub's local login.
import { z } from "zod";
import { duration, groupName } from "./primitives";
import { secretSourceSchema } from "./secretSourceSchema";

const realmName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  error: "must be a realm name: letters, digits and . _ -",
});

// Keycloak serves /realms/... at the root since version 17; a trailing slash would double up.
const keycloakUrl = z
  .url({ protocol: /^https$/, error: "must be the https:// URL Keycloak is served at, e.g. https://auth.home.arpa" })
  .transform((url) => url.replace(/\/+$/, ""))
  .meta({ "x-type": "URL" });

const identityProvider = (name: string) =>
  z.strictObject({
    clientId: z.string().min(1).describe(`OAuth client ID of the ${name} app.`),
    clientSecret: secretSourceSchema.describe(`Where the ${name} app's client secret is read at deploy time.`),
  });

export const keycloakSchema = z
  .strictObject({
    url: keycloakUrl.describe("Base URL of Keycloak."),
    realm: realmName.describe("Realm the hub's users log in to."),
    createRealm: z
      .boolean()
      .default(false)
      .describe("Create and own the realm. Off: use an existing realm, which must exist before `pulumi up`."),
    adminRealm: realmName
      .default("master")
      .describe("Realm of the admin credentials Pulumi uses (KEYCLOAK_CLIENT_ID/KEYCLOAK_CLIENT_SECRET or KEYCLOAK_USER/KEYCLOAK_PASSWORD)."),
    clientId: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, { error: "must be a client ID: lower-case letters, digits and . _ -" })
      .default("jupyterhub")
      .describe("Client ID of the hub's OpenID client."),
    loginService: z.string().min(1).default("Keycloak").describe("Name on the hub's login button ('Sign in with …')."),
    usernameClaim: z
      .enum(["preferred_username", "email"])
      .default("preferred_username")
      .describe("Claim that becomes the JupyterHub username."),
    userGroup: groupName
      .default("jupyterhub")
      .describe("Keycloak group whose members may log in: the configured users."),
    adminGroup: groupName
      .default("jupyterhub-admins")
      .describe("Keycloak group whose members are hub admins. Users with admin: true are put in it."),
    sessions: z
      .strictObject({
        idleTimeout: duration.prefault("8h").describe("A Keycloak session idle this long ends."),
        maxLifespan: duration.prefault("7d").describe("A Keycloak session ends this long after login."),
      })
      .optional()
      .describe("Session lifetimes of the realm; only with createRealm: true."),
    identityProviders: z
      .strictObject({
        google: identityProvider("Google")
          .extend({
            hostedDomain: z.string().min(1).optional().describe("Only accept Google accounts of this Workspace domain."),
          })
          .optional()
          .describe("Log in with Google (brokered by Keycloak)."),
        github: identityProvider("GitHub").optional().describe("Log in with GitHub (brokered by Keycloak)."),
      })
      .prefault({})
      .describe(
        "Identity providers Keycloak brokers. A configured user's first login through one links it to the Keycloak user with the same verified email.",
      ),
  })
  .optional()
  .describe("Login through Keycloak (OpenID Connect). Absent: the hub's local login (jupyterhub:auth).");

export type KeycloakSettings = NonNullable<z.output<typeof keycloakSchema>>;
