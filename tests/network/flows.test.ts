// Every flow the product needs, proven allowed by the NetworkPolicies the real chart renders from
// each committed stack (for every supported chart version), and every flow that must stay closed,
// proven denied. Then the same flows over the chart's defaults, to show these tests would fail.
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { helmTemplate, type Manifest } from "../harness/helmTemplate";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { committedStacks, readStackConfig, type StackConfig } from "../harness/stackConfig";
import { clusterModel, type ClusterModel } from "./clusterModel";
import { apiServerEgressRule } from "../../components/ssh/gatewayObjects";
import { evaluateFlow, type PodEndpoint } from "./networkPolicy";
import { closedFlows, neededFlows, type NamedFlow } from "./productFlows";

function verdictOf(model: ClusterModel, flow: NamedFlow) {
  return evaluateFlow({ from: flow.from, to: flow.to, port: flow.port, protocol: flow.protocol }, model.policies, model.namespaces, model.namespace);
}

function templateModel(rendered: RenderedStack, chartVersion: string, values = rendered.values): ClusterModel {
  const { releaseName: release, namespace } = rendered.settings.hub;
  const manifests: Manifest[] = helmTemplate(values, { release, namespace, chartVersion });
  return clusterModel(rendered, manifests);
}

const rendered = new Map<string, RenderedStack>();
beforeAll(async () => {
  for (const stack of committedStacks()) rendered.set(stack, await renderStack(readStackConfig(stack), stack));
});

const cases = committedStacks().flatMap((stack) => SUPPORTED_CHART_VERSIONS.map((version) => [stack, version] as const));

describe.each(cases)("stack %s on chart %s", (stack, chartVersion) => {
  let model: ClusterModel;
  beforeAll(() => {
    model = templateModel(rendered.get(stack)!, chartVersion);
  });

  it("allows every flow the product needs", () => {
    const denied = neededFlows(rendered.get(stack)!, model)
      .map((flow) => ({ flow: flow.name, verdict: verdictOf(model, flow) }))
      .filter(({ verdict }) => !verdict.allowed);
    expect(denied).toEqual([]);
  });

  it("denies every flow that must stay closed", () => {
    const allowed = closedFlows(rendered.get(stack)!, model)
      .map((flow) => ({ flow: flow.name, verdict: verdictOf(model, flow) }))
      .filter(({ verdict }) => verdict.allowed);
    expect(allowed).toEqual([]);
  });
});

