// HTTPS and a homelab's own CA under mocks: what the program declares and hands the chart.
import * as fs from "fs";
import * as path from "path";
import { BUNDLE_FILE, CA_FILE, trustInitContainer } from "../../components/trust/caBundleValues";
import { HOME_OWNER_IMAGE } from "../../components/storage/homeVolumes";
import { SettingsError } from "../../settings/SettingsError";
import { renderStack, RELEASE_TYPE, type RenderedStack } from "../harness/renderStack";
import { PROJECT_ROOT } from "../harness/stackConfig";
import { FIXTURE_CA_CERTIFICATE } from "../harness/invokeFixtures";
import { asStackConfig, minimalConfig, type RawConfig } from "../fixtures/configs";
import { vaultConfig } from "../fixtures/vaultConfig";

const TEST_CA = "tests/fixtures/test-ca.pem";
const render = (overrides: RawConfig) => renderStack(asStackConfig({ ...minimalConfig(), ...overrides }));
const release = ({ resources }: RenderedStack) => resources.find((r) => r.type === RELEASE_TYPE)!;

describe("https.type certManager", () => {
  let stack: RenderedStack;
  beforeAll(async () => {
    stack = await render({ https: { type: "certManager", issuer: { name: "homelab-ca" } } });
  });

  it("declares cert-manager's Certificate for the host in the hub's namespace, waited on until Ready", () => {
    const certificate = stack.resources.find((r) => r.type === "kubernetes:cert-manager.io/v1:Certificate")!;
    expect(certificate.parent).toBe("jupyterhub:trust:HubCertificate::jupyterhub-tls");
    expect(certificate.provider).toBe("pulumi:providers:kubernetes::kubernetes");
    expect(certificate.inputs).toMatchObject({
      metadata: { name: "jupyterhub-tls", namespace: "jupyterhub", annotations: { "pulumi.com/waitFor": "condition=Ready" } },
      spec: {
        secretName: "jupyterhub-tls",
        dnsNames: ["hub.example.test"],
        issuerRef: { name: "homelab-ca", kind: "ClusterIssuer", group: "cert-manager.io" },
      },
    });
  });

  it("installs the hub only after the Certificate, serving the Secret cert-manager writes", () => {
    expect(release(stack).dependsOn).toContain("kubernetes:cert-manager.io/v1:Certificate::jupyterhub-tls");
    expect(stack.values.proxy).toMatchObject({ https: { enabled: true, type: "secret", hosts: ["hub.example.test"], secret: { name: "jupyterhub-tls" } } });
  });
});

