// Answers to provider invokes (functions such as onepassword:index/getItem:getItem) under mocks.
// Realistic data only; an invoke with no fixture here fails the run instead of returning {}.
import type { MockCallArgs } from "@pulumi/pulumi/runtime";

export type InvokeFixture = (args: MockCallArgs) => Record<string, unknown>;

/** A throwaway CA certificate (EC P-256, CA:TRUE, valid 2026-2126) whose key was never kept: public test data. */
export const FIXTURE_CA_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIIBqjCCAU+gAwIBAgIUMb7xcWc3hK9in692s16afP+SxbMwCgYIKoZIzj0EAwIw
QTE/MD0GA1UEAww2anVweXRlcmh1Yi1wdWx1bWkgMVBhc3N3b3JkIGZpeHR1cmUg
Q0EgKG5vdCBhIHJlYWwgQ0EpMCAXDTI2MDEwMTAwMDAwMFoYDzIxMjYwMTAxMDAw
MDAwWjBBMT8wPQYDVQQDDDZqdXB5dGVyaHViLXB1bHVtaSAxUGFzc3dvcmQgZml4
dHVyZSBDQSAobm90IGEgcmVhbCBDQSkwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AARZAtzcGvj1fG+jQ8vDjQu12J7HqqKVZav8mf+K+b5OGqMiP54Us/y2p+arWN26
Fz3+p6Wu9zku0tYJVoeR8eS1oyMwITAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB
/wQEAwIBBjAKBggqhkjOPQQDAgNJADBGAiEA5PCBpF6IvSl62qRcFLBbeZKTsd6S
REm5nw4+YPtlSh0CIQDPVb0QHOC8n5PIf4pZ+zlM1apGqyBiYhE1rMEUHYmtuw==
-----END CERTIFICATE-----
`;

/**
 * A 1Password item as the provider returns it: built-in fields, plus one section with a
 * labelled field. Values are made up and derived from the title, so tests can tell items apart.
 */
export function onePasswordItem(args: MockCallArgs): Record<string, unknown> {
  const { vault, title } = args.inputs as { vault: string; title: string };
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return {
    id: `vaults/${vault}/items/${slug}`,
    uuid: `uuid-${slug}`,
    vault,
    title,
    category: "api_credential",
    username: `fixture-${slug}-username`,
    credential: `fixture-${slug}-credential`,
    password: "",
    // A Secure Note's text: a real CA certificate, so a CA read from 1Password passes the checks
    // a CA file gets (settings/certificates.ts parses it).
    noteValue: FIXTURE_CA_CERTIFICATE,
    publicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixture${slug.replace(/[^a-z0-9]/g, "")} ${slug}@1password`,
    sections: [
      {
        id: "section-1",
        label: "details",
        fields: [{ id: "field-1", label: "client secret", purpose: "", type: "CONCEALED", value: `fixture-${slug}-client-secret` }],
      },
    ],
  };
}

/** A Vault auth method as `vault.getAuthBackend` returns it; the accessor is what policies template on. */
export function vaultAuthBackend(args: MockCallArgs): Record<string, unknown> {
  const { path } = args.inputs as { path: string };
  return {
    id: path,
    path,
    type: path === "token" ? "token" : path,
    accessor: `auth_${path.replace(/\W/g, "_")}_0f1e2d3c`,
    description: path === "token" ? "token based credentials" : "",
    defaultLeaseTtlSeconds: 0,
    maxLeaseTtlSeconds: 0,
    listingVisibility: "",
    local: false,
  };
}

/**
 * A realm as `keycloak.getRealm` returns it (terraform-provider-keycloak provider/data_source_keycloak_realm.go,
 * setRealmData), set as Keycloak sets a new realm (keycloak/keycloak services/.../managers/RealmManager.java
 * setupRealmDefaults: login with email on; nothing turns Edit username or Email as username on).
 */
export function keycloakRealm(args: MockCallArgs): Record<string, unknown> {
  const { realm } = args.inputs as { realm: string };
  return {
    id: realm,
    realm,
    enabled: true,
    displayName: realm,
    registrationAllowed: false,
    registrationEmailAsUsername: false,
    editUsernameAllowed: false,
    loginWithEmailAllowed: true,
    duplicateEmailsAllowed: false,
    resetPasswordAllowed: false,
    verifyEmail: false,
  };
}

export const INVOKE_FIXTURES: Readonly<Record<string, InvokeFixture>> = {
  "keycloak:index/getRealm:getRealm": keycloakRealm,
  "onepassword:index/getItem:getItem": onePasswordItem,
  "vault:index/getAuthBackend:getAuthBackend": vaultAuthBackend,
};

export class UnknownInvokeError extends Error {
  /** The runtime reports a failed invoke by its gRPC `details`, not its message. */
  readonly details: string;

  constructor(token: string) {
    super(`no fixture for invoke '${token}': add one to offline/invokeFixtures.ts`);
    this.name = "UnknownInvokeError";
    this.details = this.message;
  }
}
