// The SSH gateway's Kubernetes objects, from the settings. Pure.
//
// The gateway is sshpiperd (github.com/tg123/sshpiper v1.6.1) with its kubernetes plugin: it reads
// `Pipe` objects (sshpiper.com/v1beta1) in its own namespace and, for a login name that matches a
// Pipe's `from.username` with a key from that Pipe's `authorized_keys_secret`, opens SSH to
// `to.host` as `to.username` with the key in `to.private_key_secret`. The hub writes one Pipe per
// running server with sshd (components/ssh/ssh_pipes.py), so this stack declares only what is
// fixed: the daemon, its host key, its key towards the servers, its address and its policies.
import type * as k8s from "@pulumi/kubernetes";
import type { Settings } from "../../settings";
import { profileRunsSshd } from "../../settings/sshChecks";
import { clusterDnsEgressRule, egressRule } from "../network/egressRules";

/** sshd's port in a user's server (images/base/before-notebook.d/20-sshd.sh). */
export const SSHD_PORT = 2222;
/** sshpiperd's own port in its container (its default). */
export const GATEWAY_PORT = 2222;
const HOST_KEY_DIR = "/etc/sshpiperd/host-key";
export const HOST_KEY_FILE = "ssh_host_ed25519_key";

/** The label the policy pack's SSH rules select on (policies/rules/sshService.ts). */
export const SSH_COMPONENT_LABEL = { "app.kubernetes.io/component": "ssh" } as const;

export interface GatewayNames {
  /** Deployment, ServiceAccount, Role, NetworkPolicy and the host key Secret. */
  readonly gateway: string;
  /** The Service users connect to. */
  readonly service: string;
  /** kubernetes.io/ssh-auth Secret with the gateway's key towards the servers. */
  readonly upstreamKey: string;
  /** ConfigMap with that key's public half, as the servers' authorized_keys. */
  readonly serverAuthorizedKeys: string;
  /** ConfigMap with the start hooks and sshd config every server mounts (serverSshd.ts). */
  readonly serverSshd: string;
  /** Role and RoleBinding that let the hub write Pipes. */
  readonly hubPipes: string;
  /** Every SSH user's authorized keys, a field per user. */
  readonly userKeys: string;
}

export function gatewayNames(releaseName: string): GatewayNames {
  return {
    gateway: `${releaseName}-ssh-gateway`,
    service: `${releaseName}-ssh`,
    upstreamKey: `${releaseName}-ssh-upstream`,
    serverAuthorizedKeys: `${releaseName}-ssh-gateway-key`,
    serverSshd: `${releaseName}-ssh-server-sshd`,
    hubPipes: `${releaseName}-ssh-pipes`,
    userKeys: `${releaseName}-ssh-user-keys`,
  };
}

/** authorized_keys text: each key once, in the order given. */
export function authorizedKeys(keys: readonly string[]): string {
  return [...new Set(keys.map((k) => k.trim()).filter((k) => k))].join("\n") + "\n";
}

/**
 * A user's field in the keys Secret. Prefixed: sshpiper falls back to the fields authorized_keys,
 * authorizedkeys and ssh-authorizedkeys when a Pipe's named field is missing, and a user called
 * `authorizedkeys` must not become everyone's fallback.
 */
export function userKeysField(usernameSlug: string): string {
  return `user-${usernameSlug}`;
}

export function gatewayPodLabels(releaseName: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "sshpiperd",
    "app.kubernetes.io/instance": releaseName,
    "app.kubernetes.io/component": "ssh-gateway",
    "app.kubernetes.io/part-of": "jupyterhub",
  };
}

/**
 * The gateway's key in a server's authorized_keys. `restrict` turns off everything, then only a
 * terminal and forwarding from the client's side come back; sshd_config's PermitOpen limits that
 * forwarding to the server itself (VS Code's server listens on localhost).
 */
export function serverAuthorizedKeys(gatewayPublicKey: string): string {
  return `restrict,pty,port-forwarding ${gatewayPublicKey.trim()} jupyterhub-ssh-gateway\n`;
}

/**
 * What every client sees before it logs in. sshpiperd shows one text to everyone and cannot tell a
 * user why a login found no route, so the text says the two reasons: the server is not running,
 * or its profile has no sshd (naming those profiles).
 */
export function gatewayBanner(settings: Pick<Settings, "hub" | "ssh" | "https" | "profiles">): string {
  const scheme = settings.https.type === "none" ? "http" : "https";
  const host = settings.ssh.host ?? "<this address>";
  const enabled = settings.profiles.filter((p) => p.enabled);
  const withoutSshd = enabled.filter((p) => !profileRunsSshd(p)).map((p) => p.displayName);
  return [
    "JupyterHub SSH gateway.",
    `Your server must be running: start it at ${scheme}://${settings.hub.host}/hub/home`,
    ...(withoutSshd.length > 0 ? [`Servers of these profiles have no SSH: ${withoutSshd.join(", ")}.`] : []),
    `Default server: ssh <you>@${host}    A named server: ssh <you>+<server>@${host}`,
    "",
  ].join("\n");
}

