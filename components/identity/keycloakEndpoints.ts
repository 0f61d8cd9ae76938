import type { KeycloakSettings } from "../../settings/keycloakSchema";

export interface RealmEndpoints {
  readonly issuer: string;
  readonly authorize: string;
  readonly token: string;
  readonly userinfo: string;
  readonly endSession: string;
}

/** The realm's OpenID Connect endpoints (Keycloak 17+ paths, without the old /auth prefix). */
export function realmEndpoints({ url, realm }: Pick<KeycloakSettings, "url" | "realm">): RealmEndpoints {
  const issuer = `${url}/realms/${encodeURIComponent(realm)}`;
  const openid = `${issuer}/protocol/openid-connect`;
  return {
    issuer,
    authorize: `${openid}/auth`,
    token: `${openid}/token`,
    userinfo: `${openid}/userinfo`,
    endSession: `${openid}/logout`,
  };
}

/**
 * Where the hub sends a user at logout: Keycloak's end-session endpoint, so the Keycloak session
 * ends too, then back to the hub. Keycloak 18+ needs client_id with post_logout_redirect_uri.
 */
export function logoutUrl(keycloak: KeycloakSettings, hubUrl: string): string {
  const query = new URLSearchParams({ client_id: keycloak.clientId, post_logout_redirect_uri: hubUrl });
  return `${realmEndpoints(keycloak).endSession}?${query}`;
}

/**
 * Where Google or GitHub sends a user back to Keycloak: the redirect (callback) URL to register in
 * the provider's OAuth app, `<url>/realms/<realm>/broker/<alias>/endpoint` (Keycloak's
 * services/Urls.java identityProviderAuthnResponse: RealmsResource `{realm}/broker`, then
 * IdentityBrokerService `{provider_alias}/endpoint`).
 */
export function brokerCallbackUrl(keycloak: Pick<KeycloakSettings, "url" | "realm">, alias: string): string {
  return `${realmEndpoints(keycloak).issuer}/broker/${encodeURIComponent(alias)}/endpoint`;
}
