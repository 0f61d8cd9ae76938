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
/**
 * What the image itself needs at its paths: the Docker Stacks' conda environment (Python, Jupyter,
 * the kernels) and the system directories. A mount on one of them, or above it, hides it and the
 * server does not start; inside /opt/conda is left open (a shared environment under envs/).
 */
const IMAGE_PATHS_NOT_ABOVE = ["/opt/conda"];
const IMAGE_PATHS = ["/usr", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/var", "/run", "/dev", "/proc", "/sys", "/root", "/tmp"];

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
    const imagePath = reserved ? undefined : [...IMAGE_PATHS_NOT_ABOVE.filter((p) => inside(p, at)), ...IMAGE_PATHS.filter((p) => inside(at, p) || inside(p, at))][0];
    if (imagePath) {
      problems.push({ path: key, message: `${at} would hide the image's own ${imagePath} (the conda environment, system files) and the server would not start; mount shared data at /srv/shared/<name> or in the home` });
    }
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

// The hub makes every member of keycloak.adminGroup an admin (admin_groups, components/hub/authValues.ts),
// whatever their users[].admin says: one group for both, or the admin group handed out as an
// ordinary group, makes people admins by accident.
export function checkKeycloakGroups({ keycloak, users }: Sections): CrossCheckProblem[] {
  if (!keycloak) return [];
  if (keycloak.userGroup === keycloak.adminGroup) {
    return [{ path: ["keycloak", "adminGroup"], message: `is keycloak.userGroup as well ('${keycloak.userGroup}'): every user would be an admin` }];
  }
  const problems: CrossCheckProblem[] = [];
  (users ?? []).forEach((user, index) => {
    const position = user.groups.indexOf(keycloak.adminGroup);
    if (position >= 0 && !user.admin) {
      problems.push({
        path: ["users", index, "groups", position],
        message: `'${keycloak.adminGroup}' is keycloak.adminGroup, whose members are hub admins: ${user.name} would be one though admin is false. Set admin: true if that is meant, else remove the group`,
      });
    }
  });
  return problems;
}
