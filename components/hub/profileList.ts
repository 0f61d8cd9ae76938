// Profiles from stack config → the chart's singleuser.profileList (KubeSpawner profiles).
import type { Profile } from "../../settings";
import { parseBytes, parseCpu } from "../../settings/quantities";
import { formatImageReference, parseImageReference } from "../../settings/imageReference";
import { profileImageReference, type BuiltImages } from "../images/imageBuild";

export const GPU_RESOURCE = "nvidia.com/gpu";

/** The KubeSpawner traits a profile sets; names are KubeSpawner's own. */
export interface KubeSpawnerOverride {
  image: string;
  cpu_limit: number;
  cpu_guarantee?: number;
  mem_limit: number;
  mem_guarantee?: number;
  extra_resource_limits?: Record<string, string>;
  uid?: number;
  allow_privilege_escalation?: boolean;
  environment?: Record<string, string>;
  init_containers?: Record<string, unknown>[];
  extra_labels?: Record<string, string>;
}

export interface ChartProfile {
  slug: string;
  display_name: string;
  description: string;
  default?: true;
  kubespawner_override: KubeSpawnerOverride;
}

/** What a profile gets from features outside it. */
export interface ProfileExtras {
  /** A profile's own init containers, given its image; absent: the chart-wide ones. */
  readonly initContainersFor?: (image: string) => Record<string, unknown>[];
  /** A label for the servers of profiles that run sshd (the hub routes SSH only to those). */
  readonly sshdLabel?: { readonly key: string; readonly runsSshd: (profile: Profile) => boolean };
}

/** Enabled profiles, in config order. Disabled ones are left out so nobody can pick them. */
export function buildProfileList(profiles: readonly Profile[], built: BuiltImages = {}, extras: ProfileExtras = {}): ChartProfile[] {
  return profiles.filter((p) => p.enabled).map((profile) => buildProfile(profile, built, extras));
}

export function buildProfile(profile: Profile, built: BuiltImages = {}, extras: ProfileExtras = {}): ChartProfile {
  const { initContainersFor, sshdLabel } = extras;
  const image = formatImageReference(parseImageReference(profileImageReference(profile.image, built))!);
  return {
    slug: profile.slug,
    display_name: profile.displayName,
    description: profile.description,
    ...(profile.default ? { default: true as const } : {}),
    kubespawner_override: {
      image,
      ...resources(profile),
      ...(profile.gpus > 0 ? { extra_resource_limits: { [GPU_RESOURCE]: String(profile.gpus) } } : {}),
      ...(profile.sudo ? sudo() : {}),
      ...(initContainersFor ? { init_containers: initContainersFor(image) } : {}),
      // A map, so KubeSpawner merges it into the chart's extra_labels instead of replacing them.
      ...(sshdLabel?.runsSshd(profile) ? { extra_labels: { [sshdLabel.key]: "true" } } : {}),
    },
  };
}

function resources(profile: Profile) {
  const { cpu, memory } = profile;
  return {
    cpu_limit: parseCpu(cpu.limit)!,
    ...(cpu.guarantee ? { cpu_guarantee: parseCpu(cpu.guarantee)! } : {}),
    mem_limit: parseBytes(memory.limit)!,
    ...(memory.guarantee ? { mem_guarantee: parseBytes(memory.guarantee)! } : {}),
  };
}

// The Jupyter Docker Stacks grant sudo when the container starts as root with GRANT_SUDO=yes,
// then drop to the notebook user. sudo is setuid, so it also needs privilege escalation, which
// every other profile keeps off (singleuser.allowPrivilegeEscalation: false).
function sudo(): Pick<KubeSpawnerOverride, "uid" | "allow_privilege_escalation" | "environment"> {
  return { uid: 0, allow_privilege_escalation: true, environment: { GRANT_SUDO: "yes" } };
}
