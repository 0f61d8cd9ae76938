import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { Settings } from "../../settings";
import { templateSlug } from "./kubespawnerLabels";
import {
  authorizedKeys,
  gatewayDeploymentArgs,
  gatewayNames,
  gatewayNetworkPolicyArgs,
  gatewayRoleArgs,
  gatewayServiceArgs,
  HOST_KEY_FILE,
  hubPipesRoleArgs,
  pipeCrdArgs,
  roleBindingArgs,
  serverAuthorizedKeys,
  userKeysField,
} from "./gatewayObjects";
import { usersWithSsh } from "./sshValues";
import { serverSshdData } from "./serverSshd";

export interface SshGatewayArgs {
  readonly settings: Pick<Settings, "ssh" | "hub" | "users" | "https" | "profiles">;
  readonly namespace: string;
  /** The chart's hub ServiceAccount, which writes the Pipes. */
  readonly hubServiceAccount: string;
  /** Each user's public keys from 1Password, read at deploy time. */
  readonly onePasswordKeys: Readonly<Record<string, pulumi.Input<string>[]>>;
}

/**
 * One SSH entry for the whole hub: sshpiperd behind one Service, with a host key and a key towards
 * the servers generated once and kept in Pulumi state, and one Secret with every user's keys.
 * The Pipes that route a login to a running server are the hub's (components/ssh/ssh_pipes.py).
 */
export class SshGateway extends pulumi.ComponentResource {
  public readonly host: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  /** SHA256 fingerprint of the gateway's host key, as `ssh-keyscan | ssh-keygen -lf -` shows it. */
  public readonly hostKeyFingerprint: pulumi.Output<string>;
  /** Username → `<user>@<host>` of their default server. */
  public readonly endpoints: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: SshGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    // The per-user endpoints this replaces lived under jupyterhub:ssh:SshAccess.
    super("jupyterhub:ssh:SshGateway", name, {}, { ...opts, aliases: [{ type: "jupyterhub:ssh:SshAccess" }, ...(opts?.aliases ?? [])] });
    const { settings, namespace } = args;
    const release = settings.hub.releaseName;
    const names = gatewayNames(release);
    const child = { parent: this };

    const crd = settings.ssh.installPipeCrd ? new k8s.apiextensions.v1.CustomResourceDefinition(`${name}-pipe-crd`, pipeCrdArgs(), child) : undefined;
    const hostKey = new tls.PrivateKey(`${name}-host-key`, { algorithm: "ED25519" }, child);
    const upstreamKey = new tls.PrivateKey(`${name}-upstream-key`, { algorithm: "ED25519" }, child);
    new k8s.core.v1.Secret(
      `${name}-host-key`,
      { metadata: { name: names.gateway, namespace }, type: "Opaque", stringData: { [HOST_KEY_FILE]: pulumi.secret(hostKey.privateKeyOpenssh) } },
      child,
    );
    new k8s.core.v1.Secret(
      `${name}-upstream-key`,
      { metadata: { name: names.upstreamKey, namespace }, type: "kubernetes.io/ssh-auth", stringData: { "ssh-privatekey": pulumi.secret(upstreamKey.privateKeyOpenssh) } },
      child,
    );
    new k8s.core.v1.ConfigMap(
      `${name}-server-authorized-keys`,
      { metadata: { name: names.serverAuthorizedKeys, namespace }, data: { authorized_keys: upstreamKey.publicKeyOpenssh.apply(serverAuthorizedKeys) } },
      child,
    );
    // sshd's start hooks and config for every server, so an image needs only sshd itself.
    new k8s.core.v1.ConfigMap(`${name}-server-sshd`, { metadata: { name: names.serverSshd, namespace }, data: serverSshdData() }, child);

    // One Secret for everyone's keys, a field per user: no resource per user. Each Pipe the hub
    // writes names its user's field (sshpiper's authorizedkeys_field_name annotation).
    const keysByField = pulumi.all(
      Object.fromEntries(
        usersWithSsh(settings.users).map((user) => [
          userKeysField(templateSlug(user.name)),
          pulumi.all([...(user.ssh?.publicKeys ?? []), ...(args.onePasswordKeys[user.name] ?? [])]).apply(authorizedKeys),
        ]),
      ),
    );
    new k8s.core.v1.Secret(
      `${name}-user-keys`,
      { metadata: { name: names.userKeys, namespace, labels: { "app.kubernetes.io/component": "ssh" } }, type: "Opaque", stringData: keysByField },
      child,
    );

    new k8s.core.v1.ServiceAccount(`${name}-gateway`, { metadata: { name: names.gateway, namespace } }, child);
    new k8s.rbac.v1.Role(`${name}-gateway`, gatewayRoleArgs(release, namespace), child);
    new k8s.rbac.v1.RoleBinding(`${name}-gateway`, roleBindingArgs(names.gateway, namespace, names.gateway), child);
    new k8s.rbac.v1.Role(`${name}-hub-pipes`, hubPipesRoleArgs(release, namespace), child);
    new k8s.rbac.v1.RoleBinding(`${name}-hub-pipes`, roleBindingArgs(names.hubPipes, namespace, args.hubServiceAccount), child);
    new k8s.networking.v1.NetworkPolicy(`${name}-gateway`, gatewayNetworkPolicyArgs(settings, namespace), child);
    new k8s.apps.v1.Deployment(`${name}-gateway`, gatewayDeploymentArgs(settings, namespace), { ...child, dependsOn: crd ? [crd] : [] });
    const service = new k8s.core.v1.Service(`${name}-gateway`, gatewayServiceArgs(settings, namespace), child);

    this.host = pulumi.output(settings.ssh.host ?? settings.ssh.service.loadBalancerIP ?? addressOf(service));
    this.port = service.spec.apply((spec) => (spec?.type === "NodePort" ? spec.ports?.[0]?.nodePort ?? 22 : 22));
    this.hostKeyFingerprint = hostKey.publicKeyFingerprintSha256;
    this.endpoints = pulumi
      .all([this.host, this.port])
      .apply(([host, port]) =>
        Object.fromEntries(usersWithSsh(settings.users).map((user) => [user.name, `${user.name}@${host}${port === 22 ? "" : ` -p ${port}`}`])),
      );
    this.registerOutputs({ host: this.host, port: this.port, hostKeyFingerprint: this.hostKeyFingerprint, endpoints: this.endpoints });
  }
}

function addressOf(service: k8s.core.v1.Service): pulumi.Output<string> {
  return service.status.apply((status) => {
    const ingress = status?.loadBalancer?.ingress?.[0];
    return ingress?.hostname ?? ingress?.ip ?? "<address pending>";
  });
}
