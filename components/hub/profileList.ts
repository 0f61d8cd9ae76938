// Profiles from stack config → the chart's singleuser.profileList (KubeSpawner profiles).
import type { Profile } from "../../settings";
import { parseBytes, parseCpu } from "../../settings/quantities";
import { formatImageReference, parseImageReference } from "../../settings/imageReference";
import { profileImageReference, type BuiltImages } from "../images/imageBuild";
import { SSHD_OFF_ENVIRONMENT } from "../ssh/serverSshd";

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
  container_security_context?: Record<string, unknown>;
  pod_security_context?: Record<string, unknown>;
  init_containers?: Record<string, unknown>[];
  extra_labels?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
  node_selector?: Record<string, string>;
  extra_pod_config?: Record<string, unknown>;
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
  /**
   * A label for the servers of profiles that run sshd (the hub routes SSH only to those); the others
   * get sshd turned off, since the deployment's sshd hook is in every server (ssh/serverSshd.ts).
   */
  readonly sshdLabel?: { readonly key: string; readonly runsSshd: (profile: Profile) => boolean };
  /** The chart's tolerations for every user pod, which a profile's own list must repeat. */
  readonly userPodTolerations?: readonly Record<string, unknown>[];
}

/** Enabled profiles, in config order. Disabled ones are left out so nobody can pick them. */
export function buildProfileList(profiles: readonly Profile[], built: BuiltImages = {}, extras: ProfileExtras = {}): ChartProfile[] {
  return profiles.filter((p) => p.enabled).map((profile) => buildProfile(profile, built, extras));
}

export function buildProfile(profile: Profile, built: BuiltImages = {}, extras: ProfileExtras = {}): ChartProfile {
  const { initContainersFor, sshdLabel, userPodTolerations = [] } = extras;
  const image = formatImageReference(parseImageReference(profileImageReference(profile.image, built))!);
  const sshdOff = sshdLabel !== undefined && !sshdLabel.runsSshd(profile);
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
      // A dictionary, which KubeSpawner merges into the chart's extraEnv like GRANT_SUDO above.
      ...(sshdOff ? { environment: { ...(profile.sudo ? sudo().environment : {}), ...SSHD_OFF_ENVIRONMENT } } : {}),
      ...(initContainersFor ? { init_containers: initContainersFor(image) } : {}),
      // A map, so KubeSpawner merges it into the chart's extra_labels instead of replacing them.
      ...(sshdLabel?.runsSshd(profile) ? { extra_labels: { [sshdLabel.key]: "true" } } : {}),
      ...scheduling(profile, userPodTolerations),
    },
  };
}

// KubeSpawner 7 merges a dictionary override into the trait and replaces any other
// (spawner.py _apply_overrides): node_selector and extra_pod_config merge into the chart's, but a
// list of tolerations would replace the chart's tolerations for user pods (jupyterhub_config.py
// sets scheduling.userPods.tolerations + singleuser.extraTolerations), so the list repeats them.
// runtimeClassName has no trait of its own; extra_pod_config is merged into the pod spec.
function scheduling(profile: Profile, userPodTolerations: readonly Record<string, unknown>[]): Pick<KubeSpawnerOverride, "tolerations" | "node_selector" | "extra_pod_config"> {
  return {
    ...(profile.tolerations.length > 0 ? { tolerations: [...userPodTolerations, ...profile.tolerations] } : {}),
    ...(Object.keys(profile.nodeSelector).length > 0 ? { node_selector: { ...profile.nodeSelector } } : {}),
    ...(profile.runtimeClassName ? { extra_pod_config: { runtimeClassName: profile.runtimeClassName } } : {}),
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

/**
 * What root may do in a sudo server: the capabilities the container keeps (it drops ALL and adds
 * these back), every one in the Pod Security baseline list, so the namespace's
 * `pod-security.kubernetes.io/enforce: baseline` admits the server. Each is needed by start.sh
 * (Docker Stacks, run as root before it drops to the notebook user), by images/base's start hooks
 * or by sudo, and with them by what the profile is for, installing system packages:
 *
 * - SETUID, SETGID: start.sh ends in `sudo --user $NB_USER`, the start hooks switch to the user
 *   with `setpriv`, sshd (as root) drops to its privilege separation user and then to the user,
 *   the user's own `sudo` becomes root, and apt drops to `_apt` to download.
 * - CHOWN: `usermod` (20-sshd.sh unlocks the user's password field) rewrites /etc/shadow as
 *   root:shadow, sshd hands a terminal (pty) to the user, dpkg installs files owned by others.
 * - FOWNER: 15-vault-token.sh chowns the token's emptyDir to the user and then chmods it 700,
 *   which root may do to a file it no longer owns only with FOWNER; dpkg and `sudo chmod` change
 *   files root does not own. (Not sshd: its pty_setowner, openssh-portable sshpty.c, chmods a
 *   pty only when the mode differs from 0620, and the runtime mounts devpts with mode=0620,gid=5,
 *   moby oci/defaults.go and containerd pkg/oci's default mounts, so a new pty already has it.)
 * - DAC_OVERRIDE: root reading and writing files it does not own, as `sudo` users expect: apt
 *   moves downloads out of its `_apt`-owned partial/ directory, `sudo pip` writes into the
 *   user-owned conda tree, root reaches into the 0750 home.
 * - KILL: signals across users. tini (PID 1, root) and the sudo that start.sh execs relay the
 *   pod's SIGTERM to the notebook server running as the user; without KILL the server never
 *   stops gracefully. `sudo kill` of a process of the notebook user needs it too.
 * - SYS_CHROOT: sshd started as root chroots its pre-authentication child to /run/sshd and refuses
 *   every connection without it (SSH into sudo servers).
 * - AUDIT_WRITE: sshd running as root writes a login audit record when it opens a session with
 *   a pty, and a failed write is fatal (openssh-portable audit-linux.c: audit_session_open calls
 *   fatal() when linux_audit_record_event fails, and EPERM is excused only for a non-root sshd),
 *   so without it every interactive SSH session into a sudo server ends at once. sudo also
 *   writes an audit record for every command.
 *
 * Left out, though a runtime grants them by default: NET_RAW (raw packets on the pod network;
 * outside baseline), MKNOD, NET_BIND_SERVICE, SETFCAP, SETPCAP and FSETID (dpkg then silently drops
 * the setgid bit of the rare setgid program it installs; nothing in a notebook needs that).
 * policies/rules/privilegeOnlyForSudo.ts holds the same list as the most a sudo profile may add.
 */
export const SUDO_CAPABILITIES = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID", "SYS_CHROOT"] as const;

// The Jupyter Docker Stacks grant sudo when the container starts as root with GRANT_SUDO=yes,
// then drop to the notebook user. sudo is setuid, so it also needs privilege escalation, which
// every other profile keeps off (singleuser.allowPrivilegeEscalation: false). Root keeps only
// SUDO_CAPABILITIES, and the whole pod (init containers too) runs the container runtime's default
// seccomp profile, which blocks the system calls containers never need (KubeSpawner 7 merges
// these two dictionaries into the security contexts it builds, over uid and escalation).
function sudo(): Pick<
  KubeSpawnerOverride,
  "uid" | "allow_privilege_escalation" | "environment" | "container_security_context" | "pod_security_context"
> {
  return {
    uid: 0,
    allow_privilege_escalation: true,
    environment: { GRANT_SUDO: "yes" },
    container_security_context: { capabilities: { drop: ["ALL"], add: [...SUDO_CAPABILITIES] } },
    pod_security_context: { seccompProfile: { type: "RuntimeDefault" } },
  };
}
