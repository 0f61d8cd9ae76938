import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import type { VaultSettings } from "../../settings/vaultSchema";
import { kvPaths } from "../vault/vaultPolicies";

export interface HubSecretEnvironmentArgs {
  readonly namespace: pulumi.Input<string>;
  /** Name of the Kubernetes Secret the hub's environment reads. */
  readonly secretName: string;
  /** Environment variable → secret value. */
  readonly values: Readonly<Record<string, pulumi.Input<string>>>;
  /** With Vault: the values are kept in Vault KV and synced into the Secret by External Secrets. */
  readonly vault?: VaultSettings;
}

/**
 * The hub's secret environment (e.g. OAUTH_CLIENT_SECRET) as a Kubernetes Secret of that name.
 * Without Vault the Secret is written directly; with Vault, Pulumi writes the values to Vault KV
 * and an ExternalSecret makes the Secret from there, so Vault is where they live and rotate.
 */
export class HubSecretEnvironment extends pulumi.ComponentResource {
  /** What creates the Secret; the release waits for it. */
  public readonly ready: pulumi.Resource;

  constructor(name: string, args: HubSecretEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:secrets:HubSecretEnvironment", name, {}, opts);
    const values = pulumi.secret(args.values as Record<string, pulumi.Input<string>>);
    this.ready = args.vault ? this.fromVault(name, args, args.vault, values) : this.direct(name, args, values);
    this.registerOutputs({});
  }

  private direct(name: string, args: HubSecretEnvironmentArgs, values: pulumi.Output<Record<string, string>>): pulumi.Resource {
    return new k8s.core.v1.Secret(
      name,
      { metadata: { name: args.secretName, namespace: args.namespace }, type: "Opaque", stringData: values },
      { parent: this },
    );
  }

  private fromVault(
    name: string,
    args: HubSecretEnvironmentArgs,
    settings: VaultSettings,
    values: pulumi.Output<Record<string, string>>,
  ): pulumi.Resource {
    const path = kvPaths(settings).hubSecret;
    const kv = new vault.kv.SecretV2(
      name,
      { mount: settings.kvMount, name: path, dataJson: pulumi.secret(values.apply((v) => JSON.stringify(sortedKeys(v)))) },
      { parent: this },
    );
    return new k8s.apiextensions.CustomResource(
      name,
      {
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: { name: args.secretName, namespace: args.namespace },
        spec: externalSecretSpec(settings, args.secretName, Object.keys(args.values)),
      },
      { parent: this, dependsOn: [kv] },
    );
  }
}

/** The ExternalSecret that copies each key of the hub's KV secret into the Secret. */
export function externalSecretSpec(settings: VaultSettings, secretName: string, keys: readonly string[]): Record<string, unknown> {
  const path = kvPaths(settings).hubSecret;
  return {
    refreshInterval: `${settings.externalSecrets.refreshInterval}s`,
    secretStoreRef: { name: settings.externalSecrets.storeName, kind: settings.externalSecrets.storeKind },
    target: { name: secretName, creationPolicy: "Owner" },
    data: [...keys].sort().map((key) => ({ secretKey: key, remoteRef: { key: path, property: key } })),
  };
}

function sortedKeys(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(values).sort().map((key) => [key, values[key]]));
}
