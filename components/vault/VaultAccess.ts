import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import type { VaultSettings } from "../../settings/vaultSchema";
import { hubPolicy, userPolicy, vaultNames, type VaultNames } from "./vaultPolicies";

export interface VaultAccessArgs {
  readonly vault: VaultSettings;
  /** The hub's namespace; the hub's ServiceAccount there is the only one that may log in. */
  readonly namespace: string;
  /** Name of the hub's ServiceAccount (the chart's default is "hub"). */
  readonly hubServiceAccount: string;
  /** Usernames the hub may mint tokens for. */
  readonly usernames: readonly string[];
}

/** How long the hub's own Vault token lives: enough for a burst of spawns, then log in again. */
export const HUB_TOKEN_TTL_SECONDS = 900;

/**
 * What lets the hub mint per-user tokens without a long-lived admin token: the hub's Kubernetes
 * auth role and policy, the user token role, and the user policy.
 */
export class VaultAccess extends pulumi.ComponentResource {
  public readonly names: VaultNames;

  constructor(name: string, args: VaultAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:vault:VaultAccess", name, {}, opts);
    const settings = args.vault;
    const names = vaultNames(args.namespace);
    const child = { parent: this };

    const kubernetesAuthPath = settings.kubernetesAuth.create
      ? this.kubernetesAuth(name, settings.kubernetesAuth)
      : pulumi.output(settings.kubernetesAuth.mount);

    const hub = new vault.Policy(`${name}-hub`, { name: names.hubPolicy, policy: hubPolicy(names) }, child);
    // The user policy is templated on the token auth method's accessor, which only Vault knows.
    const tokenAuth = vault.getAuthBackendOutput({ path: "token" }, child);
    const user = new vault.Policy(
      `${name}-user`,
      { name: names.userPolicy, policy: tokenAuth.accessor.apply((accessor) => userPolicy(settings, accessor)) },
      child,
    );

    new vault.kubernetes.AuthBackendRole(
      `${name}-hub`,
      {
        backend: kubernetesAuthPath,
        roleName: names.hubRole,
        boundServiceAccountNames: [args.hubServiceAccount],
        boundServiceAccountNamespaces: [args.namespace],
        tokenPolicies: [hub.name],
        tokenNoDefaultPolicy: true,
        tokenTtl: HUB_TOKEN_TTL_SECONDS,
        tokenMaxTtl: HUB_TOKEN_TTL_SECONDS,
      },
      child,
    );
    new vault.tokenauth.AuthBackendRole(
      `${name}-user-tokens`,
      {
        roleName: names.tokenRole,
        allowedPolicies: [user.name],
        tokenPolicies: [user.name],
        tokenNoDefaultPolicy: true,
        // Orphans outlive the hub's short login; the entity alias carries the username into the policy.
        orphan: true,
        renewable: true,
        allowedEntityAliases: [...args.usernames],
        tokenType: "service",
        tokenTtl: settings.userTokens.ttl,
        tokenMaxTtl: settings.userTokens.maxTtl,
        tokenExplicitMaxTtl: settings.userTokens.maxTtl,
      },
      child,
    );

    this.names = names;
    this.registerOutputs({});
  }

  private kubernetesAuth(name: string, settings: VaultSettings["kubernetesAuth"]): pulumi.Output<string> {
    const backend = new vault.AuthBackend(
      `${name}-kubernetes`,
      { type: "kubernetes", path: settings.mount, description: "Kubernetes ServiceAccounts (JupyterHub's hub)" },
      { parent: this },
    );
    const config = new vault.kubernetes.AuthBackendConfig(
      `${name}-kubernetes`,
      { backend: backend.path, kubernetesHost: settings.kubernetesHost },
      { parent: this },
    );
    return config.backend.apply((path) => path ?? settings.mount);
  }
}
