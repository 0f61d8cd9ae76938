// Each committed stack through the real Zero to JupyterHub chart (helm template over an offline
// copy or the verified upstream archive, helmTemplate.ts), for every chart version the program
// supports: what the chart makes of the values where it transforms them (NetworkPolicies, the
// hub's Deployment, the hub Secret).
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { BUNDLE_FILE, CA_DIR, TRUST_DIR } from "../../components/trust/caBundleValues";
import { HUB_PYTHON_DIR } from "../../components/hub/hubPythonModule";
import { chartDirectory, helmTemplate, manifest, type Manifest } from "../harness/helmTemplate";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { committedStacks, readStackConfig } from "../harness/stackConfig";
import { hubSecretValues } from "../network/clusterModel";

const rendered = new Map<string, RenderedStack>();
const manifests = new Map<string, Manifest[]>();
const cases = committedStacks().flatMap((stack) => SUPPORTED_CHART_VERSIONS.map((version) => [stack, version] as const));

beforeAll(async () => {
  for (const stack of committedStacks()) {
    const stackRender = await renderStack(readStackConfig(stack), stack);
    rendered.set(stack, stackRender);
    for (const version of SUPPORTED_CHART_VERSIONS) {
      const { releaseName: release, namespace } = stackRender.settings.hub;
      manifests.set(`${stack}@${version}`, helmTemplate(stackRender.values, { release, namespace, chartVersion: version }));
    }
  }
});

const hubContainer = (all: Manifest[]) => manifest(all, "Deployment", "hub").spec.template.spec.containers[0];

describe.each(cases)("stack %s on chart %s", (stack, version) => {
  const all = () => manifests.get(`${stack}@${version}`)!;

  it("renders the chart's NetworkPolicies for the hub, the proxy and the servers", () => {
    const names = all().filter((m) => m.kind === "NetworkPolicy").map((m) => m.metadata.name).sort();
    expect(names).toEqual(expect.arrayContaining(["hub", "proxy", "singleuser"]));
  });

  it("keeps the servers' private-address and ingress-port defaults closed", () => {
    const singleuser = manifest(all(), "NetworkPolicy", "singleuser").spec;
    // The chart's privateIPs rule is an ipBlock for 10.0.0.0/8 on any port; it must not be there.
    const wholesalePrivate = singleuser.egress.filter(
      (rule: any) => !rule.ports && (rule.to ?? []).some((peer: any) => peer.ipBlock?.cidr === "10.0.0.0/8"),
    );
    expect(wholesalePrivate).toEqual([]);
    // allowedIngressPorts renders as a rule with ports and no `from`: open to every source.
    expect(singleuser.ingress.filter((rule: any) => !rule.from)).toEqual([]);
  });

  it("hands the hub the values it reads at run time, with no secret in them", () => {
    const values = hubSecretValues(all());
    expect(values.hub.consecutiveFailureLimit).toBe(0);
    expect(values.hub.config.KubeSpawner).toEqual({ delete_pvc: false });
    expect(JSON.stringify(values)).not.toMatch(/fixture-|render-placeholder/);
  });

  it("mounts every hub Python module where its extraConfig imports it from", () => {
    const mounts = hubContainer(all()).volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    const modules = Object.values((rendered.get(stack)!.values.hub as any).extraFiles ?? {}) as { mountPath: string }[];
    for (const { mountPath } of modules) {
      expect(mountPath.startsWith(HUB_PYTHON_DIR)).toBe(true);
      expect(mounts).toContain(mountPath);
    }
  });
});

describe.each(SUPPORTED_CHART_VERSIONS)("homelab on chart %s", (version) => {
  const all = () => manifests.get(`homelab@${version}`)!;

  it("opens notebooks → Vault on its address and port only, and sshd only to the SSH gateway's pods", () => {
    const { ingress, egress } = manifest(all(), "NetworkPolicy", "singleuser").spec;
    expect(egress).toContainEqual({ to: [{ ipBlock: { cidr: "192.168.50.10/32" } }], ports: [{ port: 8200, protocol: "TCP" }] });
    expect(ingress).toContainEqual({
      from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "sshpiperd", "app.kubernetes.io/instance": "jupyterhub", "app.kubernetes.io/component": "ssh-gateway", "app.kubernetes.io/part-of": "jupyterhub" } } }],
      ports: [{ port: 2222, protocol: "TCP" }],
    });
  });

  it("gives the hub its Keycloak client secret from the program's Secret, never from the values", () => {
    const env = hubContainer(all()).env as { name: string; value?: string; valueFrom?: unknown }[];
    expect(env.find((e) => e.name === "OAUTH_CLIENT_SECRET")).toEqual({
      name: "OAUTH_CLIENT_SECRET",
      valueFrom: { secretKeyRef: { name: "jupyterhub-hub-env", key: "OAUTH_CLIENT_SECRET" } },
    });
  });

  it("mounts the homelab CA into the hub, and a writable place for its combined bundle", () => {
    const deployment = manifest(all(), "Deployment", "hub").spec.template.spec;
    expect(deployment.volumes).toContainEqual({ name: "ca-bundle", configMap: { name: "jupyterhub-ca-bundle", items: [{ key: "ca.crt", path: "ca.crt" }] } });
    expect(deployment.volumes).toContainEqual({ name: "ca-trust", emptyDir: { medium: "Memory", sizeLimit: "4Mi" } });
    expect(hubContainer(all()).volumeMounts).toEqual(
      expect.arrayContaining([
        { name: "ca-bundle", mountPath: CA_DIR, readOnly: true },
        { name: "ca-trust", mountPath: TRUST_DIR },
      ]),
    );
  });

  it("serves HTTPS with the certificate cert-manager writes for the stack's Certificate", () => {
    const proxy = manifest(all(), "Deployment", "proxy").spec.template.spec;
    const tls = proxy.volumes.find((v: { secret?: { secretName: string } }) => v.secret);
    expect(tls.secret.secretName).toBe("jupyterhub-tls");
    const certificate = rendered.get("homelab")!.resources.find((r) => r.type === "kubernetes:cert-manager.io/v1:Certificate")!;
    expect(certificate.inputs).toMatchObject({ spec: { secretName: "jupyterhub-tls", dnsNames: ["jupyter.home.arpa"] } });
  });

  it("points every server's clients at the combined CA bundle", () => {
    const values = hubSecretValues(all());
    expect(values.singleuser.extraEnv).toMatchObject({ SSL_CERT_FILE: BUNDLE_FILE, REQUESTS_CA_BUNDLE: BUNDLE_FILE, VAULT_CACERT: `${CA_DIR}/ca.crt` });
  });
});

it("says loudly where the real chart should be when no copy is at hand, instead of skipping", () => {
  const saved = { charts: process.env.Z2JH_CHARTS, cache: process.env.JUPYTERHUB_PULUMI_CACHE };
  process.env.Z2JH_CHARTS = "/nonexistent/shared/z2jh";
  process.env.JUPYTERHUB_PULUMI_CACHE = "/nonexistent/cache";
  try {
    expect(() => chartDirectory("4.4.0")).toThrow(
      "the real Z2JH chart 4.4.0 is neither in an offline copy (Z2JH_CHARTS or ../shared/z2jh) nor in the test cache /nonexistent/cache",
    );
  } finally {
    for (const [key, value] of [["Z2JH_CHARTS", saved.charts], ["JUPYTERHUB_PULUMI_CACHE", saved.cache]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});
