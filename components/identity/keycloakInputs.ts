// Pure inputs of the Keycloak resources, from the settings: tested without Pulumi.
import type * as keycloak from "@pulumi/keycloak";
import type * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import type { KeycloakSettings } from "../../settings/keycloakSchema";

/** The hub's OpenID client: confidential, standard flow only, PKCE S256, exact redirect URI. */
export function hubClientArgs(keycloakSettings: KeycloakSettings, hubUrl: string): Omit<keycloak.openid.ClientArgs, "realmId"> {
  const origin = hubUrl.replace(/\/$/, "");
  return {
    clientId: keycloakSettings.clientId,
    name: "JupyterHub",
    enabled: true,
    accessType: "CONFIDENTIAL",
    standardFlowEnabled: true,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    pkceCodeChallengeMethod: "S256",
    rootUrl: hubUrl,
    baseUrl: hubUrl,
    validRedirectUris: [`${origin}/hub/oauth_callback`],
    validPostLogoutRedirectUris: [hubUrl],
    webOrigins: [origin],
  };
}

/** Every group the realm needs: declared ones, users' ones, and the login and admin groups. */
export function keycloakGroupNames(settings: Pick<Settings, "groups" | "users">, keycloakSettings: KeycloakSettings): string[] {
  return [
    ...new Set([keycloakSettings.userGroup, keycloakSettings.adminGroup, ...settings.groups, ...settings.users.flatMap((u) => u.groups)]),
  ].sort();
}

/** The groups each configured user is put in. */
export function userGroupNames(user: Settings["users"][number], keycloakSettings: KeycloakSettings): string[] {
  return [keycloakSettings.userGroup, ...(user.admin ? [keycloakSettings.adminGroup] : []), ...user.groups];
}

/** Members of each group, in group order; every group is listed, an empty one too. */
export function groupMembers(
  users: Settings["users"],
  groups: readonly string[],
  keycloakSettings: KeycloakSettings,
): Map<string, string[]> {
  const members = new Map(groups.map((group): [string, string[]] => [group, []]));
  for (const user of users) {
    for (const group of userGroupNames(user, keycloakSettings)) members.get(group)?.push(user.name);
  }
  return members;
}

/** Keycloak's Go-style durations ("3600s") from seconds. */
export function keycloakDuration(seconds: number): string {
  return `${seconds}s`;
}

export function realmArgs(keycloakSettings: KeycloakSettings): keycloak.RealmArgs {
  return {
    realm: keycloakSettings.realm,
    enabled: true,
    displayName: "JupyterHub",
    registrationAllowed: false,
    // The Keycloak username is the hub username (preferred_username) and users[].name; a user
    // who could rename themselves would arrive at the hub as someone else.
    editUsernameAllowed: false,
    loginWithEmailAllowed: true,
    duplicateEmailsAllowed: false,
    ...(keycloakSettings.sessions
      ? {
          ssoSessionIdleTimeout: keycloakDuration(keycloakSettings.sessions.idleTimeout),
          ssoSessionMaxLifespan: keycloakDuration(keycloakSettings.sessions.maxLifespan),
        }
      : {}),
  };
}

/**
 * `pulumi destroy` leaves a realm the stack created unless the config says it may go: a realm
 * holds more than this stack puts in it (its keys, sessions, events, whatever was added by hand).
 */
export function realmResourceOptions(keycloakSettings: KeycloakSettings): Pick<pulumi.CustomResourceOptions, "retainOnDelete"> {
  return { retainOnDelete: !keycloakSettings.deleteRealmOnDestroy };
}

/** The realm's alias for each brokered provider: what a user's link names. */
export const IDENTITY_PROVIDER_ALIASES = { google: "google", github: "github" } as const;
export type IdentityProviderName = keyof typeof IDENTITY_PROVIDER_ALIASES;

/**
 * Settings shared by the brokered providers. trustEmail off: Keycloak's GitHub provider takes the
 * primary email without reading `verified` (GitHubIdentityProvider.searchEmail), and no email is
 * used for anything here anyway. IMPORT: a provider's profile never overwrites the user the stack
 * manages (FORCE would copy it in at every login).
 */
export function brokeredProviderArgs(provider: IdentityProviderName): {
  alias: string;
  trustEmail: boolean;
  syncMode: string;
  storeToken: boolean;
  linkOnly: boolean;
} {
  return { alias: IDENTITY_PROVIDER_ALIASES[provider], trustEmail: false, syncMode: "IMPORT", storeToken: false, linkOnly: false };
}

/**
 * A configured user's links, as keycloak.User `federatedIdentities`. Keycloak logs a brokered login
 * in as the user linked to (provider alias, the provider's user id) and looks at nothing else
 * (services/.../resources/IdentityBrokerService.java, authenticated(): getUserByFederatedIdentity).
 * `userName` is only stored; the provider requires one.
 */
export function federatedIdentities(user: Settings["users"][number], keycloakSettings: KeycloakSettings): keycloak.types.input.UserFederatedIdentity[] {
  const identities = keycloakSettings.users[user.name]?.identities ?? {};
  return (Object.keys(IDENTITY_PROVIDER_ALIASES) as IdentityProviderName[]).flatMap((provider) => {
    const identity = identities[provider];
    if (!identity) return [];
    return [{ identityProvider: IDENTITY_PROVIDER_ALIASES[provider], userId: identity.userId, userName: identity.username ?? user.email ?? identity.userId }];
  });
}

