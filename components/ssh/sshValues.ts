// Chart values that mount each user's SSH keys (and host key) into their own server only: one
// Secret per user, named with KubeSpawner's {username} expansion, optional so users without keys
// start as usual. The image's start hooks install them (images/README.md).
import type { Settings } from "../../settings";

export const SSH_MOUNT_PATH = "/etc/jupyterhub/ssh";
/** sshd's port inside the server; the per-user Service maps port 22 to it. */
export const SSHD_PORT = 2222;
export const SSH_SECRET_KEYS = {
  authorizedKeys: "authorized_keys",
  hostKey: "ssh_host_ed25519_key",
  hostPublicKey: "ssh_host_ed25519_key.pub",
} as const;

/** Name of a user's SSH Secret; `{username}` in the chart is expanded to the same by KubeSpawner. */
export function sshSecretName(usernameSlug: string): string {
  return `ssh-${usernameSlug}`;
}

export function usersWithSsh(users: Settings["users"]): Settings["users"] {
  return users.filter((u) => u.ssh && (u.ssh.publicKeys.length > 0 || u.ssh.onePasswordKeys.length > 0));
}

// Lists, not maps: chart 4.2.0's schema takes extraVolumes and extraVolumeMounts as lists only.
export function sshVolumeValues(users: Settings["users"]): { volumes: Record<string, unknown>[]; mounts: Record<string, unknown>[] } | undefined {
  if (usersWithSsh(users).length === 0) return undefined;
  return {
    volumes: [
      {
        name: "ssh",
        secret: {
          secretName: sshSecretName("{username}"),
          optional: true,
          defaultMode: 0o440,
          items: [
            { key: SSH_SECRET_KEYS.authorizedKeys, path: "authorized_keys" },
            { key: SSH_SECRET_KEYS.hostKey, path: `host-keys/${SSH_SECRET_KEYS.hostKey}` },
            { key: SSH_SECRET_KEYS.hostPublicKey, path: `host-keys/${SSH_SECRET_KEYS.hostPublicKey}` },
          ],
        },
      },
    ],
    mounts: [{ name: "ssh", mountPath: SSH_MOUNT_PATH, readOnly: true }],
  };
}
