// The `jupyterhub:keycloak` block: login through a Keycloak realm, which also brokers Google or
// GitHub and owns the groups. Present: Keycloak login; absent: the hub's local login.
//
// There is no choice of username claim: the hub username is always `preferred_username`, which is
// the Keycloak username, which is users[].name, the key of homes, Vault aliases and SSH. An
// `email` claim (offered before issue 12) named every spawn by something else, and an email is
// an attribute the user may be able to edit in Keycloak's account console.
import { z } from "zod";
import { duration, groupName, username } from "./primitives";
import { secretSourceSchema } from "./secretSourceSchema";
import { nameNotSecret } from "./secretShapes";

const realmName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  error: "must be a realm name: letters, digits and . _ -",
});

// Keycloak serves /realms/... at the root since version 17; a trailing slash would double up.
const keycloakUrl = z
  .url({ protocol: /^https$/, error: "must be the https:// URL Keycloak is served at, e.g. https://auth.home.arpa" })
  .transform((url) => url.replace(/\/+$/, ""))
  .meta({ "x-type": "URL" });

// The identity provider's own immutable id for the account, which is what Keycloak matches a
// returning login on (IdentityBrokerService.authenticated → getUserByFederatedIdentity). The
// login name and email are not ids: a GitHub login can be renamed and then taken by someone else.
const brokeredIdentity = (provider: string, userId: z.ZodString) =>
  z.strictObject({
    userId: userId.describe(`The ${provider} account's immutable user id.`),
    username: z
      .string()
      .min(1)
      .optional()
      .describe(`${provider} username stored with the link, for people reading Keycloak only; never matched. Default: the user's email, else userId.`),
  });

const keycloakUser = z.strictObject({
  existing: z
    .boolean()
    .default(false)
    .describe(
      "The user already exists in the (existing) realm: the stack puts them in its groups by username but never creates, changes or deletes them; link their Google/GitHub account in Keycloak. Only with createRealm: false.",
    ),
  identities: z
    .strictObject({
      github: brokeredIdentity(
        "GitHub",
        z.string().regex(/^[1-9][0-9]*$/, { error: "must be the numeric GitHub user id (the `id` at https://api.github.com/users/<login>), not the login" }),
      )
        .optional()
        .describe("The user's GitHub account: `id` from https://api.github.com/users/<login>."),
      google: brokeredIdentity("Google", z.string().regex(/^[0-9]{1,255}$/, { error: "must be the Google account's numeric `sub`, not an email" }))
        .optional()
        .describe("The user's Google account: the `sub` claim Google's userinfo returns for it."),
    })
    .prefault({})
    .describe("Google/GitHub accounts linked to this user up front. The only way a brokered login becomes this user."),
});

// Keycloak's GoogleIdentityProvider.validateToken accepts a login only when the ID token's `hd`
// claim is one of these domains, and "*" turns the check off. Google puts `hd` only in Workspace
// accounts' tokens: consumer accounts (gmail.com, googlemail.com) have none, so naming those
// refuses every Google login, and "*" lets any Google account through.
const CONSUMER_GOOGLE_DOMAINS = ["gmail.com", "googlemail.com"];
const hostedDomain = z.string().superRefine((text, ctx) => {
  for (const domain of text.split(",")) {
    if (domain === "*") {
      ctx.addIssue({ code: "custom", message: "'*' turns Keycloak's domain check off (any Google account passes): leave hostedDomain out for that, or name your Workspace domain" });
    } else if (CONSUMER_GOOGLE_DOMAINS.includes(domain.trim().toLowerCase())) {
      ctx.addIssue({
        code: "custom",
        message: `${domain.trim()} is Google's consumer domain, whose accounts carry no hosted domain (hd), so Keycloak would refuse every Google login: leave hostedDomain out (each person is linked by their account id in keycloak.users) or name a Workspace domain`,
      });
    } else if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(domain)) {
      ctx.addIssue({ code: "custom", message: "must be a Workspace domain such as example.org (lower case, no @ or scheme), or several separated by commas" });
    }
  }
});

const identityProvider = (name: string) =>
  z.strictObject({
    clientId: nameNotSecret("a client ID").describe(`OAuth client ID of the ${name} app.`),
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
    deleteRealmOnDestroy: z
      .boolean()
      .default(false)
      .describe(
        "Let `pulumi destroy` delete the realm this stack created, with everything in it. Off: destroy deletes only what the stack made inside the realm and leaves the realm; only with createRealm: true.",
      ),
    adminRealm: realmName
      .default("master")
      .describe("Realm of the admin credentials Pulumi uses (KEYCLOAK_CLIENT_ID/KEYCLOAK_CLIENT_SECRET or KEYCLOAK_USER/KEYCLOAK_PASSWORD)."),
    clientId: nameNotSecret("a client ID")
      .regex(/^[a-z0-9][a-z0-9._-]*$/, { error: "must be a client ID: lower-case letters, digits and . _ -" })
      .default("jupyterhub")
      .describe("Client ID of the hub's OpenID client."),
    loginService: z.string().min(1).default("Keycloak").describe("Name on the hub's login button ('Sign in with …')."),
    userGroup: groupName
      .default("jupyterhub")
      .describe("Top-level Keycloak group this stack creates, whose members may log in: the configured users."),
    adminGroup: groupName
      .default("jupyterhub-admins")
      .describe("Top-level Keycloak group this stack creates, whose members are hub admins. Users with admin: true are put in it."),
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
            hostedDomain: hostedDomain.optional().describe("Only accept Google accounts of this Workspace domain (several: comma-separated)."),
          })
          .optional()
          .describe("Log in with Google (brokered by Keycloak)."),
        github: identityProvider("GitHub").optional().describe("Log in with GitHub (brokered by Keycloak)."),
      })
      .prefault({})
      .describe(
        "Identity providers Keycloak brokers. A login through one becomes the user its account is linked to (users.<name>.identities); any other login is refused, and nobody is created or linked by email or username.",
      ),
    users: z
      .record(username, keycloakUser, {
        error: (issue) => (issue.code === "invalid_key" ? "is not a username: keys are names from jupyterhub:users (lower case)" : undefined),
      })
      .default({})
      .describe(
        "Per configured user (by name): `identities` { github: { userId, username? }, google: { userId, username? } } links their Google/GitHub account by its immutable id; `existing: true` (createRealm: false only) uses a user the realm already has instead of creating one.",
      ),
  })
  .optional()
  .describe("Login through Keycloak (OpenID Connect). Absent: the hub's local login (jupyterhub:auth).");

export type KeycloakSettings = NonNullable<z.output<typeof keycloakSchema>>;
