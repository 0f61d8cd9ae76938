// The one place that reads Pulumi config. Everything else receives the parsed Settings.
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "./schema";
import { settingsFromConfig } from "./stackSettings";

/** Reads and validates the stack's `jupyterhub:` config; throws SettingsError when it is bad. */
export function loadSettings(): Settings {
  return settingsFromConfig(pulumi.runtime.allConfig());
}
