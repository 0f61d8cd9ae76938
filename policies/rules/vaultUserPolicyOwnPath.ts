import type { ResourceValidationPolicy } from "@pulumi/policy";
import { VAULT_POLICY } from "../resourceTypes";
import { parseVaultPolicy, type VaultPathRule } from "./vaultPolicyPaths";

const USER_POLICY_PREFIX = "jupyterhub-user";
// What users may do with the secrets shared with all of them: read them and list their names.
const SHARED_CAPABILITIES = ["read", "list"];
// A token acting on itself (looking it up, renewing it before it expires, revoking it) reaches
// nothing of anyone else's; user tokens are renewable, so their policy needs renew-self. (The hub
// revokes a stopped server's token by accessor, with its own policy; a user policy may still let
// a token revoke itself, which ends only that token.) Each of these
// endpoints is one GET (lookup-self: read) or one POST (renew-self, revoke-self: update) in
// Vault's token auth API, so exactly that capability is accepted on it, and nothing more.
const SELF_TOKEN_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  ["auth/token/lookup-self", ["read"]],
  ["auth/token/renew-self", ["update"]],
  ["auth/token/revoke-self", ["update"]],
]);
// The per-user segment may be Vault's templated entity name (one shared policy for every user)
// or the user's name written out (one policy per user, named jupyterhub-user-<user>).
const TEMPLATED_USER = /^\{\{identity\.entity\.(name|aliases\.[A-Za-z0-9_.-]+\.name)\}\}$/;
const LITERAL_USER = /^[a-z0-9][a-z0-9._@+-]*$/;

/**
 * A user's Vault token reaches only that user's secrets. In a policy named jupyterhub-user…,
 * every path that grants anything is one of three, and nothing else (an allow-list: reading is
 * as much a leak as writing, so `secret/data/*` with read is refused like any write):
 *
 * - the user's own tree `<mount>/…/<prefix>/users/<user>[/…]`, any capability but sudo (the
 *   prefix is `jupyter` by default and configurable, so any wildcard-free prefix is accepted);
 * - the shared tree `<mount>/…/<prefix>/shared[/…]` beside that users/ directory (the same
 *   mount, API and prefix as one of the policy's own-user paths), read and list only;
 * - the token's own self-management: lookup-self read, renew-self and revoke-self update, exactly.
 *
 * No path reaches into another user's (or every user's) directory, none starts with a wildcard,
 * none touches `sys/`, and nothing grants sudo (docs/explanation/vault.md).
 */
export function vaultUserPolicyOwnPath(): ResourceValidationPolicy {
  return {
    name: "vault-user-policy-own-path",
    description:
      "Vault policies for users (jupyterhub-user*) grant only the user's own <prefix>/users/<user>/ tree, the shared tree read-only and the token's own lookup/renew/revoke-self; never other users, sys/, a wildcard or sudo.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== VAULT_POLICY) return;
      const name = typeof args.props.name === "string" ? args.props.name : args.name;
      if (!name.startsWith(USER_POLICY_PREFIX)) return;
      const text = args.props.policy;
      const rules = typeof text === "string" ? parseVaultPolicy(text) : undefined;
      if (!rules) {
        reportViolation(`policy ${name}: the policy text is not plain path blocks, so it cannot be checked`);
        return;
      }
      const user = name.startsWith(`${USER_POLICY_PREFIX}-`) ? name.slice(USER_POLICY_PREFIX.length + 1) : undefined;
      const usersParents = ownUsersParents(rules, user);
      for (const rule of rules) {
        for (const problem of pathProblems(rule, user, usersParents)) reportViolation(`policy ${name}, path "${rule.path}": ${problem}`);
      }
    },
  };
}

/**
 * What is wrong with one path block of a user policy; `user` is the name from
 * jupyterhub-user-<user>, `usersParents` the "<mount>/…/<prefix>" of the policy's own-user
 * paths (where a shared/ tree may sit beside users/).
 */