describe("caBundle", () => {
  it("from a file: a ConfigMap with the PEM in plain sight (a CA certificate is public), made before the hub", async () => {
    const stack = await render({ caBundle: { file: TEST_CA } });
    const configMap = stack.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!;
    expect(configMap.inputs).toMatchObject({
      metadata: { name: "jupyterhub-ca-bundle", namespace: "jupyterhub" },
      data: { "ca.crt": fs.readFileSync(path.join(PROJECT_ROOT, TEST_CA), "utf8") },
    });
    expect(release(stack).dependsOn).toContain("kubernetes:core/v1:ConfigMap::jupyterhub-ca");
  });

  it("from 1Password: the item's notes, checked to be a certificate", async () => {
    const stack = await render({ caBundle: { onePassword: { vault: "v", item: "Homelab root CA" } } });
    const configMap = stack.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap")!;
    expect((configMap.inputs.data as Record<string, string>)["ca.crt"]).toBe(FIXTURE_CA_CERTIFICATE);
  });

  it("from a ConfigMap that exists: nothing declared, the servers and hub mount it", async () => {
    const stack = await render({ caBundle: { configMap: { name: "homelab-ca", key: "root.pem" } } });
    expect(stack.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap")).toEqual([]);
    const source = { name: "ca-bundle", configMap: { name: "homelab-ca", items: [{ key: "root.pem", path: "ca.crt" }] } };
    expect((stack.values.hub as any).extraVolumes).toContainEqual(source);
    expect((stack.values.singleuser as any).storage.extraVolumes).toContainEqual(source);
  });

  it("a missing file fails before anything is declared", async () => {
    await expect(render({ caBundle: { file: "no/such/ca.pem" } })).rejects.toThrow(SettingsError);
  });

  it("writes each profile's combined bundle with that profile's own image, after the home owner on NFS", async () => {
    const stack = await render({
      caBundle: { file: TEST_CA },
      storage: { type: "nfs", server: "nas.example.test", path: "/export/homes" },
    });
    const singleuser = stack.values.singleuser as any;
    const [profile] = singleuser.profileList;
    expect(profile.kubespawner_override.init_containers.map((c: { name: string; image: string }) => [c.name, c.image])).toEqual([
      ["home-owner", HOME_OWNER_IMAGE],
      ["ca-trust", "quay.io/jupyter/minimal-notebook:2025-10-06"],
    ]);
    expect(singleuser.initContainers).toEqual(profile.kubespawner_override.init_containers);
    expect(singleuser.extraEnv).toMatchObject({ SSL_CERT_FILE: BUNDLE_FILE, CURL_CA_BUNDLE: BUNDLE_FILE, GIT_SSL_CAINFO: BUNDLE_FILE, VAULT_CACERT: CA_FILE });
  });

  it("hands the hub's Vault hook the CA file", async () => {
    const stack = await renderStack(asStackConfig({ ...vaultConfig(), caBundle: { file: TEST_CA } }));
    expect((stack.values.custom as any).vault.caFile).toBe(CA_FILE);
  });
});

describe("the trust init container, run for real", () => {
  const scratch = fs.mkdtempSync(path.join(require("os").tmpdir(), "ca-trust-"));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  // Runs the container's script with the image's paths moved under a scratch directory.
  function run(systemBundles: Record<string, string>): { status: number | null; bundle?: string; stderr: string } {
    const container = trustInitContainer("any-image");
    const root = fs.mkdtempSync(path.join(scratch, "root-"));
    const relocate = (p: string) => path.join(root, p);
    for (const [file, text] of Object.entries(systemBundles)) {
      fs.mkdirSync(path.dirname(relocate(file)), { recursive: true });
      fs.writeFileSync(relocate(file), text);
    }
    fs.mkdirSync(path.dirname(relocate(CA_FILE)), { recursive: true });
    fs.writeFileSync(relocate(CA_FILE), "HOMELAB CA\n");
    fs.mkdirSync(path.dirname(relocate(BUNDLE_FILE)), { recursive: true });
    const script = (container.command as string[])[2].replace(/(\/etc\/[\w./-]+)/g, (p) => relocate(p));
    const result = require("child_process").spawnSync("sh", ["-c", script], { encoding: "utf8" });
    const bundle = fs.existsSync(relocate(BUNDLE_FILE)) ? fs.readFileSync(relocate(BUNDLE_FILE), "utf8") : undefined;
    return { status: result.status, bundle, stderr: result.stderr };
  }

  it("puts the image's public CAs first and the homelab CA after them", () => {
    expect(run({ "/etc/ssl/certs/ca-certificates.crt": "PUBLIC CAS\n" })).toEqual({ status: 0, bundle: "PUBLIC CAS\nHOMELAB CA\n", stderr: "" });
  });

  it("finds the bundle where RHEL-family images keep it", () => {
    expect(run({ "/etc/pki/tls/certs/ca-bundle.crt": "RHEL CAS\n" }).bundle).toBe("RHEL CAS\nHOMELAB CA\n");
  });

  it("fails the server's start, saying why, in an image without public CAs", () => {
    const result = run({});
    expect(result.status).toBe(1);
    expect(result.bundle).toBeUndefined();
    expect(result.stderr).toMatch(/no public CA bundle in this image/);
  });
});
