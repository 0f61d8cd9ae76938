// Names and chart values for users' homes: dynamic claims (one per user, made by KubeSpawner)
// or one NFS volume with a sub-directory per user.
import type { Settings } from "../../settings";

/** Claim of the NFS homes volume, in the hub's namespace. */
export const NFS_HOMES_CLAIM = "homes";
/** The NFS PersistentVolume is cluster-wide, so its name carries the namespace. */
export function nfsHomesVolumeName(namespace: string): string {
  return `${namespace}-homes`;
}

/** The chart's user uid and gid (singleuser.uid, singleuser.fsGid defaults). */
export const NOTEBOOK_UID = 1000;
export const NOTEBOOK_GID = 100;
export const HOME_MOUNT_PATH = "/home/jovyan";
/** Pinned: it runs as root in every user's pod, so it must not float. */
export const HOME_OWNER_IMAGE = "docker.io/library/busybox:1.37.0";

export function storageValues(storage: Settings["storage"]): Record<string, unknown> {
  if (storage.type === "dynamic") {
    return {
      type: "dynamic",
      capacity: storage.capacity,
      ...(storage.storageClass ? { dynamic: { storageClass: storage.storageClass } } : {}),
    };
  }
  return { type: "static", static: { pvcName: NFS_HOMES_CLAIM, subPath: "{username}" } };
}

/**
 * With NFS the kubelet creates a new user's sub-directory as root; this init container hands it
 * to the notebook user on first start and leaves a home that already has an owner alone.
 */
export function homeOwnerInitContainers(storage: Settings["storage"]): Record<string, unknown>[] {
  if (storage.type !== "nfs") return [];
  const owner = `${NOTEBOOK_UID}:${NOTEBOOK_GID}`;
  return [
    {
      name: "home-owner",
      image: HOME_OWNER_IMAGE,
      command: ["sh", "-c", `if [ "$(stat -c %u ${HOME_MOUNT_PATH})" = 0 ]; then chown ${owner} ${HOME_MOUNT_PATH} && chmod 0750 ${HOME_MOUNT_PATH}; fi`],
      securityContext: { runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"], add: ["CHOWN", "FOWNER"] } },
      volumeMounts: [{ name: "home", mountPath: HOME_MOUNT_PATH, subPath: "{username}" }],
    },
  ];
}
