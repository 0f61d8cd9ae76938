// Chart values that give every server a Vault token: the hub's pre-spawn hook (Python, loaded
// as extraConfig) with its configuration, and the notebook helper mounted into the servers.
import * as fs from "fs";
import * as path from "path";
import type { Settings } from "../../settings";
import type { VaultSettings } from "../../settings/vaultSchema";
import { vaultNames } from "../vault/vaultPolicies";
import { hubPythonModule, type HubPythonModule } from "./hubPythonModule";
import { CA_FILE } from "../trust/caBundleValues";

const VAULT_DIR = path.join(__dirname, "..", "vault");
/** Where servers find the notebook helper (`import vault_secrets`). */
export const NOTEBOOK_PYTHON_DIR = "/opt/jupyterhub/python";

/** The hook's configuration (`custom.vault`): addresses and names, nothing secret. */
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
    // The homelab CA, added to the public ones for the hook's calls to Vault.
    ...(trustsOwnCa ? { caFile: CA_FILE } : {}),
  };
}

export interface VaultValues {
  readonly hubExtraConfig: Record<string, string>;
  readonly hubExtraFiles: HubPythonModule["extraFiles"];
  readonly custom: Record<string, unknown>;
  readonly singleuserExtraFiles: Record<string, unknown>;
  readonly singleuserExtraEnv: Record<string, string>;
}

export function vaultValues(settings: Settings): VaultValues | undefined {
  if (!settings.vault) return undefined;
  const hook = hubPythonModule(
    path.join(VAULT_DIR, "vault_token_hook.py"),
    "vault_token_hook",
    'c.Spawner.pre_spawn_hook = vault_token_hook.make_pre_spawn_hook(get_config("custom.vault"))',
  );
  return {
    hubExtraConfig: { "40-vault-hook": hook.extraConfig },
    hubExtraFiles: hook.extraFiles,
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
