// The per-user SSH Service and its Secret contents, from the settings. Pure.
import type * as k8s from "@pulumi/kubernetes";
import type { Settings } from "../../settings";
import { defaultServerSelector, labelSlug, templateSlug } from "./kubespawnerLabels";
import { sshSecretName, SSHD_PORT } from "./sshValues";

/** The label the policy pack's SSH rules select on (policies/rules/sshService.ts). */
export const SSH_COMPONENT_LABEL = { "app.kubernetes.io/component": "ssh" } as const;

export function sshServiceArgs(
  user: Settings["users"][number],
  settings: Pick<Settings, "ssh" | "hub">,
  namespace: string,
): k8s.core.v1.ServiceArgs {
  const slug = templateSlug(user.name);
  const annotations = {
    ...settings.ssh.annotations,
    ...(settings.ssh.domain ? { "external-dns.alpha.kubernetes.io/hostname": sshHostname(user.name, settings.ssh.domain) } : {}),
  };
  return {
    metadata: {
      name: sshSecretName(slug),
      namespace,
      labels: { ...SSH_COMPONENT_LABEL, "app.kubernetes.io/part-of": "jupyterhub", "hub.jupyter.org/username": labelSlug(user.name) },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      type: "LoadBalancer",
      // Keep the client's address: the servers' NetworkPolicy admits sshd only from ssh.sourceRanges,
      // which it could not check on traffic the node had rewritten to its own address.
      externalTrafficPolicy: "Local",
      selector: defaultServerSelector(user.name, settings.hub.releaseName),
      ports: [{ name: "ssh", protocol: "TCP", port: 22, targetPort: SSHD_PORT }],
      ...(user.ssh?.loadBalancerIP ? { loadBalancerIP: user.ssh.loadBalancerIP } : {}),
      ...(settings.ssh.sourceRanges.length > 0 ? { loadBalancerSourceRanges: [...settings.ssh.sourceRanges] } : {}),
    },
  };
}

/** "<user>.<domain>", the user part a DNS label. */
export function sshHostname(username: string, domain: string): string {
  return `${templateSlug(username)}.${domain}`;
}

/** authorized_keys text: each key once, in the order given. */
export function authorizedKeys(keys: readonly string[]): string {
  return [...new Set(keys.map((k) => k.trim()).filter((k) => k))].join("\n") + "\n";
}
