"""Shared volumes only for the groups they are meant for.

Every shared volume is in the chart's singleuser volumes; this KubeSpawner modify_pod_hook takes
a volume (and its mount) out of the pod of a user who is in none of its groups. Admins keep all.
The hub loads this file as a module from `hub.extraConfig` (components/hub/hubPythonModule.ts)
and calls `install(c, get_config("custom.sharedVolumes", []))`. Standard library only.
"""


def allowed(shared_volume, user_groups, is_admin):
    groups = shared_volume.get("groups") or []
    return is_admin or not groups or bool(set(groups) & set(user_groups))


def remove_unallowed(pod, shared_volumes, user_groups, is_admin):
    """Drop from the pod every shared volume the user may not have, with its mounts."""
    removed = {v["volume"] for v in shared_volumes if not allowed(v, user_groups, is_admin)}
    if not removed:
        return pod
    pod.spec.volumes = [volume for volume in pod.spec.volumes or [] if volume.name not in removed]
    for container in pod.spec.containers or []:
        container.volume_mounts = [mount for mount in container.volume_mounts or [] if mount.name not in removed]
    return pod


def install(c, shared_volumes):
    def modify_pod_hook(spawner, pod):
        user = spawner.user
        return remove_unallowed(pod, shared_volumes, [group.name for group in user.groups], bool(user.admin))

    c.KubeSpawner.modify_pod_hook = modify_pod_hook
    return modify_pod_hook