export function gatewayDeploymentArgs(
  settings: Pick<Settings, "hub" | "ssh" | "https" | "profiles">,
  namespace: string,
): k8s.apps.v1.DeploymentArgs {
  const names = gatewayNames(settings.hub.releaseName);
  const labels = gatewayPodLabels(settings.hub.releaseName);
  return {
    metadata: { name: names.gateway, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: names.gateway,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "sshpiperd",
              image: settings.ssh.image,
              env: [
                // The image's entrypoint loads the plugin named here; it watches Pipes in its own namespace.
                { name: "PLUGIN", value: "kubernetes" },
                { name: "SSHPIPERD_PORT", value: String(GATEWAY_PORT) },
                // The host key from the stack (kept in Pulumi state), never one generated in the pod.
                { name: "SSHPIPERD_SERVER_KEY", value: `${HOST_KEY_DIR}/${HOST_KEY_FILE}` },
                { name: "SSHPIPERD_SERVER_KEY_GENERATE_MODE", value: "disable" },
                // Servers never open ports towards the client (ssh -R); forwarding from the client
                // (ssh -L, VS Code) passes, and each server's sshd limits it to the server itself.
                { name: "SSHPIPERD_DISABLE_REMOTE_FORWARDING", value: "true" },
                { name: "SSHPIPERD_BANNERTEXT", value: gatewayBanner(settings) },
                { name: "SSHPIPERD_LOG_LEVEL", value: "info" },
              ],
              ports: [{ name: "ssh", containerPort: GATEWAY_PORT, protocol: "TCP" }],
              readinessProbe: { tcpSocket: { port: GATEWAY_PORT }, periodSeconds: 10 },
              resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "256Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              volumeMounts: [{ name: "host-key", mountPath: HOST_KEY_DIR, readOnly: true }],
            },
          ],
          volumes: [{ name: "host-key", secret: { secretName: names.gateway, defaultMode: 0o440, items: [{ key: HOST_KEY_FILE, path: HOST_KEY_FILE }] } }],
        },
      },
    },
  };
}

export function gatewayServiceArgs(settings: Pick<Settings, "hub" | "ssh">, namespace: string): k8s.core.v1.ServiceArgs {
  const { ssh } = settings;
  const loadBalancer = ssh.service.type === "LoadBalancer";
  const annotations = { ...ssh.annotations, ...(ssh.host ? { "external-dns.alpha.kubernetes.io/hostname": ssh.host } : {}) };
  return {
    metadata: {
      name: gatewayNames(settings.hub.releaseName).service,
      namespace,
      labels: { ...SSH_COMPONENT_LABEL, "app.kubernetes.io/part-of": "jupyterhub" },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      type: ssh.service.type,
      selector: gatewayPodLabels(settings.hub.releaseName),
      ports: [{ name: "ssh", protocol: "TCP", port: 22, targetPort: GATEWAY_PORT, ...(ssh.service.nodePort ? { nodePort: ssh.service.nodePort } : {}) }],
      // The client's own address reaches the gateway, so its NetworkPolicy can check the ranges
      // (also on the node port, which a LoadBalancer would otherwise leave open to anyone).
      externalTrafficPolicy: "Local",
      ...(loadBalancer
        ? {
            loadBalancerSourceRanges: [...ssh.sourceRanges],
            // MetalLB and most load balancers need no node port; none is opened then.
            allocateLoadBalancerNodePorts: false,
            ...(ssh.service.loadBalancerIP ? { loadBalancerIP: ssh.service.loadBalancerIP } : {}),
          }
        : {}),
    },
  };
}

/** The API server's port on k3s, kubeadm and kind (the kubernetes Service's endpoints). */
export const API_SERVER_PORT = 6443;
// Without ssh.apiServer: every private address on the API server's usual ports, 443 for the
// kubernetes Service itself where a NetworkPolicy implementation sees it untranslated.
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/**
 * Where the gateway reaches the Kubernetes API (to watch Pipes and read keys): the configured API
 * server, which NetworkPolicy sees at its own address once the `kubernetes` Service is
 * translated, a node's address and no pod's, so no selector can name it.
 */
export function apiServerEgressRule(ssh: Pick<Settings["ssh"], "apiServer">): Record<string, unknown> {
  if (ssh.apiServer) return egressRule(ssh.apiServer, API_SERVER_PORT);
  return {
    to: PRIVATE_RANGES.map((cidr) => ({ ipBlock: { cidr } })),
    ports: [
      { port: 443, protocol: "TCP" },
      { port: API_SERVER_PORT, protocol: "TCP" },
    ],
  };
}

/**
 * Clients in the configured ranges may reach the gateway, and the gateway may reach the servers'
 * sshd, the cluster's DNS and the Kubernetes API; nothing else. (sshpiperd dials Pipes' addresses
 * and the API server's in-cluster address, both IPs; DNS stays open for anything that resolves.)
 */
