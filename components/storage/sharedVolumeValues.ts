// Chart values for shared volumes: the NFS volumes and mounts for every server, and the hub's
// modify_pod_hook (shared_volumes.py) that takes group-only ones out of other users' pods.
import * as path from "path";
import type { SharedVolumes } from "../../settings/sharedVolumesSchema";
import { hubPythonModule, type HubPythonModule } from "../hub/hubPythonModule";

export function sharedVolumeName(name: string): string {
  return `shared-${name}`;
}

export function sharedVolumeValues(shared: SharedVolumes):
  | {
      volumes: Record<string, unknown>[];
      mounts: Record<string, unknown>[];
      hubExtraConfig: Record<string, string>;
      hubExtraFiles: HubPythonModule["extraFiles"];
      custom: Record<string, unknown>;
    }
  | undefined {
  if (shared.length === 0) return undefined;
  const gated = shared.filter((s) => s.groups.length > 0);
  const hook =
    gated.length > 0
      ? hubPythonModule(path.join(__dirname, "shared_volumes.py"), "shared_volumes", 'shared_volumes.install(c, get_config("custom.sharedVolumes", []))')
      : undefined;
  return {
    volumes: shared.map((s) => ({ name: sharedVolumeName(s.name), nfs: { server: s.server, path: s.path, readOnly: s.readOnly } })),
    mounts: shared.map((s) => ({ name: sharedVolumeName(s.name), mountPath: s.mountPath ?? `/srv/shared/${s.name}`, readOnly: s.readOnly })),
    hubExtraConfig: hook ? { "60-shared-volumes": hook.extraConfig } : {},
    hubExtraFiles: hook?.extraFiles ?? {},
    custom: gated.length > 0 ? { sharedVolumes: gated.map((s) => ({ volume: sharedVolumeName(s.name), groups: [...s.groups] })) } : {},
  };
}
