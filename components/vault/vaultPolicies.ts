// Vault names and policy text for the hub and its users. Pure: tested as text and parsed as HCL.
import type { VaultSettings } from "../../settings/vaultSchema";

export interface VaultNames {
  /** Policy of the hub's Vault token: may only mint (wrapped) user tokens through the token role, and revoke them. */
  readonly hubPolicy: string;
  /** Kubernetes auth role the hub's ServiceAccount logs in with. */
  readonly hubRole: string;
  /** Policy every user token carries; templated, so each token reaches only its own user's path. */
  readonly userPolicy: string;
  /** Token role the hub mints user tokens through. */
  readonly tokenRole: string;
}

/** Names carry the hub's namespace, so two hubs can share one Vault without sharing roles. */
export function vaultNames(namespace: string): VaultNames {
  return {
    hubPolicy: `jupyterhub-hub-${namespace}`,
    hubRole: `jupyterhub-hub-${namespace}`,
    userPolicy: `jupyterhub-user-${namespace}`,
    tokenRole: `jupyterhub-user-${namespace}`,
  };
}

export interface KvPaths {
  /** API path of a user's secrets, `<mount>/data/<prefix>/users/<user>` (the user segment a parameter). */
  readonly userData: (user: string) => string;
  readonly userMetadata: (user: string) => string;
  readonly sharedData: string;
  readonly sharedMetadata: string;
  /** Secret path (as the KV CLI and External Secrets name it) of the hub's own secrets. */
  readonly hubSecret: string;
}

export function kvPaths({ kvMount, pathPrefix }: Pick<VaultSettings, "kvMount" | "pathPrefix">): KvPaths {
  return {
    userData: (user) => `${kvMount}/data/${pathPrefix}/users/${user}`,
    userMetadata: (user) => `${kvMount}/metadata/${pathPrefix}/users/${user}`,
    sharedData: `${kvMount}/data/${pathPrefix}/shared`,
    sharedMetadata: `${kvMount}/metadata/${pathPrefix}/shared`,
    hubSecret: `${pathPrefix}/hub`,
  };
}

/** userTokens.wrapTtl's default: above the chart's 300s server start timeout, image pulls included. */
export const DEFAULT_WRAP_TTL_SECONDS = 600;

function block(path: string, capabilities: string[], extra: Record<string, string> = {}): string {
  const lines = [`  capabilities = [${capabilities.map((c) => `"${c}"`).join(", ")}]`, ...Object.entries(extra).map(([key, value]) => `  ${key} = "${value}"`)];
  return `path "${path}" {\n${lines.join("\n")}\n}\n`;
}

/**
 * The hub's token may do two things, and read no secret, not even the users' ones it mints tokens
 * for:
 * - create tokens through the user token role, and only response-wrapped: `min_wrapping_ttl`
 *   makes wrapping mandatory on the path and `max_wrapping_ttl` caps how long the one-time
 *   wrapping token (the only thing that reaches the pod spec) stays usable (Vault's policy docs,
 *   "Required response wrapping TTLs"; vault/acl.go AllowOperation refuses a request without
 *   wrapping, or with a longer one, as permission denied). A hub that regressed to putting a
 *   bare token into a pod would get nothing from Vault.
 * - revoke a token by its accessor when the server stops (the accessor comes back as
 *   `wrap_info.wrapped_accessor` and is kept in the server's state). Vault cannot narrow
 *   revoke-accessor to one role's tokens; the hub only ever learns the accessors of the tokens
 *   it minted. lookup-accessor is not needed and not granted.
 */
export function hubPolicy(names: VaultNames, wrapTtlSeconds = DEFAULT_WRAP_TTL_SECONDS): string {
  return [
    block(`auth/token/create/${names.tokenRole}`, ["create", "update"], { min_wrapping_ttl: "1s", max_wrapping_ttl: `${wrapTtlSeconds}s` }),
    block("auth/token/revoke-accessor", ["update"]),
  ].join("\n");
}

/**
 * One policy for every user, isolated by templating: the hub mints each token with the user's
 * name as its entity alias on the token auth method, and Vault fills that alias into the paths.
 * (Per-user policies would cost a Vault policy per user and a token role that may hand out any
 * of them; the template keeps one policy and one role however many users there are.)
 */
export function userPolicy(settings: Pick<VaultSettings, "kvMount" | "pathPrefix">, tokenAuthAccessor: string): string {
  const paths = kvPaths(settings);
  const self = `{{identity.entity.aliases.${tokenAuthAccessor}.name}}`;
  const { kvMount, pathPrefix } = settings;
  return [
    "# The user's own secrets: read, write, list, delete.",
    block(`${paths.userData(self)}/*`, ["create", "read", "update", "patch", "delete"]),
    block(`${paths.userMetadata(self)}/*`, ["read", "list", "delete"]),
    block(`${paths.userMetadata(self)}`, ["list"]),
    block(`${kvMount}/delete/${pathPrefix}/users/${self}/*`, ["update"]),
    block(`${kvMount}/undelete/${pathPrefix}/users/${self}/*`, ["update"]),
    "# Secrets shared with every user: read only.",
    block(`${paths.sharedData}/*`, ["read"]),
    block(`${paths.sharedMetadata}/*`, ["read", "list"]),
    block(`${paths.sharedMetadata}`, ["list"]),
    "# Its own token: look it up and renew it before it expires. (No revoke-self: the role sets",
    "# token_no_default_policy, and the hub revokes a stopped server's token by its accessor.)",
    block("auth/token/lookup-self", ["read"]),
    block("auth/token/renew-self", ["update"]),
  ].join("\n");
}
