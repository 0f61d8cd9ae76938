// A stack's settings from its flat config, the way loadSettings reads them, without the Pulumi
// SDK: `npm run render` reports bad config with this before it loads the SDK and the program.
import { parseSettings } from "./parseSettings";
import type { Settings } from "./schema";
import { CONFIG_NAMESPACE, SettingsError, type SettingsProblem } from "./SettingsError";
import { closestName } from "./closestName";

/**
 * Validates a stack's flat config (`{"jupyterhub:hub": "{…}", "vault:address": …}`) into its
 * Settings; throws SettingsError with every problem, stray keys of other namespaces among them.
 */
export function settingsFromConfig(all: Readonly<Record<string, string>>): Settings {
  const { config, problems } = namespacedConfig(all);
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
  const problems: SettingsProblem[] = [];
  for (const [key, text] of Object.entries(all)) {
    if (key.startsWith(prefix)) config[key.slice(prefix.length)] = decode(text);
    else {
      const problem = foreignKeyProblem(key);
      if (problem) problems.push({ key, message: problem });
    }
  }
  return { config, problems };
}

/**
 * Namespaces the program honours besides its own: the default providers it uses read their own
 * keys (vault:address, onepassword:serviceAccountToken, docker-build:host), and `pulumi:` is the CLI's.
 */
const HONOURED_NAMESPACES = ["pulumi", "vault", "onepassword", "docker-build", "tls"] as const;

// Namespaces of providers the program makes itself, from jupyterhub: settings: their own keys
// would be ignored, so they are refused with where to say it instead.
const OWN_PROVIDER_NAMESPACES: Record<string, string> = {
  // Honouring kubernetes: for some resources only would split a stack across clusters.
  kubernetes: "is not used by this program; set jupyterhub:cluster.context or jupyterhub:cluster.kubeconfig instead",
  keycloak: "is not used by this program; Keycloak's address is jupyterhub:keycloak.url, its admin credentials the KEYCLOAK_* environment variables",
  // @pulumi/docker built the images before @pulumi/docker-build did: its keys would be ignored now.
  docker: "is not used by this program: images are built with docker-build, whose keys are docker-build: (e.g. docker-build:host)",
};

/** Why a stack key outside `jupyterhub:` would be ignored, or undefined when it is honoured. */
function foreignKeyProblem(key: string): string | undefined {
  const colon = key.indexOf(":");
  if (colon < 0) return `has no namespace; did you mean '${prefixed(key)}'?`;
  const namespace = key.slice(0, colon);
  if ((HONOURED_NAMESPACES as readonly string[]).includes(namespace)) return undefined;
  if (namespace in OWN_PROVIDER_NAMESPACES) return OWN_PROVIDER_NAMESPACES[namespace];
  if (closestName(namespace, [CONFIG_NAMESPACE]) === CONFIG_NAMESPACE) {
    return `unknown namespace '${namespace}'; did you mean '${prefixed(key.slice(colon + 1))}'?`;
  }
  const providers = HONOURED_NAMESPACES.filter((n) => n !== "pulumi").map((n) => `${n}:`).join(", ");
  return `unknown namespace '${namespace}': this program reads ${CONFIG_NAMESPACE}: keys (and ${providers} for the providers it uses), so this key would be ignored`;
}

function prefixed(name: string): string {
  return `${CONFIG_NAMESPACE}:${name}`;
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