/**
 * The users the stack creates, with their links. A user marked `existing` is left out: it is the
 * realm's, and keycloak.User would collide with it. The provider's `import: true` is no way out:
 * it overwrites the existing user with these inputs (re-enabling a disabled user) and its update
 * deletes every federated identity the user has before adding the declared ones
 * (keycloak/terraform-provider-keycloak: provider/resource_keycloak_user.go create with import,
 * keycloak/user.go UpdateUser).
 */
export function managedUsers(
  users: Settings["users"],
  keycloakSettings: KeycloakSettings,
): { name: string; earlierNames: readonly string[]; args: Omit<keycloak.UserArgs, "realmId"> }[] {
  return users
    .filter((user) => !keycloakSettings.users[user.name]?.existing)
    .map((user) => ({
      name: user.name,
      earlierNames: user.renamedFrom ?? [],
      args: {
        username: user.name,
        ...(user.email ? { email: user.email, emailVerified: true } : {}),
        enabled: true,
        federatedIdentities: federatedIdentities(user, keycloakSettings),
      },
    }));
}

/** The resource name of a configured user's keycloak.User. */
export function keycloakUserResourceName(component: string, username: string): string {
  return `${component}-user-${username}`;
}

/**
 * A user's Keycloak account is replaced, old one first, whenever it must be made anew. A rename
 * (users[].renamedFrom) is one: the resources of the earlier names are this one's aliases, and the
 * provider's `username` is ForceNew (terraform-provider-keycloak provider/resource_keycloak_user.go);
 * no in-place update could do it anyway, since Keycloak refuses a new username unless the realm
 * lets every user rename themselves (userprofile/validator/UsernameMutationValidator.java), which
 * the hub, keyed on usernames, cannot allow. Made before the old one is gone (Pulumi's default), the
 * new account would carry the old one's email, which Keycloak refuses (UsersResource.createUser:
 * "User exists with same email"), and its Google/GitHub links, which Keycloak stores a second time
 * (UserResource.addFederatedIdentity checks only the user's own links) and then fails every login
 * through (JpaUserProvider.getUserByFederatedIdentity: "More results found"). Old first, the person
 * cannot log in for the moment between the delete and the create, and their Keycloak sessions end
 * with the old account; their hub account, home and Vault secrets are the lifecycle's, not this.
 */
export function keycloakUserOptions(
  component: string,
  user: { readonly earlierNames: readonly string[] },
): Pick<pulumi.CustomResourceOptions, "aliases" | "deleteBeforeReplace"> {
  return {
    deleteBeforeReplace: true,
    ...(user.earlierNames.length > 0 ? { aliases: user.earlierNames.map((earlier) => ({ name: keycloakUserResourceName(component, earlier) })) } : {}),
  };
}

/**
 * The hub's group claim: this client's own roles, one per group, each granted to exactly one group
 * this stack made. A group's name proves nothing in a realm that may hold other groups of the same
 * name (the `fullPath: false` of issue 12); a role of the hub's client is granted only by a realm
 * admin, to our group by its id. Roles keep the bare names the hub compares (allowed_groups,
 * admin_groups, profile and shared-volume groups; OAuthenticator 17 oauth2.py get_user_groups and
 * check_allowed compare claim values verbatim), where full group paths would have made them
 * "/gpu". The claim has a name of its own: a client scope the user may request (e.g. Keycloak's
 * built-in microprofile-jwt, which writes realm roles into "groups") cannot add to it.
 */
export const GROUPS_CLAIM = "jupyterhub_groups";
export function groupsClaimArgs(): Omit<keycloak.openid.UserClientRoleProtocolMapperArgs, "realmId" | "clientId" | "clientIdForRoleMappings"> {
  return { name: "jupyterhub-groups", claimName: GROUPS_CLAIM, multivalued: true, addToIdToken: true, addToAccessToken: true, addToUserinfo: true };
}

/**
 * First login through Google or GitHub, i.e. an account linked to nobody: refused, with a page
 * that says why. No user is matched by email or username, linked or created. The stock steps
 * cannot be made safe: idp-detect-existing-broker-user and idp-create-user-if-unique find the
 * existing user by email (verified or not) and then by USERNAME
 * (IdpCreateUserIfUniqueAuthenticator.checkExistingUser), and idp-auto-link logs in whoever they
 * found (IdpAutoLinkAuthenticator), so a GitHub account named `maria` is maria to them.
 * deny-access-authenticator shows `denyErrorMessage` on a 401 page
 * (authentication/authenticators/access/DenyAccessAuthenticator.java).
 */
export const FIRST_BROKER_LOGIN_FLOW = "jupyterhub-linked-accounts-only";
export const UNLINKED_LOGIN_MESSAGE =
  "This Google or GitHub account is not linked to a JupyterHub user. Ask the hub's administrator to link it (keycloak.users.<name>.identities in the stack config).";
/** The flow's only step, and its configuration. */
export const REFUSE_UNLINKED_LOGIN = {
  authenticator: "deny-access-authenticator",
  requirement: "REQUIRED",
  config: { denyErrorMessage: UNLINKED_LOGIN_MESSAGE },
} as const;
