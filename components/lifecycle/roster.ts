// Pulumi's memory of who was configured at the last `pulumi up`. The config is the record of
// taken names (jupyterhub:formerUsers, users[].renamedFrom), but nothing stops an edit from just
// deleting someone; the adoption guard (AdoptionGuard.ts) keeps this roster as its inputs, and its
// `check` compares the new config with the state's, so such an edit fails at preview. Pure.
import type { Settings } from "../../settings";
import { homeOwner } from "../storage/homeLocations";
import type { Roster } from "./providers/adoptionGuard.cjs";

export type { Roster } from "./providers/adoptionGuard.cjs";
// The check runs in the guard's provider, from the state's inputs and the config's.
export { rosterProblems } from "./providers/adoptionGuard.cjs";

export function roster(settings: Pick<Settings, "users" | "formerUsers">): Roster {
  return {
    users: settings.users.map((u) => u.name),
    formerUsers: settings.formerUsers.map((u) => u.name),
    homes: Object.fromEntries([...settings.users, ...settings.formerUsers].map((u) => [u.name, homeOwner(u)])),
  };
}
