import type { ResourceValidationPolicy } from "@pulumi/policy";
import { VAULT_POLICY } from "../resourceTypes";
import { parseVaultPolicy, type VaultPathRule } from "./vaultPolicyPaths";

const USER_POLICY_PREFIX = "jupyterhub-user";
const WRITE_CAPABILITIES = ["create", "update", "delete", "patch"];
// A token acting on itself (looking it up, renewing it before it expires, revoking it) reaches
// nothing of anyone else's; user tokens are renewable, so their policy needs renew-self, and the
// hub revokes a stopped server's token with the token itself (revoke-self). Each of these
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
 * A user's Vault token reaches only that user's secrets: in a policy named jupyterhub-user…,
 * every path that can be written (create, update, delete, patch) is the user's own directory
 * `<mount>/…/<prefix>/users/<user>/` (the prefix is `jupyter` by default and configurable, so any
 * wildcard-free prefix is accepted) or the token's own self-management (lookup-self read,
 * renew-self and revoke-self update, exactly), no path reaches into another user's (or every
 * user's) directory, none starts with a wildcard, none touches `sys/`, and nothing grants sudo.
 * Reading a shared path elsewhere is fine (DESIGN.md, "Per-user Vault tokens").
 */
export function vaultUserPolicyOwnPath(): ResourceValidationPolicy {
  return {
    name: "vault-user-policy-own-path",
    description:
      "Vault policies for users (jupyterhub-user*) write only under the user's own <prefix>/users/<user>/ path and never reach other users, sys/, a wildcard mount or sudo.",
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
      for (const rule of rules) {
        for (const problem of pathProblems(rule, user)) reportViolation(`policy ${name}, path "${rule.path}": ${problem}`);
      }
    },
  };
}

/** What is wrong with one path block of a user policy; `user` is the name from jupyterhub-user-<user>. */
export function pathProblems({ path, capabilities }: VaultPathRule, user: string | undefined): string[] {
  const granted = capabilities.filter((capability) => capability !== "deny");
  if (granted.length === 0 || capabilities.includes("deny")) return [];
  const segments = path.split("/");
  const problems: string[] = [];
  if (segments[0] === "+" || segments[0].includes("*")) problems.push("starts with a wildcard, so it reaches every mount");
  if (segments.includes("sys")) problems.push("reaches sys/, Vault's own configuration");
  if (granted.includes("sudo")) problems.push("grants sudo, which no user token needs");
  const own = ownUserPath(segments, user);
  const writes = granted.filter((capability) => WRITE_CAPABILITIES.includes(capability));
  const selfNeeds = SELF_TOKEN_PATHS.get(path);
  if (own === "other") problems.push("reaches into users/ beyond the user's own directory");
  else if (selfNeeds) {
    const beyond = granted.filter((capability) => capability !== "sudo" && !selfNeeds.includes(capability));
    if (beyond.length > 0) problems.push(`grants ${beyond.join(", ")} on the token's own ${path}, which needs only ${selfNeeds.join(", ")}`);
  } else if (own === "none" && writes.length > 0) {
    problems.push(`grants ${writes.join(", ")} outside the user's own users/<user>/ path`);
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
  const prefix = segments.slice(0, at);
  const userSegment = segments[at + 1];
  const isOwnUser =
    userSegment !== undefined &&
    (TEMPLATED_USER.test(userSegment) || (LITERAL_USER.test(userSegment) && (user === undefined || userSegment === user)));
  const prefixIsExact = prefix.every((segment) => segment !== "" && segment !== "+" && !segment.includes("*"));
  return isOwnUser && prefixIsExact ? "own" : "other";
}
