import type { RecordedResource } from "../../offline/recordedResource";
import type { StackRule, Violation } from "../policyResult";
import { HELM_RELEASE } from "../resourceTypes";

const VAULT_TOKEN_ROLE = "vault:tokenauth/authBackendRole:AuthBackendRole";

export const cullBeforeVaultTokenExpiryRule: StackRule = {
  name: "cull-before-vault-token-expiry",
  description:
    "With Vault on, the culler stops every server (culling.maxAge) before the user's Vault token reaches its max TTL, so no server outlives its token.",
  enforcementLevel: "mandatory",
};

export interface CullAndVaultTtl {
  /** The culler's max server age in seconds; 0 means servers are never stopped for age. */
  readonly cullMaxAgeSeconds: number;
  /** Max TTL of the per-user Vault tokens in seconds; undefined when Vault is off. */
  readonly vaultTokenMaxTtlSeconds: number | undefined;
}

/**
 * A user's Vault token is minted when the server starts and cannot be renewed past its max
 * TTL, so a server older than that has a dead token: the culler must stop it first.
 */
export function cullBeforeVaultTokenExpiry({ cullMaxAgeSeconds, vaultTokenMaxTtlSeconds }: CullAndVaultTtl): Violation[] {
  if (vaultTokenMaxTtlSeconds === undefined) return [];
  if (cullMaxAgeSeconds <= 0) {
    return [{ resource: null, message: `culling.maxAge is off, so servers outlive their Vault token (max TTL ${vaultTokenMaxTtlSeconds}s); set a max age below it` }];
  }
  if (cullMaxAgeSeconds >= vaultTokenMaxTtlSeconds) {
    return [
      {
        resource: null,
        message: `culling.maxAge (${cullMaxAgeSeconds}s) is not shorter than the Vault token max TTL (${vaultTokenMaxTtlSeconds}s); servers would outlive their token`,
      },
    ];
  }
  return [];
}

/**
 * The two figures as a stack declares them: the culler's max age from the release values, and
 * the hard limit of the user token role (the program names its roles jupyterhub-user-<namespace>).
 */
export function cullAndVaultTtlOf(resources: readonly RecordedResource[]): CullAndVaultTtl {
  const release = resources.find((r) => r.type === HELM_RELEASE);
  const cull = (release?.inputs.values as { cull?: { enabled?: boolean; maxAge?: number } } | undefined)?.cull;
  const role = resources.find((r) => r.type === VAULT_TOKEN_ROLE && String(r.inputs.roleName).startsWith("jupyterhub-user"));
  const maxTtl = role ? Number(role.inputs.tokenExplicitMaxTtl ?? role.inputs.tokenMaxTtl ?? 0) : undefined;
  return {
    cullMaxAgeSeconds: cull?.enabled === false ? 0 : Number(cull?.maxAge ?? 0),
    vaultTokenMaxTtlSeconds: maxTtl,
  };
}
