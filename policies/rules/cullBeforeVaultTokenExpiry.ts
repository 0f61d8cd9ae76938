import type { StackRule, Violation } from "../policyResult";

// TODO(issue 4, Vault): wire this into evaluatePolicies (policies/evaluate.ts) once the Vault
// settings exist, with the culler's max age (settings.culling.maxAge) and the token role's max
// TTL from the Vault settings. Nothing carries the token max TTL yet, neither settings nor the
// release values, so it is tested but not run.

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
