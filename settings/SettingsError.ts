import { RunError } from "@pulumi/pulumi";
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
    super(
      `invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  ${p.key}: ${p.message}`).join("\n"),
    );
    this.name = "SettingsError";
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
