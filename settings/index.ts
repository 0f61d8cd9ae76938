export { loadSettings, namespacedConfig } from "./loadSettings";
export { parseSettings } from "./parseSettings";
export { SettingsError, type SettingsProblem } from "./SettingsError";
export type { Settings, SettingsInput, Profile, User } from "./schema";
