// The flows the product needs and the flows that must stay closed, between the pods and hosts of
// a cluster model (clusterModel.ts): what flows.test.ts proves against the rendered
// NetworkPolicies, and what the real-hub tier proves for the pods the real KubeSpawner sent.
import type { RenderedStack } from "../harness/renderStack";
import type { ClusterModel } from "./clusterModel";
import type { Endpoint, PodEndpoint, Protocol } from "./networkPolicy";

export interface NamedFlow {
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

