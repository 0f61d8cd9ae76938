// Secrets read at deploy time from where the stack config says (an environment variable or a
// 1Password item), always as Pulumi secrets so they are encrypted in state and hidden in output.
import * as onepassword from "@1password/pulumi-onepassword";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import type { SecretSource } from "../../settings/secretSourceSchema";
import { configKey, SettingsError, type SettingsProblem } from "../../settings/SettingsError";

/** The environment of `pulumi up`; injected so tests and render never read the real one. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Every secret source the settings name, with its config path. */
export function secretSources(settings: Settings): { path: (string | number)[]; source: SecretSource }[] {
  const sources: { path: (string | number)[]; source: SecretSource }[] = [];
  const providers = settings.keycloak?.identityProviders ?? {};
  for (const [name, provider] of Object.entries(providers)) {
    if (provider) sources.push({ path: ["keycloak", "identityProviders", name, "clientSecret"], source: provider.clientSecret });
  }
  for (const login of ["credentials", "pullCredentials"] as const) {
    const value = settings.images?.[login];
    if (value && "token" in value) sources.push({ path: ["images", login, "token"], source: value.token });
  }
  return sources;
}

/** Problems for environment variables the settings name but the environment lacks. */
export function missingEnvironment(settings: Settings, environment: Environment): SettingsProblem[] {
  return secretSources(settings).flatMap(({ path, source }) =>
    "env" in source && !environment[source.env]
      ? [{ key: configKey(path), message: `environment variable ${source.env} is not set` }]
      : [],
  );
}

/**
 * The secret a source names. `path` is the source's config key: an error raised once 1Password
 * has answered names it, and never the item's title or the field's label (a mistake there may be a
 * pasted secret, settings/secretShapes.ts).
 */
export function deployTimeSecret(source: SecretSource, environment: Environment, path?: readonly (string | number)[]): pulumi.Output<string> {
  if ("env" in source) return pulumi.secret(environment[source.env] ?? "");
  const { vault, item, field } = source.onePassword;
  const found = onepassword.getItemOutput({ vault, title: item });
  return pulumi.secret(found.apply((result) => itemField(result, field, path)));
}

/** The public key of a 1Password SSH Key item (public, so not a Pulumi secret). */
export function onePasswordPublicKey(vault: string, item: string, path?: readonly (string | number)[]): pulumi.Output<string> {
  return onepassword.getItemOutput({ vault, title: item }).apply((result) => {
    if (!result.publicKey) throw referenceError(path, "names a 1Password item with no public key; name an SSH Key item");
    return result.publicKey;
  });
}

/** A 1Password reference that does not lead to a value, as a config problem at its key. */
function referenceError(path: readonly (string | number)[] | undefined, message: string): SettingsError {
  return new SettingsError([{ key: path ? configKey(path) : "a 1Password reference of the stack config", message }]);
}

type OnePasswordItem = Pick<onepassword.GetItemResult, "credential" | "password" | "username" | "noteValue" | "sections">;

/** A field of a 1Password item: a built-in one by name (`notes` is a Secure Note's text), else a section field by label. */
export function itemField(item: OnePasswordItem, field: string, path?: readonly (string | number)[]): string {
  const builtIn: Record<string, string | undefined> = {
    credential: item.credential,
    password: item.password,
    username: item.username,
    notes: item.noteValue,
  };
  const value = builtIn[field] || item.sections?.flatMap((s) => s.fields ?? []).find((f) => f.label === field)?.value;
  if (!value) {
    const labels = item.sections?.flatMap((s) => s.fields ?? []).map((f) => f.label) ?? [];
    throw referenceError(
      path,
      "names a 1Password field that is empty or not in the item; name credential, password, username, notes" +
        (labels.length ? ` or one of the item's section fields: ${labels.join(", ")}` : " or a section field's label"),
    );
  }
  return value;
}