export function pathProblems({ path, capabilities }: VaultPathRule, user: string | undefined, usersParents: ReadonlySet<string> = new Set()): string[] {
  const granted = capabilities.filter((capability) => capability !== "deny");
  if (granted.length === 0 || capabilities.includes("deny")) return [];
  const segments = path.split("/");
  const problems: string[] = [];
  if (segments[0] === "+" || segments[0].includes("*")) problems.push("starts with a wildcard, so it reaches every mount");
  if (segments.includes("sys")) problems.push("reaches sys/, Vault's own configuration");
  if (granted.includes("sudo")) problems.push("grants sudo, which no user token needs");
  const own = ownUserPath(segments, user);
  const selfNeeds = SELF_TOKEN_PATHS.get(path);
  const beyondSudo = (allowed: readonly string[]) => granted.filter((capability) => capability !== "sudo" && !allowed.includes(capability));
  if (own === "other") problems.push("reaches into users/ beyond the user's own directory");
  else if (own === "own") return problems;
  else if (selfNeeds) {
    const beyond = beyondSudo(selfNeeds);
    if (beyond.length > 0) problems.push(`grants ${beyond.join(", ")} on the token's own ${path}, which needs only ${selfNeeds.join(", ")}`);
  } else if (isSharedPath(segments, usersParents)) {
    const beyond = beyondSudo(SHARED_CAPABILITIES);
    if (beyond.length > 0) problems.push(`grants ${beyond.join(", ")} on the shared tree, which users may only ${SHARED_CAPABILITIES.join(" and ")}`);
  } else {
    const beyond = beyondSudo([]);
    if (beyond.length > 0) {
      problems.push(
        `grants ${beyond.join(", ")} outside the user's own users/<user>/ path, the shared/ tree beside it (read only) and the token's own lookup-self, renew-self and revoke-self`,
      );
    }
  }
  return problems;
}

/**
 * "own": the user's directory <mount>/…/users/<this user>[/…] under a wildcard-free prefix;
 * "other": under a users/ directory but not the user's own (a wildcard, another user, the list
 * of all users); "none": elsewhere.
 */
function ownUserPath(segments: readonly string[], user: string | undefined): "own" | "other" | "none" {
  const at = segments.lastIndexOf("users");
  if (at < 1) return "none";
  const userSegment = segments[at + 1];
  const isOwnUser =
    userSegment !== undefined &&
    (TEMPLATED_USER.test(userSegment) || (LITERAL_USER.test(userSegment) && (user === undefined || userSegment === user)));
  return isOwnUser && isExact(segments.slice(0, at)) ? "own" : "other";
}

/** "<mount>/…/<prefix>" of every own-user path of the policy: where users/ is. */
function ownUsersParents(rules: readonly VaultPathRule[], user: string | undefined): Set<string> {
  const parents = new Set<string>();
  for (const { path } of rules) {
    const segments = path.split("/");
    if (ownUserPath(segments, user) === "own") parents.add(segments.slice(0, segments.lastIndexOf("users")).join("/"));
  }
  return parents;
}

/**
 * <parent>/shared[/…] where <parent> is the wildcard-free "<mount>/…/<prefix>" of one of the
 * policy's own-user paths: the shared tree of this hub, not a "shared" directory anywhere else
 * in Vault. Globs below shared/ are fine (everything in it is shared); on the word itself
 * ("shared*") they would reach siblings.
 */
function isSharedPath(segments: readonly string[], usersParents: ReadonlySet<string>): boolean {
  const at = segments.indexOf("shared");
  if (at < 1) return false;
  const parent = segments.slice(0, at);
  return isExact(parent) && usersParents.has(parent.join("/"));
}

function isExact(segments: readonly string[]): boolean {
  return segments.every((segment) => segment !== "" && segment !== "+" && !segment.includes("*"));
}
