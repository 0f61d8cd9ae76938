// Every flow the product needs, proven allowed by the NetworkPolicies the real chart renders from
// each committed stack (for every supported chart version), and every flow that must stay closed,
// proven denied. Then the same flows over the chart's defaults, to show these tests would fail.
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { helmTemplate, type Manifest } from "../harness/helmTemplate";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { committedStacks, readStackConfig, type StackConfig } from "../harness/stackConfig";
import { clusterModel, type ClusterModel } from "./clusterModel";
import { apiServerEgressRule } from "../../components/ssh/gatewayObjects";
import { evaluateFlow, type Endpoint, type PodEndpoint, type Protocol } from "./networkPolicy";

interface NamedFlow {
  readonly name: string;
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  /** TCP unless given. */
  readonly protocol?: Protocol;
}

function firstAddress(cidr: string): string {
  return cidr.split("/")[0];
}

function sshClientIn(range: string, model: ClusterModel): Endpoint {
  return model.host("lanHost", firstAddress(range).replace(/\.0$/, ".7"));
}

/** Where Vault is in this model: the host its config names, or a pod in the vault namespace. */
function vaultEndpoint(rendered: RenderedStack, model: ClusterModel): { endpoint: Endpoint; port: number } | undefined {
  const vault = rendered.settings.vault;
  if (!vault?.networkPolicy) return undefined;
  const port = vault.networkPolicy.port ?? Number(new URL(vault.address).port || 443);
  if ("cidrs" in vault.networkPolicy) return { endpoint: model.host("lanHost", firstAddress(vault.networkPolicy.cidrs[0])), port };
  const pod: PodEndpoint = {
    kind: "pod",
    name: "vault-0",
    namespace: vault.networkPolicy.namespace,
    labels: { ...vault.networkPolicy.podLabels },
    ip: "10.42.4.40",
    ports: [{ name: "https", containerPort: port, protocol: "TCP" }],
  };
  return { endpoint: pod, port };
}

/** Where the API server is in this model: the address its ssh.apiServer names, else k3s's. */
function apiServerEndpoint(rendered: RenderedStack, model: ClusterModel): { endpoint: Endpoint; port: number } {
  const apiServer = rendered.settings.ssh.apiServer;
  if (apiServer && "cidrs" in apiServer) return { endpoint: model.host("apiServer", firstAddress(apiServer.cidrs[0])), port: apiServer.port ?? 6443 };
  return { endpoint: model.host("apiServer"), port: 6443 };
}

/** The flows the product needs: each must be allowed. */
export function neededFlows(rendered: RenderedStack, model: ClusterModel): NamedFlow[] {
  const [maria] = model.servers;
  const flows: NamedFlow[] = [
    { name: "proxy → server:8888", from: model.proxy, to: maria, port: 8888 },
    { name: "hub → server:8888", from: model.hub, to: maria, port: 8888 },
    { name: "server → hub:8081", from: maria, to: model.hub, port: 8081 },
    { name: "server → cluster DNS:53/UDP", from: maria, to: model.clusterDns, port: 53, protocol: "UDP" },
    { name: "server → cluster DNS:53/TCP", from: maria, to: model.clusterDns, port: 53, protocol: "TCP" },
  ];
  if (rendered.settings.keycloak) {
    flows.push({ name: "hub → Keycloak:443", from: model.hub, to: model.host("keycloak"), port: 443 });
  }
  const vault = vaultEndpoint(rendered, model);
  if (vault) {
    flows.push({ name: "hub → Vault", from: model.hub, to: vault.endpoint, port: vault.port });
    flows.push({ name: "server → Vault", from: maria, to: vault.endpoint, port: vault.port });
  }
  if (model.gateway) {
    for (const range of rendered.settings.ssh.sourceRanges) {
      // Through the gateway's LoadBalancer with externalTrafficPolicy: Local: the client's own address.
      flows.push({ name: `SSH client in ${range} → gateway:2222`, from: sshClientIn(range, model), to: model.gateway, port: 2222 });
    }
    flows.push({ name: "gateway → server sshd:2222", from: model.gateway, to: maria, port: 2222 });
    flows.push({ name: "gateway → cluster DNS:53/UDP", from: model.gateway, to: model.clusterDns, port: 53, protocol: "UDP" });
    const apiServer = apiServerEndpoint(rendered, model);
    flows.push({ name: "gateway → API server", from: model.gateway, to: apiServer.endpoint, port: apiServer.port });
  }
  return flows;
}

