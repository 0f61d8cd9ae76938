// The pods and hosts of a small cluster running one rendered stack, for the flow tests: the hub and
// proxy pods as the real chart's Deployments label them, user servers as the chart's
// jupyterhub_config.py and KubeSpawner label them, and the homelab's LAN around them.
import * as jsYaml from "js-yaml";
import type { RenderedStack } from "../harness/renderStack";
import { manifest, type Manifest } from "../harness/helmTemplate";
import type { ExternalEndpoint, NamespaceInfo, NetworkPolicy, PodEndpoint } from "./networkPolicy";

/** k3s defaults: pods in 10.42.0.0/16. The LAN is 192.168.50.0/24. */
export const ADDRESSES = {
  hub: "10.42.0.10",
  proxy: "10.42.0.11",
  serverOfMaria: "10.42.1.20",
  serverOfTomas: "10.42.2.21",
  gateway: "10.42.0.12",
  podElsewhere: "10.42.3.30",
  keycloak: "192.168.50.11",
  nas: "192.168.50.5",
  /** k3s's API server (Pulumi.homelab.yaml ssh.apiServer). */
  apiServer: "192.168.50.2",
  /** The LAN router's DNS resolver. */
  lanResolver: "192.168.50.1",
  clusterDns: "10.42.0.3",
  kubeSystemPod: "10.42.0.4",
  lanHost: "192.168.50.40",
  outsideClient: "203.0.113.9",
  publicHost: "151.101.0.223",
} as const;

export interface ClusterModel {
  readonly namespace: string;
  readonly namespaces: NamespaceInfo[];
  readonly policies: NetworkPolicy[];
  readonly hub: PodEndpoint;
  readonly proxy: PodEndpoint;
  /** Two users' servers, with the ports the product's servers listen on. */
  readonly servers: [PodEndpoint, PodEndpoint];
  /** A pod of another application in another namespace. */
  readonly podElsewhere: PodEndpoint;
  /** CoreDNS as k3s deploys it (manifests/coredns.yaml): kube-system, k8s-app: kube-dns. */
  readonly clusterDns: PodEndpoint;
  /** Another kube-system pod (metrics-server), which has no business answering DNS. */
  readonly kubeSystemPod: PodEndpoint;
  /** The SSH gateway's pod, as the program's Deployment labels it; absent without SSH users. */
  readonly gateway?: PodEndpoint;
  readonly host: (name: keyof typeof ADDRESSES, ip?: string) => ExternalEndpoint;
}

function podOf(deployment: Manifest, name: string, namespace: string, ip: string): PodEndpoint {
  const template = deployment.spec.template;
  const ports = template.spec.containers.flatMap((c: { ports?: { name?: string; containerPort: number; protocol?: string }[] }) => c.ports ?? []);
  return { kind: "pod", name, namespace, labels: { ...template.metadata.labels }, ip, ports };
}

/**
 * A user server's labels as the chart's files/hub/jupyterhub_config.py sets them (common_labels:
 * app, release, the app.kubernetes.io ones; singleuser.extraLabels) plus KubeSpawner's own
 * (component: singleuser-server, the username and server name), read from the hub Secret's values.
 */
function serverOf(username: string, release: string, namespace: string, ip: string, chartValues: any): PodEndpoint {
  const extraLabels = chartValues.singleuser?.extraLabels ?? {};
  return {
    kind: "pod",
    name: `jupyter-${username}`,
    namespace,
    ip,
    labels: {
      app: "jupyterhub",
      "app.kubernetes.io/name": "jupyterhub",
      release,
      "app.kubernetes.io/instance": release,
      "app.kubernetes.io/managed-by": "kubespawner",
      component: "singleuser-server",
      "hub.jupyter.org/username": username,
      "hub.jupyter.org/servername": "",
      ...extraLabels,
    },
    ports: [
      { name: "notebook-port", containerPort: 8888, protocol: "TCP" },
      { name: "ssh", containerPort: 2222, protocol: "TCP" },
    ],
  };
}

/** The values the hub reads at run time: the chart writes them into the hub Secret. */
export function hubSecretValues(manifests: readonly Manifest[]): any {
  const secret = manifest(manifests, "Secret", "hub");
  return jsYaml.load(Buffer.from(secret.data["values.yaml"], "base64").toString("utf8"));
}

/** What the program declares itself, beside the chart: NetworkPolicies and Deployments. */
function declared(rendered: RenderedStack, kind: "NetworkPolicy" | "Deployment"): Manifest[] {
  const type = kind === "NetworkPolicy" ? "kubernetes:networking.k8s.io/v1:NetworkPolicy" : "kubernetes:apps/v1:Deployment";
  return rendered.resources.filter((r) => r.type === type).map((r) => ({ apiVersion: "", kind, ...(r.inputs as any) }));
}

export function clusterModel(rendered: RenderedStack, manifests: readonly Manifest[]): ClusterModel {
  const { namespace, releaseName } = rendered.settings.hub;
  const chartValues = hubSecretValues(manifests);
  const policies = [...manifests.filter((m) => m.kind === "NetworkPolicy"), ...declared(rendered, "NetworkPolicy")].map((m) => ({
    ...m,
    metadata: { ...m.metadata, namespace },
  })) as NetworkPolicy[];
  const gateway = declared(rendered, "Deployment").find((d) => d.metadata.name === `${releaseName}-ssh-gateway`);
  return {
    namespace,
    namespaces: [{ name: namespace }, { name: "kube-system" }, { name: "vault" }, { name: "other-app" }],
    policies,
    hub: podOf(manifest(manifests, "Deployment", "hub"), "hub", namespace, ADDRESSES.hub),
    proxy: podOf(manifest(manifests, "Deployment", "proxy"), "proxy", namespace, ADDRESSES.proxy),
    servers: [
      serverOf("maria", releaseName, namespace, ADDRESSES.serverOfMaria, chartValues),
      serverOf("tomas", releaseName, namespace, ADDRESSES.serverOfTomas, chartValues),
    ],
    podElsewhere: { kind: "pod", name: "other-app", namespace: "other-app", labels: { app: "other" }, ip: ADDRESSES.podElsewhere },
    clusterDns: {
      kind: "pod",
      name: "coredns",
      namespace: "kube-system",
      labels: { "k8s-app": "kube-dns" },
      ip: ADDRESSES.clusterDns,
      ports: [
        { name: "dns", containerPort: 53, protocol: "UDP" },
        { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
      ],
    },
    kubeSystemPod: { kind: "pod", name: "metrics-server", namespace: "kube-system", labels: { "k8s-app": "metrics-server" }, ip: ADDRESSES.kubeSystemPod },
    ...(gateway ? { gateway: podOf(gateway, "ssh-gateway", namespace, ADDRESSES.gateway) } : {}),
    host: (name, ip) => ({ kind: "external", name, ip: ip ?? ADDRESSES[name] }),
  };
}
