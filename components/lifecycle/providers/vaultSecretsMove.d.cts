// Types of vaultSecretsMove.cjs for the program's TypeScript.
export interface VaultTarget {
  readonly address: string;
  readonly token: string;
  /** Vault Enterprise namespace (VAULT_NAMESPACE), if any. */
  readonly namespace?: string;
  readonly kvMount: string;
  readonly pathPrefix: string;
}
export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{ status: number; text(): Promise<string> }>;
export interface MoveInputs {
  newName: string;
  earlierNames: string[];
  kvMount: string;
  pathPrefix: string;
  address?: string;
}
export declare const MOVED_MARKER: string;
export declare function moveVaultSecrets(
  target: VaultTarget,
  earlierNames: readonly string[],
  newName: string,
  fetchImpl: Fetch,
): Promise<{ copied: string[]; kept: string[]; done: string[] }>;
export declare const provider: {
  create(inputs: MoveInputs): Promise<{ id: string; outs: MoveInputs & { copied: number; kept: number } }>;
  diff(id: string, olds: MoveInputs, news: MoveInputs): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }>;
  update(id: string, olds: MoveInputs, news: MoveInputs): Promise<{ outs: MoveInputs }>;
  delete(): Promise<void>;
};
export declare function handler(): typeof provider;
