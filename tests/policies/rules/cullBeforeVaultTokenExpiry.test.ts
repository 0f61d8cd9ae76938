import { cullAndVaultTtlOf, cullBeforeVaultTokenExpiry } from "../../../policies/rules/cullBeforeVaultTokenExpiry";
import { evaluatePolicies } from "../../../policies/evaluate";
import type { RecordedResource } from "../../harness/recordedResource";

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

describe("as render evaluates it, from the declared resources", () => {
  const release = (cull: Record<string, unknown>): RecordedResource => ({
    type: "kubernetes:helm.sh/v3:Release",
    name: "jupyterhub",
    parent: null,
    provider: null,
    custom: true,
    protect: false,
    retainOnDelete: false,
    dependsOn: [],
    inputs: { values: { cull } },
  });
  const tokenRole = (tokenExplicitMaxTtl: number): RecordedResource => ({
    ...release({}),
    type: "vault:tokenauth/authBackendRole:AuthBackendRole",
    name: "jupyterhub-user-tokens",
    inputs: { roleName: "jupyterhub-user-jupyterhub", tokenExplicitMaxTtl },
  });

  it("reads the culler's max age from the release and the token role's hard limit", () => {
    expect(cullAndVaultTtlOf([release({ enabled: true, maxAge: 3600 }), tokenRole(7200)])).toEqual({ cullMaxAgeSeconds: 3600, vaultTokenMaxTtlSeconds: 7200 });
    expect(cullAndVaultTtlOf([release({ enabled: false, maxAge: 3600 }), tokenRole(7200)]).cullMaxAgeSeconds).toBe(0);
    expect(cullAndVaultTtlOf([release({ enabled: true, maxAge: 3600 })]).vaultTokenMaxTtlSeconds).toBeUndefined();
  });

  it("is run by evaluatePolicies", () => {
    const results = evaluatePolicies([release({ enabled: true, maxAge: 7200 }), tokenRole(3600)], { deleteHomesOnDestroy: true });
    expect(results.filter((r) => r.policy === "cull-before-vault-token-expiry")).toEqual([
      expect.objectContaining({ enforcementLevel: "mandatory", message: expect.stringContaining("culling.maxAge (7200s) is not shorter") }),
    ]);
  });
});
