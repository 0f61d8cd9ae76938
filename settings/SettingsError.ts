// From the SDK's errors module alone: the SDK as a whole takes most of a second to load, which
// `npm run render` spares bad config (stackSettings.ts).
import { RunError } from "@pulumi/pulumi/errors";
/** One thing wrong with the stack config: where (a config key path) and what. */
export interface SettingsProblem {
  /** Full key path as a user would look for it, e.g. `jupyterhub:profiles[1].cpu.limit`. */
  readonly key: string;
  readonly message: string;
}

/**
 * Thrown before any resource is declared; lists every problem found, not just the first. A
 * RunError, so the Pulumi CLI prints the message alone, without "unhandled exception" and a stack.
 */
export class SettingsError extends RunError {
  constructor(readonly problems: readonly SettingsProblem[]) {
    const text =
      `invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
      problems.map((p) => `  ${p.key}: ${p.message}`).join("\n");
    super(text);
    this.name = "SettingsError";
    // Thrown inside an apply, the error reaches the CLI through the SDK's input serialization, which
    // prepends `error serializing property "<input>": ` to the message once per nesting level
    // (@pulumi/pulumi runtime/rpc.js, serializeFilteredProperties): a chain of resource input names
    // in front of the config key. The message is the problems, whoever assigns to it.
    Object.defineProperty(this, "message", { get: () => text, set: () => undefined, enumerable: false, configurable: false });
  }
}

export const CONFIG_NAMESPACE = "jupyterhub";

/** `["profiles", 1, "cpu"]` → `jupyterhub:profiles[1].cpu`. */
export function configKey(path: readonly PropertyKey[]): string {
  let key = CONFIG_NAMESPACE + ":";
  path.forEach((part, index) => {
    if (typeof part === "number") key += `[${part}]`;
    else key += (index === 0 ? "" : ".") + String(part);
  });
  return key;
}
