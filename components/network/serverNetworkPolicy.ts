// The servers' NetworkPolicy additions (singleuser.networkPolicy), each the narrowest rule that
// opens one flow the product needs. The chart's own rules stay as they are, but for DNS: servers
// reach the hub, the proxy and public addresses; nothing reaches them but the proxy and the hub on
// the notebook port. Never `egressAllowRules.privateIPs: true` (every LAN host and every pod) or
// `allowedIngressPorts` (a port opened to every source).
import type { Settings } from "../../settings";
import { gatewayPodLabels, SSHD_PORT } from "../ssh/gatewayObjects";
import { usersWithSsh } from "../ssh/sshValues";
import { CHART_DNS_RULES_OFF, clusterDnsEgressRule, egressRule, urlPort, type NetworkPolicyRule } from "./egressRules";

export { egressRule, urlPort, type NetworkPolicyRule } from "./egressRules";

export interface ServerNetworkPolicy {
  readonly ingress: NetworkPolicyRule[];
  readonly egress: NetworkPolicyRule[];
  /** The chart's egressAllowRules this changes. */
  readonly egressAllowRules: Record<string, boolean>;
}

export function serverNetworkPolicy(settings: Pick<Settings, "vault" | "users" | "hub">): ServerNetworkPolicy {
  // DNS from the cluster's DNS only: the chart's DNS rules also open port 53 on every private
  // address (a LAN resolver or any host that answers on 53 becomes a way out) and on every
  // kube-system pod.
  const egress: NetworkPolicyRule[] = [clusterDnsEgressRule()];
  if (settings.vault?.networkPolicy) egress.push(egressRule(settings.vault.networkPolicy, urlPort(settings.vault.address)));
  const ingress: NetworkPolicyRule[] = [];
  if (usersWithSsh(settings.users).length > 0) {
    // sshd in a server: from the SSH gateway's pods only (the gateway checks who connects).
    ingress.push({
      from: [{ podSelector: { matchLabels: gatewayPodLabels(settings.hub.releaseName) } }],
      ports: [{ port: SSHD_PORT, protocol: "TCP" }],
    });
  }
  return { ingress, egress, egressAllowRules: { ...CHART_DNS_RULES_OFF } };
}
