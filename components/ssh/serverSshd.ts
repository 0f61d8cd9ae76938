// sshd in the servers, delivered by the deployment instead of baked into an image: images/base's
// start hooks and sshd config go into a ConfigMap that every server mounts where images/base
// installs them. Any image with Jupyter Docker Stacks' start.sh and an sshd then runs sshd as
// images built from images/ do. start.sh sources /usr/local/bin/before-notebook.d/*.sh in name
// order, as root when the container starts as root (sudo profiles), else as the user it starts as
// (jupyter/docker-stacks images/docker-stacks-foundation/start.sh and run-hooks.sh), which is
// how the hooks are written. Built images get the deployment's copies over their own, so a server
// runs the hooks of the deployment that routes SSH to it, whatever image it was built from.
import * as fs from "fs";
import * as path from "path";

const BASE_IMAGE_DIR = path.join(__dirname, "..", "..", "images", "base");
/** Where start.sh looks for hooks (docker-stacks images/docker-stacks-foundation/Dockerfile). */
export const START_HOOKS_DIR = "/usr/local/bin/before-notebook.d";
/** sshd's config, where images/base/Dockerfile puts it and 20-sshd.sh reads it by default. */
export const SERVER_SSHD_CONFIG = "/etc/ssh/jupyterhub_sshd_config";
export const SERVER_SSHD_VOLUME = "sshd";

/** One file of the ConfigMap: its key, its source in images/base, and where a server sees it. */
export interface DeliveredFile {
  readonly key: string;
  readonly source: string;
  readonly mountPath: string;
}

/**
 * What the deployment delivers. Not 15-vault-token.sh: it serves Vault, not SSH (without it a
 * server's first vault_secrets call unwraps the token).
 */
export const SERVER_SSHD_FILES: readonly DeliveredFile[] = [
  { key: "10-authorized-keys.sh", source: path.join(BASE_IMAGE_DIR, "before-notebook.d", "10-authorized-keys.sh"), mountPath: `${START_HOOKS_DIR}/10-authorized-keys.sh` },
  { key: "20-sshd.sh", source: path.join(BASE_IMAGE_DIR, "before-notebook.d", "20-sshd.sh"), mountPath: `${START_HOOKS_DIR}/20-sshd.sh` },
  { key: "sshd_config", source: path.join(BASE_IMAGE_DIR, "sshd_config"), mountPath: SERVER_SSHD_CONFIG },
];

/** The ConfigMap's data: the files byte for byte. */
export function serverSshdData(): Record<string, string> {
  return Object.fromEntries(SERVER_SSHD_FILES.map((file) => [file.key, fs.readFileSync(file.source, "utf8")]));
}

/**
 * The servers' volume, readable by everyone and writable by no one: start.sh sources *.sh hooks
 * whatever their mode (run-hooks.sh), and the notebook user must read them and the config when the
 * container starts as that user.
 */
export function serverSshdVolume(configMapName: string): Record<string, unknown> {
  return {
    name: SERVER_SSHD_VOLUME,
    configMap: { name: configMapName, defaultMode: 0o444, items: SERVER_SSHD_FILES.map(({ key }) => ({ key, path: key })) },
  };
}

/**
 * One mount per file (subPath), never the directory: a volume over before-notebook.d would hide the
 * image's own hooks there (docker-stacks' 10activate-conda-env.sh, images/base's 15-vault-token.sh).
 * A subPath mount does not follow later changes to the ConfigMap; a server takes the files of the
 * deployment it started under, which is when the hooks run anyway.
 */
export function serverSshdMounts(): Record<string, unknown>[] {
  return SERVER_SSHD_FILES.map(({ key, mountPath }) => ({ name: SERVER_SSHD_VOLUME, mountPath, subPath: key, readOnly: true }));
}

/** In the servers of profiles that do not run sshd: the delivered 20-sshd.sh then leaves sshd off. */
export const SSHD_OFF_ENVIRONMENT: Readonly<Record<string, string>> = { JUPYTERHUB_SSH_DISABLED: "1" };
