import { z } from "zod";
import { CROSS_CHECKS } from "./crossChecks";
import { settingsSchema, settingsShape, type Settings } from "./schema";
import { configKey, SettingsError, type SettingsProblem } from "./SettingsError";
import { closestName } from "./closestName";

type SectionName = keyof typeof settingsShape;
const SECTION_NAMES = Object.keys(settingsShape) as SectionName[];

/**
 * Validates the `jupyterhub:` config (keys without the namespace prefix) and applies every
 * default. Each section is parsed on its own and the cross-checks run on the sections that
 * parsed, so one bad key does not hide the others. Throws SettingsError listing them all.
 */
export function parseSettings(raw: Readonly<Record<string, unknown>>): Settings {
  const problems: SettingsProblem[] = [];
  for (const key of Object.keys(raw)) {
    if (!(SECTION_NAMES as string[]).includes(key)) {
      problems.push({ key: configKey([key]), message: unknownKeyMessage(key) });
    }
  }

  const sections: Record<string, unknown> = {};
  for (const name of SECTION_NAMES) {
    // jitless: zod's fast path generates and compiles a function per object schema on its first
    // use, which pays off over many parses; the settings are parsed once per run (homelab's
    // parse takes half the time without it, 1,000 users' the same).
    const result = settingsShape[name].safeParse(raw[name], { reportInput: true, jitless: true });
    if (result.success) sections[name] = result.data;
    else problems.push(...result.error.issues.flatMap((issue) => describeIssue([name], issue)));
  }

  for (const check of CROSS_CHECKS) {
    for (const problem of check(sections as Partial<Settings>, raw)) {
      problems.push({ key: configKey(problem.path), message: problem.message });
    }
  }

  if (problems.length > 0) throw new SettingsError(problems);
  return deepFreeze(sections as Settings);
}

function describeIssue(prefix: (string | number)[], issue: z.core.$ZodIssue): SettingsProblem[] {
  const path = [...prefix, ...(issue.path as (string | number)[])];
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({ key: configKey([...path, key]), message: unknownKeyMessage(key) }));
    case "invalid_type":
      if (issue.input === undefined) return [{ key: configKey(path), message: `is required (${issue.expected})` }];
      return [{ key: configKey(path), message: `must be ${article(issue.expected)}, not ${describeValue(issue.input)}` }];
    default:
      return [{ key: configKey(path), message: issue.message }];
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  if (typeof value === "object") return "a map";
  return `${typeof value} ${JSON.stringify(value)}`;
}

// Every key name anywhere in the schema, to suggest the intended one for a misspelling.
let knownKeys: string[] | undefined;
function allKeyNames(): string[] {
  if (!knownKeys) {
    const names = new Set<string>();
    const visit = (node: unknown): void => {
      if (!node || typeof node !== "object") return;
      const properties = (node as { properties?: Record<string, unknown> }).properties;
      if (properties) Object.keys(properties).forEach((k) => names.add(k));
      Object.values(node).forEach(visit);
    };
    visit(z.toJSONSchema(settingsSchema, { io: "input" }));
    knownKeys = [...names];
  }
  return knownKeys;
}

function unknownKeyMessage(key: string): string {
  const suggestion = closestName(key, allKeyNames());
  // The key itself is a key elsewhere (`env` in a secret source): suggesting it would say nothing.
  if (suggestion === key) return "unknown key here (it is a key of other blocks, not of this one)";
  return suggestion ? `unknown key; did you mean '${suggestion}'?` : "unknown key";
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
