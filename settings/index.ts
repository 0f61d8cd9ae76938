export { loadSettings } from "./loadSettings";
export { namespacedConfig } from "./stackSettings";
export { parseSettings } from "./parseSettings";
export { SettingsError, type SettingsProblem } from "./SettingsError";
export type { Settings, SettingsInput, Profile, User } from "./schema";
