// Reading the Zero to JupyterHub values a Helm release carries. Values arrive as plain JSON
// (inputs under render, deserialized properties under the analyzer), so every level is checked
// before it is read: a rule must never throw on a shape it does not expect.

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The release's `values`, when they are an object. */
export function releaseValues(props: JsonObject): JsonObject | undefined {
  return isObject(props.values) ? props.values : undefined;
}

/** `values.singleuser`, or an empty object. */
export function singleuserValues(values: JsonObject): JsonObject {
  return isObject(values.singleuser) ? values.singleuser : {};
}

/** One place a KubeSpawner override applies: a profile, or one choice of a profile option. */
export interface ServerOverride {
  /** Where it is, for messages: "singleuser.profileList[2] (workbench)". */
  readonly where: string;
  /** "profile" for the profile itself; "choice" for a profile option's (unlisted) choice. */
  readonly level: "profile" | "choice";
  /** The override as KubeSpawner applies it: a choice's keys on top of its profile's. */
  readonly override: JsonObject;
  /** The keys this place sets itself (for a choice, without its profile's). */
  readonly own: JsonObject;
}

/**
 * Every KubeSpawner override in `singleuser.profileList`: each profile's `kubespawner_override`
 * and each `profile_options.<option>.choices.<choice>` / `unlisted_choice` override, the latter
 * merged over its profile's the way KubeSpawner applies them (a choice's key replaces the
 * profile's; dictionaries such as `environment` are replaced too, which is the strict reading).
 */
export function serverOverrides(values: JsonObject): ServerOverride[] {
  const profileList = singleuserValues(values).profileList;
  if (!Array.isArray(profileList)) return [];
  const overrides: ServerOverride[] = [];
  profileList.forEach((profile, index) => {
    if (!isObject(profile)) return;
    const where = `singleuser.profileList[${index}]${typeof profile.slug === "string" ? ` (${profile.slug})` : ""}`;
    const own = isObject(profile.kubespawner_override) ? profile.kubespawner_override : {};
    overrides.push({ where, level: "profile", override: own, own });
    const options = isObject(profile.profile_options) ? profile.profile_options : {};
    for (const [optionName, option] of Object.entries(options)) {
      if (!isObject(option)) continue;
      const choices = isObject(option.choices) ? Object.entries(option.choices) : [];
      if (isObject(option.unlisted_choice)) choices.push(["unlisted_choice", option.unlisted_choice]);
      for (const [choiceName, choice] of choices) {
        if (!isObject(choice) || !isObject(choice.kubespawner_override)) continue;
        overrides.push({
          where: `${where}.profile_options.${optionName}.${choiceName === "unlisted_choice" ? choiceName : `choices.${choiceName}`}`,
          level: "choice",
          override: { ...own, ...choice.kubespawner_override },
          own: choice.kubespawner_override,
        });
      }
    }
  });
  return overrides;
}

/** True for a profileList that lists at least one profile. */
export function hasProfiles(values: JsonObject): boolean {
  const profileList = singleuserValues(values).profileList;
  return Array.isArray(profileList) && profileList.length > 0;
}
