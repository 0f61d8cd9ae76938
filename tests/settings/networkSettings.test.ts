// Settings that the cluster's network and trust depend on: address ranges, where Vault is for the
// servers' NetworkPolicy, the SSH client ranges, the CA bundle and cert-manager HTTPS.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isCidr } from "../../settings/networkSchema";
import { caBundleFileProblems } from "../../components/trust/caBundleValues";
import { parseSettings } from "../../settings";
import { keycloakConfig, minimalConfig, SSHD_IMAGE, type RawConfig } from "../fixtures/configs";
import { problemsOf } from "../fixtures/problemsOf";
import { vaultConfig } from "../fixtures/vaultConfig";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm4lCq0hGqkqz3y2m0d0H6b2Yb1m9Jm1p8x3xk0aDa1 ada@laptop";

describe("CIDR ranges", () => {
  it.each(["192.168.0.0/16", "10.8.0.0/24", "192.168.50.10/32", "0.0.0.0/0", "fd00::/8", "2001:db8::1/128"])("accepts %s", (range) => {
    expect(isCidr(range)).toBe(true);
  });

  it.each(["home", "192.168.0.0", "192.168.0.0/33", "300.1.1.1/8", "10.0.0/8", "fd00::/129", "192.168.0.0/16 "])("rejects %j", (range) => {
    expect(isCidr(range)).toBe(false);
  });
});

describe("vault.networkPolicy", () => {
  it("is required, naming the key and what to write", () => {
    const config = vaultConfig();
    delete (config.vault as RawConfig).networkPolicy;
    expect(problemsOf(config)).toEqual([
      expect.stringMatching(/^jupyterhub:vault\.networkPolicy: is required: say where https:\/\/vault\.example\.test:8200 is, as \{ cidrs/),
    ]);
  });

  it("takes address ranges or Vault's pods in their namespace, with the port of the URL by default", () => {
    expect(parseSettings(vaultConfig({ networkPolicy: { cidrs: ["192.168.50.10/32"] } })).vault?.networkPolicy).toEqual({ cidrs: ["192.168.50.10/32"] });
    const inCluster = { namespace: "vault", podLabels: { "app.kubernetes.io/name": "vault" }, port: 8200 };
    expect(parseSettings(vaultConfig({ networkPolicy: inCluster })).vault?.networkPolicy).toEqual(inCluster);
  });

  it("rejects a hostname where a range belongs, and a selector with no labels", () => {
    expect(problemsOf(vaultConfig({ networkPolicy: { cidrs: ["vault.home.arpa"] } }))).toEqual([
      "jupyterhub:vault.networkPolicy.cidrs[0]: must be a CIDR range such as 192.168.0.0/16 or fd00::/8 (address/prefix length)",
    ]);
    expect(problemsOf(vaultConfig({ networkPolicy: { namespace: "vault", podLabels: {} } }))).toEqual([
      "jupyterhub:vault.networkPolicy.podLabels: name at least one label",
    ]);
  });
});

describe("ssh.sourceRanges", () => {
  const withKeys = (ssh?: RawConfig): RawConfig => {
    const config = minimalConfig();
    const profiles = (config.profiles as RawConfig[]).map((p) => ({ ...p, image: SSHD_IMAGE, sshd: true }));
    return { ...config, profiles, users: [{ name: "ada", ssh: { publicKeys: [KEY] } }], ...(ssh ? { ssh } : {}) };
  };

  it("is required once a user has keys: sshd is admitted only from these ranges", () => {
    expect(problemsOf(withKeys())).toEqual([expect.stringMatching(/^jupyterhub:ssh\.sourceRanges: is required when users have SSH keys/)]);
    expect(problemsOf(withKeys({ sourceRanges: ["192.168.0.0/16"] }))).toEqual([]);
  });

  it("is not needed without keys, and must hold real ranges", () => {
    expect(problemsOf(minimalConfig())).toEqual([]);
    expect(problemsOf(withKeys({ sourceRanges: ["192.168.0.0/40"] }))).toEqual([
      "jupyterhub:ssh.sourceRanges[0]: must be a CIDR range such as 192.168.0.0/16 or fd00::/8 (address/prefix length)",
    ]);
  });
});

describe("https.type certManager", () => {
  it("takes an issuer, a ClusterIssuer by default", () => {
    const settings = parseSettings({ ...minimalConfig(), https: { type: "certManager", issuer: { name: "homelab-ca" } } });
    expect(settings.https).toEqual({ type: "certManager", issuer: { name: "homelab-ca", kind: "ClusterIssuer" } });
  });

  it("cannot issue for localhost", () => {
    const config = { ...minimalConfig(), hub: { host: "localhost" }, https: { type: "certManager", issuer: { name: "ca" } } };
    expect(problemsOf(config)).toEqual(["jupyterhub:https.type: a certificate for 'localhost' cannot be issued; set hub.host to the hub's DNS name"]);
  });
});

describe("caBundle", () => {
  it.each<[string, RawConfig]>([
    ["a file", { file: "certs/ca.pem" }],
    ["a ConfigMap, key ca.crt by default", { configMap: { name: "homelab-ca" } }],
    ["a Secret", { secret: { name: "homelab-ca", key: "tls.crt" } }],
    ["a 1Password item, its notes by default", { onePassword: { vault: "v", item: "Homelab root CA" } }],
  ])("takes %s", (_, caBundle) => {
    expect(problemsOf({ ...minimalConfig(), caBundle })).toEqual([]);
  });

  it("names the forms it takes when given something else", () => {
    expect(problemsOf({ ...minimalConfig(), caBundle: { url: "https://ca.home.arpa/ca.crt" } })).toEqual([
      "jupyterhub:caBundle: must be one of { file }, { configMap: { name, key } }, { secret: { name, key } }, { onePassword: { vault, item, field } }",
    ]);
  });

  describe("from a file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ca-bundle-"));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, "ca.pem"), fs.readFileSync(path.join(__dirname, "..", "fixtures", "test-ca.pem")));
    fs.writeFileSync(path.join(dir, "empty.pem"), "\n");

    it("accepts a PEM certificate, relative to the project directory", () => {
      expect(caBundleFileProblems({ file: "ca.pem" }, dir)).toEqual([]);
    });

    it("fails before anything is created when the file is missing or holds no certificate", () => {
      expect(caBundleFileProblems({ file: "missing.pem" }, dir)).toEqual([
        { key: "jupyterhub:caBundle.file", message: "missing.pem does not exist (paths are relative to the project directory)" },
      ]);
      expect(caBundleFileProblems({ file: "empty.pem" }, dir)).toEqual([
        { key: "jupyterhub:caBundle.file", message: "empty.pem holds no PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)" },
      ]);
    });
  });
});

