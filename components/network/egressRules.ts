// Egress rules shared by the servers' and the SSH gateway's NetworkPolicies: to a destination from
// the settings, and to the cluster's DNS.
import type { Destination } from "../../settings/networkSchema";

export type NetworkPolicyRule = Record<string, unknown>;

/**
 * CoreDNS as k3s (manifests/coredns.yaml), kind, kubeadm and minikube deploy it: pods labelled
 * k8s-app: kube-dns in kube-system, reached through the kube-dns Service, which NetworkPolicy sees
 * as these pods once the Service address is translated.
 */
export const CLUSTER_DNS = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } } as const;

/**
 * The chart's DNS rules off (egressAllowRules): by default they open port 53 on every private
 * address, every kube-system pod and the cloud metadata address; clusterDnsEgressRule opens DNS
 * on the cluster's DNS pods alone.
 */
export const CHART_DNS_RULES_OFF = { dnsPortsPrivateIPs: false, dnsPortsKubeSystemNamespace: false, dnsPortsCloudMetadataServer: false } as const;

/** The port a URL names, else its scheme's default. */
export function urlPort(url: string): number {
  const parsed = new URL(url);
  return parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
}

/**
 * Pods with these labels in that namespace only: one element holding both selectors (two elements
 * would mean any pod there, or such pods anywhere).
 */
function podsIn(namespace: string, podLabels: Readonly<Record<string, string>>): NetworkPolicyRule {
  return { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } }, podSelector: { matchLabels: { ...podLabels } } };
}

/** An egress rule to one destination: its address ranges, or its pods in their namespace. */
export function egressRule(destination: Destination, defaultPort: number): NetworkPolicyRule {
  const to = "cidrs" in destination ? destination.cidrs.map((cidr) => ({ ipBlock: { cidr } })) : [podsIn(destination.namespace, destination.podLabels)];
  return { to, ports: [{ port: destination.port ?? defaultPort, protocol: "TCP" }] };
}

/** DNS (UDP and TCP 53) to the cluster's DNS pods, and nowhere else. */
export function clusterDnsEgressRule(): NetworkPolicyRule {
  return {
    to: [podsIn(CLUSTER_DNS.namespace, CLUSTER_DNS.podLabels)],
    ports: [
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ],
  };
}
