// Chart values that load profile_filter.py into the hub when a profile is limited to groups.
import * as path from "path";
import type { Settings } from "../../settings";
import { hubPythonModule, type HubPythonModule } from "./hubPythonModule";

const PROFILE_FILTER_SOURCE = path.join(__dirname, "profile_filter.py");

/** Groups allowed per profile slug, for enabled profiles that name any. */
export function profileGroups(profiles: Settings["profiles"]): Record<string, string[]> {
  return Object.fromEntries(profiles.filter((p) => p.enabled && p.allowedGroups.length > 0).map((p) => [p.slug, [...p.allowedGroups]]));
}

/** `hub.extraConfig` and `custom` entries, or undefined when every profile is open to everyone. */
export function profileFilterValues(
  profiles: Settings["profiles"],
): { extraConfig: Record<string, string>; extraFiles: HubPythonModule["extraFiles"]; custom: Record<string, unknown> } | undefined {
  const groups = profileGroups(profiles);
  if (Object.keys(groups).length === 0) return undefined;
  const module = hubPythonModule(
    PROFILE_FILTER_SOURCE,
    "profile_filter",
    'from kubespawner import KubeSpawner\nprofile_filter.install(c, get_config("custom.profileGroups", {}), KubeSpawner)',
  );
  return { extraConfig: { "50-profile-filter": module.extraConfig }, extraFiles: module.extraFiles, custom: { profileGroups: groups } };
}
