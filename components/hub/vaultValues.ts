// Chart values that give every server a Vault token: the hub's hooks (Python, loaded as
// extraConfig) with their configuration, and the notebook helper mounted into the servers, which
// unwraps the server's token into a file in memory (VAULT_TOKEN_FILE).
import * as fs from "fs";
import * as path from "path";
import type { Settings } from "../../settings";
import type { VaultSettings } from "../../settings/vaultSchema";
import { vaultNames } from "../vault/vaultPolicies";
import { HUB_VAULT_JWT_FILE, hubLoginTokenVolume } from "../vault/kubernetesAuth";
import { hubPythonModule, type HubPythonModule } from "./hubPythonModule";
import { CA_FILE } from "../trust/caBundleValues";

const VAULT_DIR = path.join(__dirname, "..", "vault");
/** Where servers find the notebook helper (`import vault_secrets`). */
export const NOTEBOOK_PYTHON_DIR = "/opt/jupyterhub/python";
/**
 * Where each server keeps its unwrapped token: an emptyDir in memory (medium: Memory, a tmpfs)
 * that the hub's hook adds to the pod of every server it mints for, mounted in the notebook
 * container only. Never on a disk, gone with the pod.
 */
export const VAULT_TOKEN_DIR = "/run/jupyterhub-vault";

/** The hooks' configuration (`custom.vault`): addresses, names and lifetimes, nothing secret. */
export function vaultHookConfig(vault: VaultSettings, namespace: string, trustsOwnCa = false): Record<string, unknown> {
  const names = vaultNames(namespace);
  return {
    address: vault.address,
    kubernetesAuthMount: vault.kubernetesAuth.mount,
    hubRole: names.hubRole,
    tokenRole: names.tokenRole,
    kvMount: vault.kvMount,
    pathPrefix: vault.pathPrefix,
    onFailure: vault.onFailure,
    timeoutSeconds: vault.timeout,
    // Sent with every create: a token role ignores token_ttl (components/vault/VaultAccess.ts).
    tokenTtlSeconds: vault.userTokens.ttl,
    wrapTtlSeconds: vault.userTokens.wrapTtl,
    tokenDir: VAULT_TOKEN_DIR,
    // With an audience the hub logs in with its projected token of that audience.
    ...(vault.kubernetesAuth.audience ? { jwtFile: HUB_VAULT_JWT_FILE } : {}),
    // The homelab CA, added to the public ones for the hook's calls to Vault.
    ...(trustsOwnCa ? { caFile: CA_FILE } : {}),
  };
}

export interface VaultValues {
  readonly hubExtraConfig: Record<string, string>;
  readonly hubExtraFiles: HubPythonModule["extraFiles"];
  /** The hub's projected login token of kubernetesAuth.audience (hub.extraVolumes/extraVolumeMounts); empty without one. */
  readonly hubExtraVolumes: Record<string, unknown>[];
  readonly hubExtraVolumeMounts: Record<string, unknown>[];
  readonly custom: Record<string, unknown>;
  readonly singleuserExtraFiles: Record<string, unknown>;
  readonly singleuserExtraEnv: Record<string, string>;
}

export function vaultValues(settings: Settings): VaultValues | undefined {
  if (!settings.vault) return undefined;
  // One call wires both hooks: the pre-spawn hook mints, and the post-stop hook (on every spawner,
  // those a restarted hub loads from its database included) revokes by accessor.
  const hook = hubPythonModule(
    path.join(VAULT_DIR, "vault_token_hook.py"),
    "vault_token_hook",
    'vault_token_hook.install(c, get_config("custom.vault"))',
  );
  const loginToken = hubLoginTokenVolume(settings.vault.kubernetesAuth);
  return {
    hubExtraConfig: { "40-vault-hook": hook.extraConfig },
    hubExtraFiles: hook.extraFiles,
    hubExtraVolumes: loginToken ? [loginToken.volume] : [],
    hubExtraVolumeMounts: loginToken ? [loginToken.mount] : [],
    custom: { vault: vaultHookConfig(settings.vault, settings.hub.namespace, settings.caBundle !== undefined) },
    singleuserExtraFiles: {
      "vault-secrets": {
        mountPath: `${NOTEBOOK_PYTHON_DIR}/vault_secrets.py`,
        stringData: fs.readFileSync(path.join(VAULT_DIR, "vault_secrets.py"), "utf8"),
        mode: 0o644,
      },
    },
    singleuserExtraEnv: { PYTHONPATH: NOTEBOOK_PYTHON_DIR },
  };
}
