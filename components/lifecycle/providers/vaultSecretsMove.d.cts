// Types of vaultSecretsMove.cjs for the program's TypeScript.
export interface StackConfig {
  get(key: string): string | undefined;
}
export interface VaultConnection {
  readonly address: string;
  readonly token: string;
  /** Where the token came from, for messages: never the token itself. */
  readonly tokenSource: string;
  /** Vault Enterprise namespace (vault:namespace, VAULT_NAMESPACE), if any. */
  readonly namespace?: string;
  /** PEM certificates trusted for Vault's; Node's own roots when absent. */
  readonly ca?: string[];
  readonly skipTlsVerify: boolean;
  readonly serverName?: string;
}
export interface VaultTarget extends VaultConnection {
  readonly kvMount: string;
  readonly pathPrefix: string;
}
export interface MoveInputs {
  newName: string;
  earlierNames: string[];
  kvMount: string;
  pathPrefix: string;
  address?: string;
  /** The stack's CA bundle (jupyterhub:caBundle), PEM. */
  caBundle?: string;
}
export declare const MOVED_MARKER: string;
export declare const MAX_DEPTH: number;
export declare const MAX_SECRETS: number;
export declare function vaultConnection(
  config: StackConfig,
  env: Record<string, string | undefined>,
  extra: { address?: string; caBundle?: string; home: string },
): VaultConnection;
export declare function apiPath(...segments: string[]): string;
export declare function moveVaultSecrets(target: VaultTarget, earlierNames: readonly string[], newName: string): Promise<{ copied: string[]; kept: string[]; done: string[] }>;
export declare const provider: {
  configure(request: { config: StackConfig }): Promise<void>;
  create(inputs: MoveInputs): Promise<{ id: string; outs: MoveInputs & { copied: number; kept: number } }>;
  diff(id: string, olds: MoveInputs, news: MoveInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>;
  update(id: string, olds: MoveInputs, news: MoveInputs): Promise<{ outs: MoveInputs }>;
  delete(): Promise<void>;
};
export declare function handler(): typeof provider;
