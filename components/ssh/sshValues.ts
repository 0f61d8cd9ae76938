// Chart values for SSH through the gateway: the gateway's key as every server's authorized_keys,
// sshd's start hooks and config in every server (serverSshd.ts), the hub module that gives each
// server it starts a host key of its own and a Pipe that trusts only that key, and the label that
// marks servers whose profile runs sshd.
import * as path from "path";
import type { Settings } from "../../settings";
import { hasSshKeys } from "../../settings/sshChecks";
import { hubPythonModule, type HubPythonModule } from "../hub/hubPythonModule";
import { templateSlug } from "./kubespawnerLabels";
import { gatewayNames, SSHD_PORT, userKeysField } from "./gatewayObjects";
import { serverSshdMounts, serverSshdVolume } from "./serverSshd";

export const SSH_MOUNT_PATH = "/etc/jupyterhub/ssh";
/**
 * Where the hub mounts a server's own host key (images/base/before-notebook.d/20-sshd.sh reads it
 * there). Beside SSH_MOUNT_PATH rather than in it: no mount point inside a ConfigMap volume.
 */
export const SERVER_HOST_KEY_DIR = "/etc/jupyterhub/ssh-host-key";
/** On servers whose profile runs sshd; the hub writes Pipes only for those. */
export const SSHD_LABEL = "jupyterhub-pulumi/sshd";
/** The notebook user sshd lets in (Jupyter Docker Stacks' NB_USER). */
export const SERVER_USER = "jovyan";
const SSH_PIPES_SOURCE = path.join(__dirname, "ssh_pipes.py");

export function usersWithSsh(users: Settings["users"]): Settings["users"] {
  return users.filter(hasSshKeys);
}

/** The hook's configuration (`custom.ssh`): names only, nothing secret. */
export function sshPipesConfig(settings: Pick<Settings, "users" | "hub">): Record<string, unknown> {
  const names = gatewayNames(settings.hub.releaseName);
  return {
    upstreamKeySecretName: names.upstreamKey,
    userKeysSecretName: names.userKeys,
    port: SSHD_PORT,
    serverUser: SERVER_USER,
    sshdLabel: SSHD_LABEL,
    hostKeyDir: SERVER_HOST_KEY_DIR,
    release: settings.hub.releaseName,
    // Username → their field in the keys Secret.
    users: Object.fromEntries(usersWithSsh(settings.users).map((user) => [user.name, userKeysField(templateSlug(user.name))])),
  };
}

export interface SshValues {
  readonly hubExtraConfig: Record<string, string>;
  readonly hubExtraFiles: HubPythonModule["extraFiles"];
  readonly custom: Record<string, unknown>;
  readonly volumes: Record<string, unknown>[];
  readonly mounts: Record<string, unknown>[];
}

// Lists, not maps: chart 4.2.0's schema takes extraVolumes and extraVolumeMounts as lists only.
export function sshValues(settings: Pick<Settings, "users" | "hub">): SshValues | undefined {
  if (usersWithSsh(settings.users).length === 0) return undefined;
  // After the profile filter ("50-") and the shared volumes ("60-"): the Pipe writer wraps whichever spawner class is set by then.
  const module = hubPythonModule(
    SSH_PIPES_SOURCE,
    "ssh_pipes",
    'from kubespawner import KubeSpawner\nssh_pipes.install(c, get_config("custom.ssh"), KubeSpawner)',
  );
  return {
    hubExtraConfig: { "70-ssh-pipes": module.extraConfig },
    hubExtraFiles: module.extraFiles,
    custom: { ssh: sshPipesConfig(settings) },
    volumes: [
      {
        name: "ssh",
        configMap: {
          name: gatewayNames(settings.hub.releaseName).serverAuthorizedKeys,
          defaultMode: 0o444,
          items: [{ key: "authorized_keys", path: "authorized_keys" }],
        },
      },
      serverSshdVolume(gatewayNames(settings.hub.releaseName).serverSshd),
    ],
    mounts: [{ name: "ssh", mountPath: SSH_MOUNT_PATH, readOnly: true }, ...serverSshdMounts()],
  };
}