describe("quantities", () => {
  it("takes numbers where Kubernetes does, as their decimal text", () => {
    const config = minimalConfig();
    const [first] = config.profiles as RawConfig[];
    const settings = parseSettings({ ...config, profiles: [{ ...first, cpu: { guarantee: 0.5, limit: 1 }, memory: { limit: 1073741824 } }] });
    expect(settings.profiles[0].cpu).toEqual({ guarantee: "0.5", limit: "1" });
    expect(settings.profiles[0].memory).toEqual({ limit: "1073741824" });
  });

  it("still names the key of a quantity that is neither", () => {
    const config = minimalConfig();
    const [first] = config.profiles as RawConfig[];
    expect(problemsOf({ ...config, profiles: [{ ...first, cpu: { limit: true } }] })).toEqual([
      expect.stringMatching(/^jupyterhub:profiles\[0\]\.cpu\.limit: /),
    ]);
  });
});

describe("values other systems would refuse or misread", () => {
  const share = (name: string, mountPath?: string) => ({ name, server: "nas.example.test", path: `/export/${name}`, ...(mountPath ? { mountPath } : {}) });

  it("refuses shared volumes over the home, the program's own mounts, or each other", () => {
    expect(
      problemsOf({
        ...minimalConfig(),
        sharedVolumes: [share("home", "/home/jovyan"), share("root", "/home"), share("etc", "/etc/jupyterhub/ssh"), share("data", "/srv/data"), share("sub", "/srv/data/sub")],
      }),
    ).toEqual([
      "jupyterhub:sharedVolumes[0].mountPath: /home/jovyan would hide the home directory /home/jovyan; mount shared data beside it or inside it, e.g. /srv/shared/<name> or /home/jovyan/<name>",
      "jupyterhub:sharedVolumes[1].mountPath: /home would hide the home directory /home/jovyan; mount shared data beside it or inside it, e.g. /srv/shared/<name> or /home/jovyan/<name>",
      "jupyterhub:sharedVolumes[1].mountPath: /home collides with sharedVolumes[0] at /home/jovyan",
      "jupyterhub:sharedVolumes[2].mountPath: /etc/jupyterhub/ssh collides with /etc/jupyterhub, where the program mounts its own files",
      "jupyterhub:sharedVolumes[4].mountPath: /srv/data/sub collides with sharedVolumes[3] at /srv/data",
    ]);
    expect(problemsOf({ ...minimalConfig(), sharedVolumes: [share("a"), share("b", "/srv/b"), share("models", "/home/jovyan/models")] })).toEqual([]);
  });

  it("refuses a Vault token TTL longer than its max", () => {
    expect(problemsOf(vaultConfig({ userTokens: { ttl: "48h", maxTtl: "24h" } }))).toEqual([
      "jupyterhub:vault.userTokens.ttl: 172800s is longer than userTokens.maxTtl 86400s",
    ]);
  });

  it("refuses one Keycloak group for users and admins", () => {
    const config = keycloakConfig();
    const keycloak = { ...(config.keycloak as RawConfig), userGroup: "staff", adminGroup: "staff" };
    expect(problemsOf({ ...config, keycloak })).toEqual([
      "jupyterhub:keycloak.adminGroup: is keycloak.userGroup as well ('staff'): every user would be an admin",
    ]);
  });
});

describe("local login, by who can reach the hub", () => {
  const local = (authenticator: string, service: string) => ({
    ...minimalConfig(),
    hub: { host: "hub.example.test", service: { type: service } },
    auth: { type: "local", authenticator },
  });

  it("allows dummy only behind port-forward", () => {
    expect(problemsOf(local("dummy", "ClusterIP"))).toEqual([]);
    expect(problemsOf(local("dummy", "LoadBalancer"))).toEqual([
      "jupyterhub:auth.authenticator: dummy accepts any password for any user; it is only allowed when the hub is reached through kubectl port-forward (hub.service.type ClusterIP), not a LoadBalancer",
    ]);
  });

  it("leaves first-use passwords to the advisory policy (first-use-over-https)", () => {
    expect(problemsOf(local("firstuse", "NodePort"))).toEqual([]);
  });
});