export function gatewayNetworkPolicyArgs(settings: Pick<Settings, "hub" | "ssh">, namespace: string): k8s.networking.v1.NetworkPolicyArgs {
  const release = settings.hub.releaseName;
  return {
    metadata: { name: gatewayNames(release).gateway, namespace, labels: { "app.kubernetes.io/part-of": "jupyterhub" } },
    spec: {
      podSelector: { matchLabels: gatewayPodLabels(release) },
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: settings.ssh.sourceRanges.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ port: GATEWAY_PORT, protocol: "TCP" }] }],
      egress: [
        {
          // The chart's own labels of user servers (files/hub/jupyterhub_config.py, KubeSpawner).
          to: [{ podSelector: { matchLabels: { component: "singleuser-server", release } } }],
          ports: [{ port: SSHD_PORT, protocol: "TCP" }],
        },
        clusterDnsEgressRule(),
        apiServerEgressRule(settings.ssh),
      ],
    },
  };
}

/** What the gateway may read: Pipes, and only the Secrets they name (its key, the users' keys). */
export function gatewayRoleArgs(releaseName: string, namespace: string): k8s.rbac.v1.RoleArgs {
  const names = gatewayNames(releaseName);
  return {
    metadata: { name: names.gateway, namespace },
    rules: [
      { apiGroups: ["sshpiper.com"], resources: ["pipes"], verbs: ["get", "list", "watch"] },
      { apiGroups: [""], resources: ["secrets"], resourceNames: [names.upstreamKey, names.userKeys], verbs: ["get"] },
    ],
  };
}

/** The hub writes and removes the Pipe of each server it starts and stops. */
export function hubPipesRoleArgs(releaseName: string, namespace: string): k8s.rbac.v1.RoleArgs {
  return {
    metadata: { name: gatewayNames(releaseName).hubPipes, namespace },
    rules: [{ apiGroups: ["sshpiper.com"], resources: ["pipes"], verbs: ["get", "list", "create", "update", "patch", "delete"] }],
  };
}

export function roleBindingArgs(name: string, namespace: string, serviceAccount: string): k8s.rbac.v1.RoleBindingArgs {
  return {
    metadata: { name, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace }],
  };
}

const string = { type: "string" };
const nonEmpty = { minLength: 1 };
const secretReference = { type: "object", properties: { name: string } };

/**
 * sshpiper's Pipe type, written from its Go types (plugin/kubernetes/apis/sshpiper/v1beta1/
 * types.go at v1.6.1): the fields the kubernetes plugin reads. Narrower than sshpiper's own
 * crd.yaml where its defaults are unsafe, so the API server refuses such a Pipe from anyone:
 * - every `from` entry names keys: one without authorized_keys_data/_file/_secret.name is a
 *   password login (skel.go From), and with no htpasswd its TestPassword accepts any password;
 * - `to` carries known_hosts_data: empty, sshpiperd takes any host key
 *   (cmd/sshpiperd/internal/plugin/grpc.go buildHostKeyCallback), so a Pipe whose pod is gone
 *   opens whichever server has its address now.
 * `ignore_hostkey` is left out: v1.6.1 ignores it (crd.yaml: "Deprecated and ignored").
 */
export function pipeCrdArgs(): k8s.apiextensions.v1.CustomResourceDefinitionArgs {
  return {
    metadata: { name: "pipes.sshpiper.com" },
    spec: {
      group: "sshpiper.com",
      names: { kind: "Pipe", listKind: "PipeList", plural: "pipes", singular: "pipe" },
      scope: "Namespaced",
      versions: [
        {
          name: "v1beta1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              required: ["spec"],
              properties: {
                spec: {
                  type: "object",
                  required: ["from", "to"],
                  properties: {
                    from: {
                      type: "array",
                      minItems: 1,
                      items: {
                        type: "object",
                        required: ["username"],
                        properties: {
                          username: string,
                          username_regex_match: { type: "boolean" },
                          authorized_keys_data: string,
                          authorized_keys_file: string,
                          authorized_keys_secret: secretReference,
                          htpasswd_data: string,
                          htpasswd_file: string,
                        },
                        // Value validations only (no type or description), as a structural schema allows.
                        anyOf: [
                          { required: ["authorized_keys_data"], properties: { authorized_keys_data: nonEmpty } },
                          { required: ["authorized_keys_file"], properties: { authorized_keys_file: nonEmpty } },
                          { required: ["authorized_keys_secret"], properties: { authorized_keys_secret: { required: ["name"], properties: { name: nonEmpty } } } },
                        ],
                      },
                    },
                    to: {
                      type: "object",
                      required: ["host", "known_hosts_data"],
                      properties: {
                        host: string,
                        username: string,
                        private_key_secret: secretReference,
                        password_secret: secretReference,
                        known_hosts_data: { ...string, ...nonEmpty },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
