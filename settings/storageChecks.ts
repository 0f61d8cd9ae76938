// Storage that cannot work as configured: a share that exposes everyone's homes, and a promise to
// delete homes that nothing keeps.
import * as path from "path";
import type { CrossCheckProblem } from "./crossChecks";
import type { Settings } from "./schema";

type Sections = Partial<Settings>;

function within(child: string, parent: string): boolean {
  const relative = path.posix.relative(path.posix.normalize(parent), path.posix.normalize(child));
  return relative === "" || (!relative.startsWith("..") && !path.posix.isAbsolute(relative));
}

// A shared volume is mounted whole into every server it is for (read-only or not): exporting the
// homes' directory, or one above it, hands every user every other user's home.
export function checkSharedVolumeExports({ storage, sharedVolumes }: Sections): CrossCheckProblem[] {
  if (!sharedVolumes || storage?.type !== "nfs") return [];
  const homes = storage.path;
  return sharedVolumes.flatMap((volume, index) =>
    volume.server.toLowerCase() === storage.server.toLowerCase() && (within(homes, volume.path) || within(volume.path, homes))
      ? [
          {
            path: ["sharedVolumes", index, "path"],
            message: `${volume.path} on ${volume.server} ${within(homes, volume.path) ? "holds" : "is inside"} the users' homes (storage.path ${homes}), so every server it is mounted in could read every user's home: export the shared data from a directory outside ${homes}`,
          },
        ]
      : [],
  );
}

// NFS homes are one PersistentVolume with reclaim policy Retain (components/storage/NfsHomes.ts):
// deleting it leaves every file on the server, and the program never deletes files there.
export function checkNfsDeleteHomes({ storage }: Sections): CrossCheckProblem[] {
  if (storage?.type !== "nfs" || !storage.deleteHomesOnDestroy) return [];
  return [
    {
      path: ["storage", "deleteHomesOnDestroy"],
      message: `has no effect on NFS homes: the files stay on ${storage.server}:${storage.path} (the volume is Retain, and nothing here deletes files on the server). Remove it, and delete the directories on the server yourself once you mean to`,
    },
  ];
}
