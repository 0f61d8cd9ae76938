// The one place that reads Pulumi config. Everything else receives the parsed Settings.
import * as pulumi from "@pulumi/pulumi";
import { parseSettings } from "./parseSettings";
import type { Settings } from "./schema";
import { CONFIG_NAMESPACE, SettingsError, type SettingsProblem } from "./SettingsError";

/** Reads and validates the stack's `jupyterhub:` config; throws SettingsError when it is bad. */
export function loadSettings(): Settings {
  const { config, problems } = namespacedConfig(pulumi.runtime.allConfig());
  let settings: Settings;
  try {
    settings = parseSettings(config);
  } catch (error) {
    if (error instanceof SettingsError) throw new SettingsError([...problems, ...error.problems]);
    throw error;
  }
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}

/**
 * The `jupyterhub:` entries of a stack's flat config (`{"jupyterhub:hub": "{…}"}`), keys without
 * the prefix and structured values decoded. The CLI hands objects and lists over as JSON text
 * and scalars as plain text.
 */
export function namespacedConfig(all: Readonly<Record<string, string>>): {
  config: Record<string, unknown>;
  problems: SettingsProblem[];
} {
  const prefix = CONFIG_NAMESPACE + ":";
  const config: Record<string, unknown> = {};
  const foreign: string[] = [];
  for (const [key, text] of Object.entries(all)) {
    if (key.startsWith(prefix)) config[key.slice(prefix.length)] = decode(text);
    else if (key.startsWith("kubernetes:")) foreign.push(key);
  }
  // Every resource goes through this program's own Kubernetes providers, which ignore the
  // kubernetes: namespace; honouring it for some resources only would split a stack across clusters.
  const problems = foreign.map((key) => ({
    key,
    message: "is not used by this program; set jupyterhub:cluster.context or jupyterhub:cluster.kubeconfig instead",
  }));
  return { config, problems };
}

function decode(text: string): unknown {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
