import { cullBeforeVaultTokenExpiry } from "../../../policies/rules/cullBeforeVaultTokenExpiry";

it("passes without Vault, or with a max age below the token max TTL", () => {
  expect(cullBeforeVaultTokenExpiry({ cullMaxAgeSeconds: 0, vaultTokenMaxTtlSeconds: undefined })).toEqual([]);
  expect(cullBeforeVaultTokenExpiry({ cullMaxAgeSeconds: 8 * 3600, vaultTokenMaxTtlSeconds: 24 * 3600 })).toEqual([]);
});

it("fails a max age at or above the token max TTL, or no max age at all", () => {
  expect(cullBeforeVaultTokenExpiry({ cullMaxAgeSeconds: 86400, vaultTokenMaxTtlSeconds: 86400 })).toEqual([
    { resource: null, message: "culling.maxAge (86400s) is not shorter than the Vault token max TTL (86400s); servers would outlive their token" },
  ]);
  expect(cullBeforeVaultTokenExpiry({ cullMaxAgeSeconds: 0, vaultTokenMaxTtlSeconds: 3600 })[0].message).toMatch(/culling\.maxAge is off/);
});
