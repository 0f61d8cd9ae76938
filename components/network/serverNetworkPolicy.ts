// The servers' NetworkPolicy additions (singleuser.networkPolicy.ingress/egress), each the
// narrowest rule that opens one flow the product needs. The chart's own rules stay as they are:
// servers reach the hub, the proxy, DNS and public addresses; nothing reaches them but the proxy
// and the hub on the notebook port. Never `egressAllowRules.privateIPs: true` (every LAN host and
// every pod) or `allowedIngressPorts` (a port opened to every source).
import type { Settings } from "../../settings";
import type { Destination } from "../../settings/networkSchema";
import { SSHD_PORT, usersWithSsh } from "../ssh/sshValues";

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

export function serverNetworkPolicy(settings: Pick<Settings, "vault" | "users" | "ssh">): ServerNetworkPolicy {
  const egress: NetworkPolicyRule[] = [];
  if (settings.vault?.networkPolicy) egress.push(egressRule(settings.vault.networkPolicy, urlPort(settings.vault.address)));
  const ingress: NetworkPolicyRule[] = [];
  if (usersWithSsh(settings.users).length > 0) {
    // Each user's SSH Service keeps the client's address (externalTrafficPolicy: Local), so the
    // ranges are checked here as well as by the load balancer; pods are not in them.
    ingress.push({
      from: settings.ssh.sourceRanges.map((cidr) => ({ ipBlock: { cidr } })),
      ports: [{ port: SSHD_PORT, protocol: "TCP" }],
    });
  }
  return { ingress, egress };
}
