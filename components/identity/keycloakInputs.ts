// Pure inputs of the Keycloak resources, from the settings: tested without Pulumi.
import type * as keycloak from "@pulumi/keycloak";
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
 * First login through Google or GitHub: find the Keycloak user this program created with the
 * same (verified, trusted) email and link the identity to it, without a confirmation email or a
 * password the user never had. Nobody else gets an account, so only configured users get in.
 */
export const FIRST_BROKER_LOGIN_FLOW = "jupyterhub-link-existing-user";
export const FIRST_BROKER_LOGIN_EXECUTIONS = [
  { authenticator: "idp-detect-existing-broker-user", requirement: "REQUIRED" },
  { authenticator: "idp-auto-link", requirement: "REQUIRED" },
] as const;
