// Cross-checks of values handed to other systems, by those systems' rules: each of these would
// otherwise deploy and then fail, or silently do something else.
import * as path from "path";
import type { CrossCheckProblem } from "./crossChecks";
import type { Settings } from "./schema";

type Sections = Partial<Settings>;

/** The notebook user's home, where every server mounts the user's home volume. */
const HOME = "/home/jovyan";
/** Where the program mounts its own files into servers (SSH keys, CA bundle, Vault helper). */
const RESERVED = ["/etc/jupyterhub", "/opt/jupyterhub"];

function inside(child: string, parent: string): boolean {
  const relative = path.posix.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.posix.isAbsolute(relative));
}

/** Shared volumes may not hide the home, the program's own mounts, or each other. */
export function checkSharedVolumeMounts({ sharedVolumes }: Sections): CrossCheckProblem[] {
  if (!sharedVolumes) return [];
  const problems: CrossCheckProblem[] = [];
  const mounts = sharedVolumes.map((volume, index) => ({ index, at: path.posix.normalize(volume.mountPath ?? `/srv/shared/${volume.name}`) }));
  for (const { index, at } of mounts) {
    const key = ["sharedVolumes", index, "mountPath"];
    // Inside the home is fine (a mount point in the home volume); on it or above it hides the home.
    if (inside(HOME, at)) {
      problems.push({ path: key, message: `${at} would hide the home directory ${HOME}; mount shared data beside it or inside it, e.g. /srv/shared/<name> or ${HOME}/<name>` });
    }
    const reserved = RESERVED.find((r) => inside(at, r) || inside(r, at));
    if (reserved) problems.push({ path: key, message: `${at} collides with ${reserved}, where the program mounts its own files` });
    for (const other of mounts) {
      if (other.index < index && (inside(at, other.at) || inside(other.at, at))) {
        problems.push({ path: key, message: `${at} collides with sharedVolumes[${other.index}] at ${other.at}` });
      }
    }
  }
  return problems;
}

// Vault caps a token's TTL at its max: a TTL above it is a mistake in one of the two.
export function checkVaultTokenTtls({ vault }: Sections): CrossCheckProblem[] {
  if (!vault || vault.userTokens.ttl <= vault.userTokens.maxTtl) return [];
  return [{ path: ["vault", "userTokens", "ttl"], message: `${vault.userTokens.ttl}s is longer than userTokens.maxTtl ${vault.userTokens.maxTtl}s` }];
}

// One group for both would make every user an admin.
export function checkKeycloakGroups({ keycloak }: Sections): CrossCheckProblem[] {
  if (!keycloak || keycloak.userGroup !== keycloak.adminGroup) return [];
  return [{ path: ["keycloak", "adminGroup"], message: `is keycloak.userGroup as well ('${keycloak.userGroup}'): every user would be an admin` }];
}
