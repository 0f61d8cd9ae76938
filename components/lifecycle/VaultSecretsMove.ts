import type * as pulumi from "@pulumi/pulumi";
import { LifecycleResource } from "./dynamicProvider";

export interface VaultSecretsMoveArgs {
  readonly newName: string;
  /** Earlier names, oldest first (users[].renamedFrom). */
  readonly earlierNames: readonly string[];
  readonly kvMount: string;
  readonly pathPrefix: string;
  /** Where the operator reaches Vault: vault:address, else VAULT_ADDR at deploy time. */
  readonly address?: string;
  /** The stack's CA (jupyterhub:caBundle as a file or 1Password item), trusted for Vault's certificate besides vault:caCertFile. */
  readonly caBundle?: pulumi.Input<string>;
}

/**
 * Copies a renamed user's Vault secrets to their new name at `pulumi up`, with the operator's
 * Vault credentials found as the Vault provider finds them (stack config vault:*, then VAULT_*,
 * then ~/.vault-token: providers/vaultSecretsMove.cjs says how); `copied` counts them.
 */
export class VaultSecretsMove extends LifecycleResource {
  public readonly copied!: pulumi.Output<number>;

  constructor(name: string, args: VaultSecretsMoveArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "VaultSecretsMove",
      name,
      "vaultSecretsMove.cjs",
      {
        newName: args.newName,
        earlierNames: [...args.earlierNames],
        kvMount: args.kvMount,
        pathPrefix: args.pathPrefix,
        ...(args.address ? { address: args.address } : {}),
        ...(args.caBundle ? { caBundle: args.caBundle } : {}),
        copied: undefined,
        kept: undefined,
      },
      opts,
    );
  }
}
