// How users log in, as the hub's traitlets config: the hub's local login, or Keycloak through
// GenericOAuthenticator. Secrets never appear here; they reach the hub as environment variables
// from a Kubernetes Secret (see hubSecretEnvironment).
import type { Settings } from "../../settings";
import type { KeycloakSettings } from "../../settings/keycloakSchema";
import { logoutUrl, realmEndpoints } from "../identity/keycloakEndpoints";
import { GROUPS_CLAIM } from "../identity/keycloakInputs";
import { hubUrl } from "./hubUrl";

export type TraitletsConfig = Record<string, Record<string, unknown>>;

/** OAuthenticator reads its client secret from this variable when none is configured. */
export const OAUTH_CLIENT_SECRET = "OAUTH_CLIENT_SECRET";

/** Names of the hub's environment variables that come from the hub's Secret. */
export function hubSecretEnvironment(settings: Pick<Settings, "keycloak">): string[] {
  return settings.keycloak ? [OAUTH_CLIENT_SECRET] : [];
}

export function authConfig(settings: Settings): TraitletsConfig {
  return settings.keycloak ? keycloakConfig(settings, settings.keycloak) : localConfig(settings);
}

const LOCAL_AUTHENTICATORS = {
  firstuse: "firstuseauthenticator.FirstUseAuthenticator",
  dummy: "dummy",
} as const;

function localConfig({ auth, users, groups }: Settings): TraitletsConfig {
  const config: TraitletsConfig = {
    JupyterHub: {
      authenticator_class: LOCAL_AUTHENTICATORS[auth.authenticator],
      load_groups: groupMembers(users, groups),
    },
    Authenticator: {
      admin_users: users.filter((u) => u.admin).map((u) => u.name),
      allowed_users: users.map((u) => u.name),
    },
  };
  if (auth.authenticator === "firstuse") {
    // Only the configured users may claim a name; nobody else can sign up.
    config.FirstUseAuthenticator = { create_users: false };
  }
  return config;
}

/** Every group (declared or held by a user) with its members, for JupyterHub's load_groups. */
export function groupMembers(users: Settings["users"], declared: Settings["groups"]): Record<string, { users: string[] }> {
  const names = [...new Set([...declared, ...users.flatMap((u) => u.groups)])].sort();
  return Object.fromEntries(
    names.map((group) => [group, { users: users.filter((u) => u.groups.includes(group)).map((u) => u.name) }]),
  );
}

// Groups come from the client's group claim on every login (manage_groups), so who may log in,
// who is admin and which profiles a user sees all follow membership of the groups this stack
// made in Keycloak (components/identity/keycloakInputs.ts, groupsClaimArgs: the claim carries
// the hub client's own roles, one per group, under their bare names, which OAuthenticator makes
// the JupyterHub group names as they are). The username is `preferred_username`, i.e. the
// Keycloak username, i.e. users[].name: what homes, Vault aliases and SSH are keyed on.
function keycloakConfig(settings: Settings, keycloak: KeycloakSettings): TraitletsConfig {
  const endpoints = realmEndpoints(keycloak);
  const url = hubUrl(settings);
  return {
    JupyterHub: { authenticator_class: "generic-oauth" },
    GenericOAuthenticator: {
      client_id: keycloak.clientId,
      oauth_callback_url: `${url}hub/oauth_callback`,
      authorize_url: endpoints.authorize,
      token_url: endpoints.token,
      userdata_url: endpoints.userinfo,
      scope: ["openid", "profile", "email"],
      username_claim: "preferred_username",
      login_service: keycloak.loginService,
      enable_pkce: true,
      manage_groups: true,
      auth_state_groups_key: `oauth_user.${GROUPS_CLAIM}`,
      allowed_groups: [keycloak.userGroup],
      admin_groups: [keycloak.adminGroup],
      enable_auth_state: true,
      // Fresh tokens and group membership before every spawn, not only at login.
      refresh_pre_spawn: true,
      logout_redirect_url: logoutUrl(keycloak, url),
    },
  };
}
