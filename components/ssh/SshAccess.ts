import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { Settings } from "../../settings";
import { templateSlug } from "./kubespawnerLabels";
import { authorizedKeys, sshHostname, sshServiceArgs } from "./sshService";
import { sshSecretName, SSH_SECRET_KEYS, usersWithSsh } from "./sshValues";

export interface SshAccessArgs {
  readonly settings: Pick<Settings, "ssh" | "hub" | "users">;
  readonly namespace: string;
  /** Each user's public keys from 1Password, read at deploy time. */
  readonly onePasswordKeys: Readonly<Record<string, pulumi.Input<string>[]>>;
}

/**
 * For each user with SSH keys: a LoadBalancer Service on port 22 that selects that user's
 * default server only, and a Secret with their authorized keys and a host key generated once
 * and kept in state, so clients see the same host key across restarts and image rebuilds.
 */
export class SshAccess extends pulumi.ComponentResource {
  /** Username → how to reach their server ("jovyan@<host>"). */
  public readonly endpoints: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: SshAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:ssh:SshAccess", name, {}, opts);
    const endpoints: Record<string, pulumi.Output<string>> = {};
    for (const user of usersWithSsh(args.settings.users)) {
      const slug = templateSlug(user.name);
      const child = `${name}-${slug}`;
      const hostKey = new tls.PrivateKey(child, { algorithm: "ED25519" }, { parent: this });
      const keys = pulumi
        .all([...(user.ssh?.publicKeys ?? []), ...(args.onePasswordKeys[user.name] ?? [])])
        .apply((all) => authorizedKeys(all));
      new k8s.core.v1.Secret(
        child,
        {
          metadata: { name: sshSecretName(slug), namespace: args.namespace, labels: { "app.kubernetes.io/component": "ssh" } },
          type: "Opaque",
          stringData: {
            [SSH_SECRET_KEYS.authorizedKeys]: keys,
            [SSH_SECRET_KEYS.hostKey]: pulumi.secret(hostKey.privateKeyOpenssh),
            [SSH_SECRET_KEYS.hostPublicKey]: hostKey.publicKeyOpenssh,
          },
        },
        { parent: this },
      );
      const service = new k8s.core.v1.Service(child, sshServiceArgs(user, args.settings, args.namespace), { parent: this });
      endpoints[user.name] = endpointOf(user, args.settings, service);
    }
    this.endpoints = pulumi.output(endpoints);
    this.registerOutputs({ endpoints: this.endpoints });
  }
}

function endpointOf(user: Settings["users"][number], settings: Pick<Settings, "ssh">, service: k8s.core.v1.Service): pulumi.Output<string> {
  if (settings.ssh.domain) return pulumi.output(`jovyan@${sshHostname(user.name, settings.ssh.domain)}`);
  if (user.ssh?.loadBalancerIP) return pulumi.output(`jovyan@${user.ssh.loadBalancerIP}`);
  return service.status.apply((status) => {
    const ingress = status?.loadBalancer?.ingress?.[0];
    return ingress ? `jovyan@${ingress.hostname ?? ingress.ip}` : "jovyan@<address pending>";
  });
}