describe("the flow tests fail when the chart's defaults come back (homelab, chart 4.4.0)", () => {
  const withSingleuser = (patch: (singleuser: Record<string, any>) => void) => {
    const homelab = rendered.get("homelab")!;
    const values = structuredClone(homelab.values) as Record<string, any>;
    patch(values.singleuser);
    return { homelab, model: templateModel(homelab, "4.4.0", values) };
  };
  const deniedNeeded = ({ homelab, model }: { homelab: RenderedStack; model: ClusterModel }) =>
    neededFlows(homelab, model).filter((flow) => !verdictOf(model, flow).allowed).map((flow) => flow.name);
  const allowedClosed = ({ homelab, model }: { homelab: RenderedStack; model: ClusterModel }) =>
    closedFlows(homelab, model).filter((flow) => verdictOf(model, flow).allowed).map((flow) => flow.name);

  it("without the servers' rules, notebooks lose Vault and the gateway cannot reach sshd", () => {
    const denied = deniedNeeded(withSingleuser((singleuser) => delete singleuser.networkPolicy));
    expect(denied).toEqual(["server → Vault", "gateway → server sshd:2222"]);
  });

  it("without the Vault rule alone, only notebooks → Vault is denied", () => {
    const withoutVault = withSingleuser((singleuser) => {
      singleuser.networkPolicy.egress = singleuser.networkPolicy.egress.filter((rule: any) => !rule.ports.some((p: any) => p.port === 8200));
    });
    expect(deniedNeeded(withoutVault)).toEqual(["server → Vault"]);
  });

  it("without the cluster DNS rule, notebooks resolve nothing", () => {
    const withoutDns = withSingleuser((singleuser) => {
      singleuser.networkPolicy.egress = singleuser.networkPolicy.egress.filter((rule: any) => !rule.ports.some((p: any) => p.port === 53));
    });
    expect(deniedNeeded(withoutDns)).toEqual(["server → cluster DNS:53/UDP", "server → cluster DNS:53/TCP"]);
  });

  it("with the chart's DNS rules back, notebooks reach port 53 on every private address and every kube-system pod", () => {
    const opened = allowedClosed(withSingleuser((singleuser) => delete singleuser.networkPolicy.egressAllowRules));
    expect(opened).toEqual([
      "server → the LAN's resolver:53/UDP",
      "server → NAS:53/UDP",
      "server → NAS:53/TCP",
      "server → another kube-system pod:53/UDP",
    ]);
  });

  it("without ssh.apiServer, the gateway may reach every private address on 443 and 6443", () => {
    const homelab = rendered.get("homelab")!;
    const model = templateModel(homelab, "4.4.0");
    const policies = model.policies.map((policy) =>
      policy.metadata.name === "jupyterhub-ssh-gateway"
        ? { ...policy, spec: { ...policy.spec, egress: policy.spec.egress.map((rule: any, i: number, all: unknown[]) => (i === all.length - 1 ? apiServerEgressRule({}) : rule)) } }
        : policy,
    );
    const opened = closedFlows(homelab, model)
      .filter((flow) => verdictOf({ ...model, policies }, flow).allowed)
      .map((flow) => flow.name);
    expect(opened).toEqual(["gateway → NAS:443", "gateway → a LAN host:6443", "gateway → Keycloak's host:443", "gateway → another pod:6443"]);
  });

  it("opening private addresses wholesale (privateIPs: true) opens the NAS, the LAN and Keycloak to notebooks", () => {
    const opened = allowedClosed(withSingleuser((singleuser) => (singleuser.networkPolicy.egressAllowRules = { privateIPs: true })));
    expect(opened).toEqual(
      expect.arrayContaining(["server → NAS nfs:2049", "server → a LAN host's ssh:22", "server → Keycloak's host:443"]),
    );
  });

  it("without the gateway's own NetworkPolicy, any pod could reach the gateway", () => {
    const homelab = rendered.get("homelab")!;
    const model = templateModel(homelab, "4.4.0");
    const withoutGatewayPolicy = { ...model, policies: model.policies.filter((p) => p.metadata.name !== "jupyterhub-ssh-gateway") };
    const flow = closedFlows(homelab, model).find((f) => f.name === "a pod of another namespace → gateway:2222")!;
    expect(verdictOf(model, flow).allowed).toBe(false);
    expect(verdictOf(withoutGatewayPolicy, flow).allowed).toBe(true);
  });

  it("opening sshd by port alone (allowedIngressPorts) lets every pod and every client reach it", () => {
    const opened = allowedClosed(
      withSingleuser((singleuser) => {
        delete singleuser.networkPolicy.ingress;
        singleuser.networkPolicy.allowedIngressPorts = [2222];
      }),
    );
    expect(opened).toEqual(
      expect.arrayContaining(["a pod of another namespace → server sshd:2222", "SSH client → server sshd:2222, around the gateway", "hub → server sshd:2222"]),
    );
  });
});

describe("Vault inside the cluster (homelab with Vault's pods in namespace vault)", () => {
  let homelab: RenderedStack;
  let model: ClusterModel;
  const vaultPod = (labels: Record<string, string>, namespace = "vault"): PodEndpoint => ({
    kind: "pod",
    name: "vault-0",
    namespace,
    labels,
    ip: "10.42.4.40",
    ports: [{ name: "https", containerPort: 8200, protocol: "TCP" }],
  });
  beforeAll(async () => {
    const config: StackConfig = structuredClone(readStackConfig("homelab")) as Record<string, any>;
    const vault = (config as Record<string, any>)["jupyterhub:vault"];
    vault.address = "https://vault.vault.svc:8200";
    vault.networkPolicy = { namespace: "vault", podLabels: { "app.kubernetes.io/name": "vault" } };
    homelab = await renderStack(config, "homelab");
    model = templateModel(homelab, "4.4.0");
  });

  it("lets notebooks reach Vault's pods on 8200, and nothing else in that namespace", () => {
    const [maria] = model.servers;
    const allowed = (to: PodEndpoint, port = 8200) => verdictOf(model, { name: "", from: maria, to, port }).allowed;
    expect(allowed(vaultPod({ "app.kubernetes.io/name": "vault" }))).toBe(true);
    expect(allowed(vaultPod({ "app.kubernetes.io/name": "vault" }), 8201)).toBe(false);
    expect(allowed(vaultPod({ "app.kubernetes.io/name": "vault-agent-injector" }))).toBe(false);
    expect(allowed(vaultPod({ "app.kubernetes.io/name": "vault" }, "other-app"))).toBe(false);
  });
});
