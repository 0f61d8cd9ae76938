// What people do with a stack's hub in the real-hub tier, and what the stack's config says they
// should get, both worked out from the config alone (not from the hub's code): who logs in how,
// which profiles each may use, which server to name, which profile to forge.
import type { Settings } from "../../settings";

export interface Person {
  readonly name: string;
  readonly admin: boolean;
  readonly groups: readonly string[];
  /** FirstUseAuthenticator: the password the first login sets. */
  readonly password?: string;
  /** Keycloak: who signs in at Keycloak's login page: a linked Google/GitHub account, or a realm user's password. */
  readonly keycloakLogin?: { broker: string; account: string } | { username: string };
  /** The profile slugs this person may start, in the config's order. */
  readonly mayUse: readonly string[];
  readonly namedServer?: { name: string; profile: string };
  /** A profile the person may not use (or that does not exist), posted as if by a forged form. */
  readonly forge?: string;
}

export interface Scenario {
  readonly people: Person[];
}

/** The profiles a user may use: enabled, and open to all or to one of their groups (admins: all). */
export function profilesFor(settings: Settings, user: { admin: boolean; groups: readonly string[] }): string[] {
  return settings.profiles
    .filter((p) => p.enabled)
    .filter((p) => user.admin || p.allowedGroups.length === 0 || p.allowedGroups.some((g) => user.groups.includes(g)))
    .map((p) => p.slug);
}

/** A linked identity provider account where the config names one (the only way such a user can log in), else the realm user. */
function keycloakLogin(settings: Settings, name: string): { broker: string; account: string } | { username: string } {
  const identities = Object.entries((settings.keycloak as any)?.users?.[name]?.identities ?? {}) as [string, { userId: string }][];
  return identities.length ? { broker: identities[0][0], account: identities[0][1].userId } : { username: name };
}

export function scenarioFor(settings: Settings): Scenario {
  const usesKeycloak = settings.keycloak !== undefined;
  const enabled = settings.profiles.filter((p) => p.enabled).map((p) => p.slug);
  const defaultProfile = settings.profiles.find((p) => p.enabled && p.default)?.slug ?? enabled[0];
  let named = false;
  const people = settings.users.map((user) => {
    // With Keycloak the hub learns groups and admin from the token's claims; a local login has neither.
    const groups = usesKeycloak ? user.groups : [];
    const admin = user.admin;
    const mayUse = profilesFor(settings, { admin, groups });
    const refused = enabled.find((slug) => !mayUse.includes(slug));
    const person: Person = {
      name: user.name,
      admin,
      groups,
      ...(usesKeycloak ? { keycloakLogin: keycloakLogin(settings, user.name) } : { password: `${user.name}-first-login-password` }),
      mayUse,
      forge: refused ?? "no-such-profile",
    };
    if (!named && settings.namedServers.enabled && !admin) {
      named = true;
      return { ...person, namedServer: { name: "second", profile: defaultProfile } };
    }
    return person;
  });
  return { people };
}
