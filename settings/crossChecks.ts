// Checks that span more than one key: each returns problems as (path, message) pairs and runs
// only on sections that parsed, so a config gets every problem reported in one go.
import type { Settings } from "./schema";

export interface CrossCheckProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

type Sections = Partial<Settings>;

function duplicates<T>(items: readonly T[], keyOf: (item: T) => string): Map<number, number> {
  // index of a repeat → index of its first occurrence
  const first = new Map<string, number>();
  const repeats = new Map<number, number>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    const seen = first.get(key);
    if (seen === undefined) first.set(key, index);
    else repeats.set(index, seen);
  });
  return repeats;
}

export function checkUniqueUsers({ users }: Sections): CrossCheckProblem[] {
  if (!users) return [];
  return [...duplicates(users, (u) => u.name)].map(([index, first]) => ({
    path: ["users", index, "name"],
    message: `'${users[index].name}' is already listed at users[${first}]`,
  }));
}

export function checkUniqueGroups({ groups }: Sections): CrossCheckProblem[] {
  if (!groups) return [];
  return [...duplicates(groups, (g) => g)].map(([index]) => ({
    path: ["groups", index],
    message: `'${groups[index]}' is declared twice`,
  }));
}

export function checkUniqueSlugs({ profiles }: Sections): CrossCheckProblem[] {
  if (!profiles) return [];
  return [...duplicates(profiles, (p) => p.slug)].map(([index, first]) => ({
    path: ["profiles", index, "slug"],
    message: `'${profiles[index].slug}' is already the slug of profiles[${first}]`,
  }));
}

export function checkDefaultProfile({ profiles }: Sections): CrossCheckProblem[] {
  if (!profiles) return [];
  const problems: CrossCheckProblem[] = [];
  profiles.forEach((profile, index) => {
    if (profile.default && !profile.enabled) {
      problems.push({ path: ["profiles", index, "default"], message: "a disabled profile cannot be the default" });
    }
  });
  const enabled = profiles.filter((p) => p.enabled);
  if (enabled.length === 0) {
    problems.push({ path: ["profiles"], message: "no profile is enabled; enable at least one" });
    return problems;
  }
  const defaults = enabled.filter((p) => p.default).map((p) => p.slug);
  if (defaults.length !== 1) {
    problems.push({
      path: ["profiles"],
      message:
        defaults.length === 0
          ? "no enabled profile has default: true; mark exactly one"
          : `exactly one enabled profile may be the default, found ${defaults.length}: ${defaults.join(", ")}`,
    });
  }
  return problems;
}

export function checkProfileGroupsExist({ profiles, users, groups }: Sections): CrossCheckProblem[] {
  if (!profiles || !users || !groups) return [];
  const known = new Set([...groups, ...users.flatMap((u) => u.groups)]);
  const problems: CrossCheckProblem[] = [];
  profiles.forEach((profile, index) =>
    profile.allowedGroups.forEach((group, groupIndex) => {
      if (!known.has(group)) {
        problems.push({
          path: ["profiles", index, "allowedGroups", groupIndex],
          message: `group '${group}' is neither declared in jupyterhub:groups nor held by any user`,
        });
      }
    }),
  );
  return problems;
}

export function checkLetsEncryptHost({ https, hub }: Sections): CrossCheckProblem[] {
  if (!https || !hub || https.type !== "letsencrypt") return [];
  if (hub.host.includes(".") && hub.host !== "localhost") return [];
  return [
    {
      path: ["https", "type"],
      message: `Let's Encrypt needs a public DNS name for hub.host, not '${hub.host}'`,
    },
  ];
}

export const CROSS_CHECKS: readonly ((sections: Sections) => CrossCheckProblem[])[] = [
  checkUniqueUsers,
  checkUniqueGroups,
  checkUniqueSlugs,
  checkDefaultProfile,
  checkProfileGroupsExist,
  checkLetsEncryptHost,
];
