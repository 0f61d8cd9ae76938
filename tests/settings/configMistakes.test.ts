// Config mistakes from real homelabs (issue 18, "Config mistakes that render today"): each class is
// refused before anything is declared, with the key named and what to do, and no secret echoed.
import { generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { caBundleFileProblems } from "../../components/trust/caBundleValues";
import { kubernetesCaCertFileProblems } from "../../components/vault/kubernetesCaCert";
import { parseSettings } from "../../settings";
import { minimalConfig, keycloakConfig, profile, type RawConfig } from "../fixtures/configs";
import { problemsOf } from "../fixtures/problemsOf";
import { vaultConfig, outsideVaultConfig } from "../fixtures/vaultConfig";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7FZv9Sx2mW1dLrJ0zQfT0oW8kx0cUQ2HkA5qQmBfYh";

/** Every problem of a config, and the one expected among them, by key and a part of its message. */
function expectRefused(raw: RawConfig, key: string, message: RegExp): string[] {
  const problems = problemsOf(raw);
  expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^${key.replace(/[.[\]]/g, "\\$&")}: `)));
  expect(problems.find((p) => p.startsWith(`${key}: `))).toMatch(message);
  return problems;
}

function withSsh(users: RawConfig[], ssh: RawConfig = {}): RawConfig {
  return {
    ...minimalConfig(),
    users,
    ssh: { sourceRanges: ["192.168.0.0/16"], ...ssh },
    profiles: [profile({ default: true, image: { build: "base" } })],
    images: {
      owner: "me",
      credentials: { vault: "v", item: "GHCR push" },
      pullCredentials: { vault: "v", item: "GHCR pull" },
    },
  };
}

describe("key material where a certificate belongs", () => {
  const fixture = (name: string) => fs.readFileSync(path.join(__dirname, "..", "fixtures", name), "utf8");
  const CA = fixture("test-ca.pem");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ca-mistakes-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A key made here and never kept: the shapes `openssl` and `ssh-keygen` write.
  const keys = {
    pkcs8: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    rsa: generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({ format: "pem", type: "pkcs1" }).toString(),
    sec1: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "sec1" }).toString(),
  };
  const files: Record<string, string> = {
    "ca-and-key.pem": CA + keys.pkcs8,
    "key-then-ca.pem": keys.rsa + CA,
    "ca-and-ec-key.pem": CA + "\n" + keys.sec1,
    "expired-ca.pem": fixture("certificates/expired-ca.pem"),
    "bundle-with-expired.pem": CA + fixture("certificates/expired-ca.pem"),
    "server-cert.pem": fixture("certificates/server-cert.pem"),
    "ca-and-server-cert.pem": CA + fixture("certificates/server-cert.pem"),
  };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);

  it.each<[string, RegExp]>([
    ["ca-and-key.pem", /holds a private key \(PRIVATE KEY\).*ConfigMap/],
    ["key-then-ca.pem", /holds a private key \(RSA PRIVATE KEY\)/],
    ["ca-and-ec-key.pem", /holds a private key \(EC PRIVATE KEY\)/],
    ["expired-ca.pem", /expired on 2021-01-01/],
    ["bundle-with-expired.pem", /certificate 2 of 2 .*expired/],
    ["server-cert.pem", /CN=hub.home.arpa\) is not a CA certificate/],
    ["ca-and-server-cert.pem", /certificate 2 of 2 .*not a CA certificate/],
  ])("refuses %s as caBundle.file, never quoting it", (file, message) => {
    const problems = caBundleFileProblems({ file }, dir);
    expect(problems).toEqual([{ key: "jupyterhub:caBundle.file", message: expect.stringMatching(message) }]);
    expect(JSON.stringify(problems)).not.toMatch(/MII|BEGIN/);
  });

  it("refuses the same as the API server's CA for Vault", () => {
    const vault = parseSettings(outsideVaultConfig({ kubernetesCaCert: { file: "ca-and-key.pem" } })).vault;
    expect(kubernetesCaCertFileProblems(vault, dir)).toEqual([{ key: "jupyterhub:vault.kubernetesAuth.kubernetesCaCert.file", message: expect.stringMatching(/private key/) }]);
  });

  it.each<[string, RawConfig, string]>([
    ["cert-manager's tls.key as the CA Secret's key", { secret: { name: "homelab-ca", key: "tls.key" } }, "jupyterhub:caBundle.secret.key"],
    ["ca.key as the CA Secret's key", { secret: { name: "homelab-ca", key: "ca.key" } }, "jupyterhub:caBundle.secret.key"],
    ["a key file in a ConfigMap", { configMap: { name: "homelab-ca", key: "privkey.pem" } }, "jupyterhub:caBundle.configMap.key"],
  ])("refuses %s", (_, caBundle, key) => {
    expectRefused({ ...minimalConfig(), caBundle }, key, /names a private key.*ca.crt/);
  });

  it("takes a CA certificate, and a bundle of them", () => {
    expect(caBundleFileProblems({ file: "tests/fixtures/test-ca.pem" })).toEqual([]);
    fs.writeFileSync(path.join(dir, "two-cas.pem"), CA + CA);
    expect(caBundleFileProblems({ file: "two-cas.pem" }, dir)).toEqual([]);
    expect(problemsOf({ ...minimalConfig(), caBundle: { secret: { name: "homelab-ca", key: "ca.crt" } } })).toEqual([]);
  });
});

describe("a secret pasted where a name belongs", () => {
  // Made-up tokens in each issuer's documented shape; none is real.
  const tokens: [string, string][] = [
    ["a GitHub classic token", "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"],
    ["a GitHub fine-grained token", "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"],
    ["a 1Password service account token", "ops_" + "eyJzaWduSW5BZGRyZXNzIjoibXkuMXBhc3N3b3JkLmNvbSJ9"],
    ["a Google OAuth client secret", "GOCSPX-" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4"],
    ["a Vault token", "hvs." + "CAESIJ1a2b3c4d5e6f7g8h9i0jAbCdEfGhIjKl"],
    ["a random 40-character token", "Zq8vR2mX7kP4wL9tB3nH6cF1yD5gJ0sA8eU2iO4r"],
  ];

  it.each(tokens)("refuses %s as a 1Password field name, naming the key and never echoing it", (_, token) => {
    const config = keycloakConfig();
    const keycloak = config.keycloak as RawConfig;
    const raw = {
      ...config,
      keycloak: {
        ...keycloak,
        identityProviders: { google: { clientId: "1234.apps.googleusercontent.com", clientSecret: { onePassword: { vault: "v", item: "Google OAuth", field: token } } } },
      },
    };
    const problems = expectRefused(raw, "jupyterhub:keycloak.identityProviders.google.clientSecret.onePassword.field", /looks like .*not a field label.*revoke it/);
    expect(problems.join("\n")).not.toContain(token);
  });

  it.each<[string, (token: string) => RawConfig, string]>([
    ["an item title", (token) => ({ ...minimalConfig(), caBundle: { onePassword: { vault: "v", item: token } } }), "jupyterhub:caBundle.onePassword.item"],
    ["a vault UUID", (token) => vaultConfig({ kubernetesAuth: { create: true, kubernetesCaCert: { onePassword: { vault: token, item: "k3s CA" } } } }), "jupyterhub:vault.kubernetesAuth.kubernetesCaCert.onePassword.vault"],
    ["the registry token's field", (token) => ({ ...withSsh([{ name: "ada" }]), images: { owner: "me", credentials: { vault: "v", item: "push", tokenField: token }, pullCredentials: { vault: "v", item: "pull" } } }), "jupyterhub:images.credentials.tokenField"],
    ["an SSH key item", (token) => withSsh([{ name: "ada", ssh: { onePasswordKeys: [{ vault: "v", item: token }] } }]), "jupyterhub:users[0].ssh.onePasswordKeys[0].item"],
    ["a Google client ID", (token) => ({ ...keycloakConfig(), keycloak: { ...(keycloakConfig().keycloak as RawConfig), identityProviders: { google: { clientId: token, clientSecret: { env: "GOOGLE_SECRET" } } } } }), "jupyterhub:keycloak.identityProviders.google.clientId"],
    ["a GitHub client ID (its 40-hex secret)", () => ({ ...keycloakConfig(), keycloak: { ...(keycloakConfig().keycloak as RawConfig), identityProviders: { github: { clientId: "0123456789abcdef0123456789abcdef01234567", clientSecret: { env: "GITHUB_SECRET" } } } } }), "jupyterhub:keycloak.identityProviders.github.clientId"],
  ])("refuses a token as %s", (_, configWith, key) => {
    const token = tokens[0][1];
    const problems = expectRefused(configWith(token), key, /looks like/);
    expect(problems.join("\n")).not.toContain(token);
    expect(problems.join("\n")).not.toContain("0123456789abcdef0123456789abcdef01234567");
  });

  it("accepts names as people write them", () => {
    const config = keycloakConfig();
    expect(problemsOf({ ...config, caBundle: { onePassword: { vault: "abcdefghijklmnopqrstuvwxyz", item: "Homelab root CA", field: "certificate PEM" } } })).toEqual([]);
  });
});

describe("a kubeconfig's contents where its path belongs (finding 11)", () => {
  const contents = [
    "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: https://192.168.50.5:6443\nusers:\n- name: admin\n  user:\n    client-key-data: TUlJRXBRSUJBQUtDQVFF\n",
    '{"apiVersion":"v1","kind":"Config","users":[{"name":"admin","user":{"token":"abc"}}]}',
    "apiVersion: v1 kind: Config clusters: []",
  ];

  it.each(contents)("refuses contents, without repeating them: %#", (text) => {
    const problems = expectRefused({ ...minimalConfig(), cluster: { kubeconfig: text } }, "jupyterhub:cluster.kubeconfig", /contents.*plain text.*state.*command line.*path/);
    expect(problems.join("\n")).not.toContain("client-key-data");
    expect(problems.join("\n")).not.toContain("token");
  });

  it("takes a path", () => {
    expect(problemsOf({ ...minimalConfig(), cluster: { kubeconfig: "/home/me/.kube/homelab.yaml", context: "homelab" } })).toEqual([]);
  });
});

describe("values that mean something else upstream", () => {
  it.each<[string, RawConfig, string, RegExp]>([
    ["a KV mount with KV v2's data/", vaultConfig({ kvMount: "secret/data" }), "jupyterhub:vault.kvMount", /mount alone.*data\//],
    ["a path prefix starting with data/", vaultConfig({ pathPrefix: "data/jupyter" }), "jupyterhub:vault.pathPrefix", /data\//],
    ["a path prefix with metadata/", vaultConfig({ kvMount: "kv", pathPrefix: "metadata/jupyter" }), "jupyterhub:vault.pathPrefix", /metadata\//],
    ["Vault's address with /v1", vaultConfig({ address: "https://vault.example.test:8200/v1" }), "jupyterhub:vault.address", /without a path.*\/v1/],
    ["Vault's address with /v1/", vaultConfig({ address: "https://vault.example.test:8200/v1/" }), "jupyterhub:vault.address", /without a path/],
    ["Vault's UI address", vaultConfig({ address: "https://vault.example.test:8200/ui/" }), "jupyterhub:vault.address", /without a path/],
    ["http:// for the API server", outsideVaultConfig({ kubernetesHost: "http://192.0.2.5:6443" }), "jupyterhub:vault.kubernetesAuth.kubernetesHost", /https:\/\/.*TLS only/],
    ["http:// for the in-cluster API server", vaultConfig({ kubernetesAuth: { create: true, kubernetesHost: "http://kubernetes.default.svc" } }), "jupyterhub:vault.kubernetesAuth.kubernetesHost", /TLS only/],
    ["a StorageClass with capitals", { ...minimalConfig(), storage: { type: "dynamic", storageClass: "Longhorn" } }, "jupyterhub:storage.storageClass", /Kubernetes object name: lower-case/],
    ["a StorageClass with an underscore", { ...minimalConfig(), storage: { type: "dynamic", storageClass: "nfs_client" } }, "jupyterhub:storage.storageClass", /lower-case/],
    ["an issuer with capitals", { ...minimalConfig(), https: { type: "certManager", issuer: { name: "LetsEncrypt-Prod" } } }, "jupyterhub:https.issuer.name", /lower-case/],
    ["a SecretStore with capitals", vaultConfig({ externalSecrets: { storeName: "Vault-Backend" } }), "jupyterhub:vault.externalSecrets.storeName", /lower-case/],
  ])("refuses %s", (_, raw, key, message) => {
    expectRefused(raw, key, message);
  });

  it.each(["hub.lan", "hub.local", "jupyter.home.arpa", "hub.internal", "hub.corp", "192.168.1.20", "10-0-0-5.nip.io", "hub.localdomain"])(
    "refuses Let's Encrypt for %s, which public DNS does not have",
    (host) => {
      expectRefused({ ...minimalConfig(), hub: { host }, https: { type: "letsencrypt", contactEmail: "me@example.org" } }, "jupyterhub:https.type", /Let's Encrypt needs a public DNS name.*certManager/);
    },
  );

  it("takes Let's Encrypt for a public name, and the values as upstream means them", () => {
    expect(problemsOf({ ...minimalConfig(), hub: { host: "hub.example.org" }, https: { type: "letsencrypt", contactEmail: "me@example.org" } })).toEqual([]);
    expect(problemsOf(vaultConfig({ kvMount: "kv", pathPrefix: "team/jupyter", address: "https://vault.example.test:8200/" }))).toEqual([]);
    expect(problemsOf({ ...minimalConfig(), storage: { type: "dynamic", storageClass: "local-path" } })).toEqual([]);
  });
});

describe("collisions across services", () => {
  const sshUsers = [{ name: "ada", ssh: { publicKeys: [KEY] } }];

  it.each<[string, RawConfig, string, RegExp]>([
    ["the gateway named as Vault", { ...withSsh(sshUsers, { host: "vault.example.test" }), vault: vaultConfig().vault, culling: { maxAge: "12h" } }, "jupyterhub:ssh.host", /already the name of Vault/],
    ["the gateway named as Keycloak", { ...keycloakConfig(), ...withSsh(sshUsers.map((u) => ({ ...u, email: "ada@example.test" })), { host: "auth.example.test" }), keycloak: keycloakConfig().keycloak, https: keycloakConfig().https }, "jupyterhub:ssh.host", /already the name of Keycloak/],
    ["the gateway named as the registry", { ...withSsh(sshUsers, { host: "ghcr.io" }) }, "jupyterhub:ssh.host", /already the name of the image registry/],
    ["the gateway at Vault's address", { ...withSsh(sshUsers, { service: { loadBalancerIP: "192.0.2.10" } }), vault: vaultConfig().vault, culling: { maxAge: "12h" } }, "jupyterhub:ssh.service.loadBalancerIP", /already the address of Vault/],
    ["the gateway at the NFS server's address", { ...withSsh(sshUsers, { service: { loadBalancerIP: "192.168.50.20" } }), storage: { type: "nfs", server: "192.168.50.20", path: "/export/homes" } }, "jupyterhub:ssh.service.loadBalancerIP", /already the address of the NFS server/],
    ["the hub at a shared volume's server", { ...minimalConfig(), hub: { host: "hub.example.test", service: { loadBalancerIP: "192.168.50.30" } }, sharedVolumes: [{ name: "data", server: "192.168.50.30", path: "/export/data" }] }, "jupyterhub:hub.service.loadBalancerIP", /already the address of the NFS server of sharedVolumes\[0\]/],
    ["the hub named as Vault", vaultConfig({ address: "https://hub.example.test:8200" }), "jupyterhub:hub.host", /already the name of Vault/],
  ])("refuses %s", (_, raw, key, message) => {
    expectRefused(raw, key, message);
  });

  it.each<[string, RawConfig[], string]>([
    ["the same key under two users", [{ name: "ada", ssh: { publicKeys: [KEY] } }, { name: "grace", ssh: { publicKeys: [KEY] } }], "jupyterhub:users[1].ssh.publicKeys[0]"],
    ["the same key with another comment", [{ name: "ada", ssh: { publicKeys: [`${KEY} ada@laptop`] } }, { name: "grace", ssh: { publicKeys: [OTHER_KEY, `${KEY} grace@desk`] } }], "jupyterhub:users[1].ssh.publicKeys[1]"],
    ["the same 1Password key item under two users", [{ name: "ada", ssh: { onePasswordKeys: [{ vault: "v", item: "Team key" }] } }, { name: "grace", ssh: { onePasswordKeys: [{ vault: "v", item: "Team key" }] } }], "jupyterhub:users[1].ssh.onePasswordKeys[0]"],
  ])("refuses %s", (_, users, key) => {
    expectRefused(withSsh(users), key, /users\[0\] \(ada\).*both/);
  });

  it("takes distinct names, addresses and keys", () => {
    const users = [{ name: "ada", ssh: { publicKeys: [KEY] } }, { name: "grace", ssh: { publicKeys: [OTHER_KEY] } }];
    expect(problemsOf({ ...withSsh(users, { host: "ssh.example.test", service: { loadBalancerIP: "192.168.50.21" } }), vault: vaultConfig().vault, culling: { maxAge: "12h" } })).toEqual([]);
  });
});

describe("timings that cannot hold", () => {
  it.each([60, "2m", "5m", "9m59s"])("refuses an idle timeout of %s, shorter than the activity reports allow", (idleTimeout) => {
    expectRefused({ ...minimalConfig(), culling: { idleTimeout } }, "jupyterhub:culling.idleTimeout", /every 300s.*at least 10m/);
  });

  it.each<[string, RawConfig, string, RegExp]>([
    ["maxAge plus the check interval outliving the token", vaultConfig({ userTokens: { maxTtl: "24h" } }), "jupyterhub:culling.maxAge", /culling.checkInterval.*maxTtl 86400s/],
    ["a token max TTL above Vault's 768h", vaultConfig({ userTokens: { ttl: "1h", maxTtl: "800h" } }), "jupyterhub:vault.userTokens.maxTtl", /longer than Vault grants.*768h/],
    ["a token TTL above Vault's 768h", vaultConfig({ userTokens: { ttl: "1000h", maxTtl: "1000h" } }), "jupyterhub:vault.userTokens.ttl", /longer than Vault grants/],
    ["a token max TTL above a tuned Vault's", vaultConfig({ userTokens: { maxTtl: "48h", vaultMaxTtl: "24h" } }), "jupyterhub:vault.userTokens.maxTtl", /vaultMaxTtl 86400s/],
    ["a Keycloak idle timeout longer than the session", { ...keycloakConfig(), keycloak: { ...(keycloakConfig().keycloak as RawConfig), createRealm: true, sessions: { idleTimeout: "8d", maxLifespan: "7d" } } }, "jupyterhub:keycloak.sessions.idleTimeout", /maxLifespan/],
  ])("refuses %s", (_, raw, key, message) => {
    const config = key === "jupyterhub:culling.maxAge" ? { ...raw, culling: { maxAge: "23h30m", checkInterval: "1h" } } : raw;
    expectRefused(config, key, message);
  });

  it("takes a server life inside the token's, and a max TTL raised with Vault's", () => {
    expect(problemsOf({ ...vaultConfig({ userTokens: { maxTtl: "24h" } }), culling: { maxAge: "23h", checkInterval: "10m", idleTimeout: "10m" } })).toEqual([]);
    expect(problemsOf(vaultConfig({ userTokens: { maxTtl: "1000h", vaultMaxTtl: "2000h" } }))).toEqual([]);
  });
});

describe("authorization by accident", () => {
  const keycloak = keycloakConfig().keycloak as RawConfig;

  it.each<[string, RawConfig, string, RegExp]>([
    ["the admin group given to a non-admin", { ...keycloakConfig(), users: [{ name: "ada", admin: true }, { name: "grace", groups: ["jupyterhub-admins"] }] }, "jupyterhub:users[1].groups[0]", /keycloak.adminGroup.*grace would be one/],
    ["a renamed admin group given to a non-admin", { ...keycloakConfig(), keycloak: { ...keycloak, adminGroup: "lab-admins" }, users: [{ name: "ada", admin: true }, { name: "grace", groups: ["lab", "lab-admins"] }] }, "jupyterhub:users[1].groups[1]", /hub admins/],
    ["the admin group as the user group", { ...keycloakConfig(), keycloak: { ...keycloak, adminGroup: "jupyterhub" } }, "jupyterhub:keycloak.adminGroup", /every user would be an admin/],
  ])("refuses %s", (_, raw, key, message) => {
    expectRefused(raw, key, message);
  });

  it.each(["gmail.com", "googlemail.com", "GMail.com", "example.org,gmail.com", "*", "@example.org", "https://example.org"])(
    "refuses the Google hosted domain %s",
    (hostedDomain) => {
      const google = { clientId: "1234.apps.googleusercontent.com", clientSecret: { env: "GOOGLE_SECRET" }, hostedDomain };
      expectRefused({ ...keycloakConfig(), keycloak: { ...keycloak, identityProviders: { google } } }, "jupyterhub:keycloak.identityProviders.google.hostedDomain", /consumer domain|turns Keycloak's domain check off|Workspace domain/);
    },
  );

  it("takes a Workspace domain, and the admin group for an admin", () => {
    const google = { clientId: "1234.apps.googleusercontent.com", clientSecret: { env: "GOOGLE_SECRET" }, hostedDomain: "example.org,lab.example.org" };
    expect(problemsOf({ ...keycloakConfig(), keycloak: { ...keycloak, identityProviders: { google } } })).toEqual([]);
    expect(problemsOf({ ...keycloakConfig(), users: [{ name: "ada", admin: true, groups: ["jupyterhub-admins"] }] })).toEqual([]);
  });
});

describe("images that do not have what the config says", () => {
  it.each(["quay.io/jupyter/scipy-notebook:2025-10-06", "jupyter/datascience-notebook:2023-10-20", "docker.io/jupyter/minimal-notebook:2023-10-20", "quay.io/jupyterhub/k8s-singleuser-sample:4.4.0"])(
    "refuses sshd: true on %s, which has no sshd",
    (image) => {
      const users = [{ name: "ada", ssh: { publicKeys: [KEY] } }];
      const raw = { ...withSsh(users), profiles: [profile({ default: true, image: { build: "base" } }), profile({ slug: "plain", image, sshd: true })] };
      expectRefused(raw, "jupyterhub:profiles[1].sshd", /has no sshd.*images\//);
    },
  );

  it.each(["ghcr.io/tg123/sshpiperd:v1.4.8", "ghcr.io/tg123/sshpiperd:v1.3.2", "farmer1992/sshpiperd:v1.2.0", "ghcr.io/tg123/sshpiperd:latest", "ghcr.io/tg123/sshpiperd"])(
    "refuses the sshpiperd image %s",
    (image) => {
      expectRefused({ ...withSsh([{ name: "ada", ssh: { publicKeys: [KEY] } }], { image }) }, "jupyterhub:ssh.image", /older than v1.5.0.*any password|floating tag|no tag/);
    },
  );

  it("takes a recent sshpiperd, and sshd: true on an image of your own", () => {
    const users = [{ name: "ada", ssh: { publicKeys: [KEY] } }];
    expect(problemsOf(withSsh(users, { image: "ghcr.io/tg123/sshpiperd:v1.6.1" }))).toEqual([]);
    expect(problemsOf({ ...withSsh(users), profiles: [profile({ default: true, image: "registry.example.test/me/notebook:1.0", sshd: true })] })).toEqual([]);
  });
});

describe("storage that cannot work as configured", () => {
  const nfsHomes = { type: "nfs", server: "192.168.50.20", path: "/export/jupyter/homes" };

  it.each<[string, RawConfig, string, RegExp]>([
    ["a share of the homes' parent", { ...minimalConfig(), storage: nfsHomes, sharedVolumes: [{ name: "all", server: "192.168.50.20", path: "/export/jupyter" }] }, "jupyterhub:sharedVolumes[0].path", /holds the users' homes/],
    ["a share of the whole export", { ...minimalConfig(), storage: nfsHomes, sharedVolumes: [{ name: "root", server: "192.168.50.20", path: "/" }] }, "jupyterhub:sharedVolumes[0].path", /every user's home/],
    ["a share of the homes themselves", { ...minimalConfig(), storage: nfsHomes, sharedVolumes: [{ name: "homes", server: "192.168.50.20", path: "/export/jupyter/homes/" }] }, "jupyterhub:sharedVolumes[0].path", /holds the users' homes/],
    ["a share inside one home", { ...minimalConfig(), storage: nfsHomes, sharedVolumes: [{ name: "ada", server: "192.168.50.20", path: "/export/jupyter/homes/ada" }] }, "jupyterhub:sharedVolumes[0].path", /is inside the users' homes/],
    ["a mount over /opt/conda", { ...minimalConfig(), sharedVolumes: [{ name: "envs", server: "192.168.50.20", path: "/export/conda", mountPath: "/opt/conda" }] }, "jupyterhub:sharedVolumes[0].mountPath", /hide the image's own \/opt\/conda/],
    ["a mount over the system CAs", { ...minimalConfig(), sharedVolumes: [{ name: "certs", server: "192.168.50.20", path: "/export/certs", mountPath: "/etc/ssl/certs" }] }, "jupyterhub:sharedVolumes[0].mountPath", /image's own \/etc/],
    ["a mount in /usr", { ...minimalConfig(), sharedVolumes: [{ name: "tools", server: "192.168.50.20", path: "/export/tools", mountPath: "/usr/local" }] }, "jupyterhub:sharedVolumes[0].mountPath", /\/usr/],
    ["homes on a Service's cluster DNS name", { ...minimalConfig(), storage: { ...nfsHomes, server: "nfs-server.storage.svc.cluster.local" } }, "jupyterhub:storage.server", /cluster DNS name.*mounted by the node/],
    ["homes on a short Service name", { ...minimalConfig(), storage: { ...nfsHomes, server: "nfs.storage.svc" } }, "jupyterhub:storage.server", /cluster DNS name/],
    ["a share on a Service's cluster DNS name", { ...minimalConfig(), sharedVolumes: [{ name: "data", server: "nfs.default.svc.cluster.local", path: "/data" }] }, "jupyterhub:sharedVolumes[0].server", /clusterIP/],
    ["deleteHomesOnDestroy on NFS homes", { ...minimalConfig(), storage: { ...nfsHomes, deleteHomesOnDestroy: true } }, "jupyterhub:storage.deleteHomesOnDestroy", /no effect on NFS homes.*192.168.50.20:\/export\/jupyter\/homes/],
  ])("refuses %s", (_, raw, key, message) => {
    expectRefused(raw, key, message);
  });

  it("takes a share beside the homes, a conda env inside /opt/conda, and NFS by address", () => {
    expect(
      problemsOf({
        ...minimalConfig(),
        storage: nfsHomes,
        sharedVolumes: [
          { name: "data", server: "192.168.50.20", path: "/export/jupyter/datasets" },
          { name: "envs", server: "nas.example.test", path: "/export/envs", mountPath: "/opt/conda/envs/team" },
        ],
      }),
    ).toEqual([]);
  });
});
