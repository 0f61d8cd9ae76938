// Chart values for shared volumes: the NFS volumes and mounts for every server, and the hub's
// modify_pod_hook (shared_volumes.py) that takes group-only ones out of other users' pods.
import * as fs from "fs";
import * as path from "path";
import type { SharedVolumes } from "../../settings/sharedVolumesSchema";

export function sharedVolumeName(name: string): string {
  return `shared-${name}`;
}

export function sharedVolumeValues(shared: SharedVolumes):
  | { volumes: Record<string, unknown>[]; mounts: Record<string, unknown>[]; hubExtraConfig: Record<string, string>; custom: Record<string, unknown> }
  | undefined {
  if (shared.length === 0) return undefined;
  const gated = shared.filter((s) => s.groups.length > 0);
  return {
    volumes: shared.map((s) => ({ name: sharedVolumeName(s.name), nfs: { server: s.server, path: s.path, readOnly: s.readOnly } })),
    mounts: shared.map((s) => ({ name: sharedVolumeName(s.name), mountPath: s.mountPath ?? `/srv/shared/${s.name}`, readOnly: s.readOnly })),
    hubExtraConfig:
      gated.length > 0
        ? {
            "60-shared-volumes": [
              fs.readFileSync(path.join(__dirname, "shared_volumes.py"), "utf8"),
              'install(c, get_config("custom.sharedVolumes", []))',
              "",
            ].join("\n"),
          }
        : {},
    custom: gated.length > 0 ? { sharedVolumes: gated.map((s) => ({ volume: sharedVolumeName(s.name), groups: [...s.groups] })) } : {},
  };
}
