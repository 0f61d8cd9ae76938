// The servers' NetworkPolicy additions (singleuser.networkPolicy.ingress/egress), each the
// narrowest rule that opens one flow the product needs. The chart's own rules stay as they are:
// servers reach the hub, the proxy, DNS and public addresses; nothing reaches them but the proxy
// and the hub on the notebook port. Never `egressAllowRules.privateIPs: true` (every LAN host and
// every pod) or `allowedIngressPorts` (a port opened to every source).
import type { Settings } from "../../settings";
import type { Destination } from "../../settings/networkSchema";
import { gatewayPodLabels, SSHD_PORT } from "../ssh/gatewayObjects";
import { usersWithSsh } from "../ssh/sshValues";

export type NetworkPolicyRule = Record<string, unknown>;

export interface ServerNetworkPolicy {
  readonly ingress: NetworkPolicyRule[];
  readonly egress: NetworkPolicyRule[];
}

/** The port a URL names, else its scheme's default. */
export function urlPort(url: string): number {
  const parsed = new URL(url);
  return parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
}

/** An egress rule to one destination: its address ranges, or its pods in their namespace. */
export function egressRule(destination: Destination, defaultPort: number): NetworkPolicyRule {
  const to =
    "cidrs" in destination
      ? destination.cidrs.map((cidr) => ({ ipBlock: { cidr } }))
      : [
          {
            // One element holding both selectors: pods with these labels in that namespace only
            // (two elements would mean any pod there, or such pods anywhere).
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": destination.namespace } },
            podSelector: { matchLabels: { ...destination.podLabels } },
          },
        ];
  return { to, ports: [{ port: destination.port ?? defaultPort, protocol: "TCP" }] };
}

export function serverNetworkPolicy(settings: Pick<Settings, "vault" | "users" | "hub">): ServerNetworkPolicy {
  const egress: NetworkPolicyRule[] = [];
  if (settings.vault?.networkPolicy) egress.push(egressRule(settings.vault.networkPolicy, urlPort(settings.vault.address)));
  const ingress: NetworkPolicyRule[] = [];
  if (usersWithSsh(settings.users).length > 0) {
    // sshd in a server: from the SSH gateway's pods only (the gateway checks who connects).
    ingress.push({
      from: [{ podSelector: { matchLabels: gatewayPodLabels(settings.hub.releaseName) } }],
      ports: [{ port: SSHD_PORT, protocol: "TCP" }],
    });
  }
  return { ingress, egress };
}
