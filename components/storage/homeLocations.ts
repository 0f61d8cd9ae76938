// Where each user's home is, named the way KubeSpawner 7 names it: the stack's `homes` and
// `formerHomes` outputs, which the README's reset and hand-over steps read instead of guessing.
import * as path from "path";
import type { Settings, User } from "../../settings";
import { templateSlug, userServerSlug } from "../ssh/kubespawnerLabels";

export interface HomeLocation {
  /** Dynamic storage: the PersistentVolumeClaim KubeSpawner made for the user's default server. */
  readonly claim?: string;
  readonly namespace?: string;
  /** NFS: the user's sub-directory of the export, and its whole path on the NFS server. */
  readonly subPath?: string;
  readonly nfs?: string;
  /** The earlier name whose home a renamed user keeps (users[].renamedFrom). */
  readonly keptFrom?: string;
}

export interface UserHome extends HomeLocation {
  /** `ssh` destination of the user's default server, for users with SSH keys. */
  readonly ssh?: string;
}

/** The name a user's home is named after: the oldest earlier name of a renamed user. */
export function homeOwner(user: Pick<User, "name" | "renamedFrom">): string {
  return user.renamedFrom?.[0] ?? user.name;
}

/**
 * A home's location. KubeSpawner 7's default pvc_name_template is 'claim-{user_server}', which
 * for the default server is the username's safe slug unless that is 47 or 48 characters long; the
 * chart's static storage mounts the sub-directory '{username}', the safe slug (kubespawner/
 * spawner.py, _expand_user_properties).
 */
export function homeLocation(storage: Settings["storage"], namespace: string, owner: string): HomeLocation {
  if (storage.type === "dynamic") return { claim: `claim-${userServerSlug(owner)}`, namespace };
  const slug = templateSlug(owner);
  return { subPath: slug, nfs: `${storage.server}:${path.posix.join(storage.path, slug)}` };
}

/** Every configured user's home, with their SSH destination where they have one. */
export function userHomes(settings: Pick<Settings, "users" | "storage" | "hub">, sshEndpoints: Readonly<Record<string, string>>): Record<string, UserHome> {
  return Object.fromEntries(
    settings.users.map((user) => {
      const owner = homeOwner(user);
      return [
        user.name,
        {
          ...homeLocation(settings.storage, settings.hub.namespace, owner),
          ...(owner !== user.name ? { keptFrom: owner } : {}),
          ...(sshEndpoints[user.name] ? { ssh: sshEndpoints[user.name] } : {}),
        },
      ];
    }),
  );
}

/** Kept homes that no configured user has: those of jupyterhub:formerUsers. */
export function formerHomes(settings: Pick<Settings, "formerUsers" | "storage" | "hub">): Record<string, HomeLocation> {
  return Object.fromEntries(
    settings.formerUsers.map((former) => {
      const owner = homeOwner(former);
      return [former.name, { ...homeLocation(settings.storage, settings.hub.namespace, owner), ...(owner !== former.name ? { keptFrom: owner } : {}) }];
    }),
  );
}