/** The flows that must stay closed: each must be denied. */
export function closedFlows(rendered: RenderedStack, model: ClusterModel): NamedFlow[] {
  const [maria, tomas] = model.servers;
  const flows: NamedFlow[] = [
    { name: "server → another server:8888", from: maria, to: tomas, port: 8888 },
    { name: "server → another server's sshd:2222", from: maria, to: tomas, port: 2222 },
    { name: "server → NAS nfs:2049", from: maria, to: model.host("nas"), port: 2049 },
    { name: "server → NAS rpcbind:111", from: maria, to: model.host("nas"), port: 111 },
    { name: "server → a LAN host's ssh:22", from: maria, to: model.host("lanHost"), port: 22 },
    { name: "server → Keycloak's host:443", from: maria, to: model.host("keycloak"), port: 443 },
    { name: "hub → server sshd:2222", from: model.hub, to: maria, port: 2222 },
    { name: "proxy → server sshd:2222", from: model.proxy, to: maria, port: 2222 },
    { name: "a pod of another namespace → server sshd:2222", from: model.podElsewhere, to: maria, port: 2222 },
    { name: "a pod of another namespace → server:8888", from: model.podElsewhere, to: maria, port: 8888 },
    { name: "a client outside the SSH ranges → server sshd:2222", from: model.host("outsideClient"), to: maria, port: 2222 },
    // DNS from the cluster's DNS pods only: any host that answers on 53 would be a way out.
    { name: "server → the LAN's resolver:53/UDP", from: maria, to: model.host("lanResolver"), port: 53, protocol: "UDP" },
    { name: "server → NAS:53/UDP", from: maria, to: model.host("nas"), port: 53, protocol: "UDP" },
    { name: "server → NAS:53/TCP", from: maria, to: model.host("nas"), port: 53, protocol: "TCP" },
    { name: "server → another kube-system pod:53/UDP", from: maria, to: model.kubeSystemPod, port: 53, protocol: "UDP" },
    { name: "server → another server:53/UDP", from: maria, to: tomas, port: 53, protocol: "UDP" },
  ];
  const vault = vaultEndpoint(rendered, model);
  if (vault && vault.endpoint.kind === "external") {
    flows.push({ name: "server → Vault's host on another port (22)", from: maria, to: vault.endpoint, port: 22 });
  }
  // Straight to a server, bypassing the gateway, even from a range the gateway admits.
  const inRange = rendered.settings.ssh.sourceRanges[0];
  flows.push({ name: "SSH client → server sshd:2222, around the gateway", from: inRange ? sshClientIn(inRange, model) : model.host("lanHost"), to: maria, port: 2222 });
  if (model.gateway) {
    flows.push(
      { name: "a client outside the SSH ranges → gateway:2222", from: model.host("outsideClient"), to: model.gateway, port: 2222 },
      { name: "a pod of another namespace → gateway:2222", from: model.podElsewhere, to: model.gateway, port: 2222 },
      { name: "gateway → server:8888", from: model.gateway, to: maria, port: 8888 },
      { name: "gateway → hub:8081", from: model.gateway, to: model.hub, port: 8081 },
      { name: "gateway → NAS nfs:2049", from: model.gateway, to: model.host("nas"), port: 2049 },
      { name: "gateway → the LAN's resolver:53/UDP", from: model.gateway, to: model.host("lanResolver"), port: 53, protocol: "UDP" },
    );
    if (rendered.settings.ssh.apiServer) {
      // The gateway reaches the API server it is told of, and no other private address.
      flows.push(
        { name: "gateway → NAS:443", from: model.gateway, to: model.host("nas"), port: 443 },
        { name: "gateway → a LAN host:6443", from: model.gateway, to: model.host("lanHost"), port: 6443 },
        { name: "gateway → Keycloak's host:443", from: model.gateway, to: model.host("keycloak"), port: 443 },
        { name: "gateway → another pod:6443", from: model.gateway, to: model.podElsewhere, port: 6443 },
      );
    }
  }
  return flows;
}

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
