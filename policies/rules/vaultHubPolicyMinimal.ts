import type { ResourceValidationPolicy } from "@pulumi/policy";
import { VAULT_POLICY } from "../resourceTypes";
import { parseVaultPolicy, type VaultPathRule } from "./vaultPolicyPaths";

const HUB_POLICY_PREFIX = "jupyterhub-hub";
// The hub mints users' tokens through the user token role (components/vault/vaultNames: the
// role is jupyterhub-user-<namespace>): POST auth/token/create/<role>, which Vault checks as
// create or update. A role of another name could hand out other policies.
const CREATE_PATH = /^auth\/token\/create\/(jupyterhub-user[A-Za-z0-9_.-]*)$/;
const CREATE_CAPABILITIES = ["create", "update"];
// Revoking a stopped server's token by its accessor, and looking an accessor up first, are one
// POST each (update). Vault cannot narrow them to the tokens of one role, so the hub may revoke
// any token whose accessor it knows; it learns only the accessors of tokens it minted, and this
// is still far less than a token that can read or write a secret.
const ACCESSOR_PATHS: ReadonlyMap<string, readonly string[]> = new Map([
  ["auth/token/revoke-accessor", ["update"]],
]);

/**
 * The hub's Vault token mints user tokens and nothing else (docs/explanation/vault.md): in a policy named
 * jupyterhub-hub…, the only paths are `auth/token/create/<user token role>` (create, update) and,
 * to revoke a stopped server's token, `auth/token/revoke-accessor` (update). No wildcard (`*`, `+`) anywhere, no sudo, no secret: a
 * hub that is compromised must not read anyone's secrets or mint a token with other policies.
 * Deny blocks only take rights away and are accepted anywhere.
 */
export function vaultHubPolicyMinimal(): ResourceValidationPolicy {
  return {
    name: "vault-hub-policy-minimal",
    description:
      "The hub's Vault policy (jupyterhub-hub*) grants only create/update on auth/token/create/<user token role> and update on auth/token/revoke-accessor: no wildcard, no sudo, no secret.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== VAULT_POLICY) return;
      const name = typeof args.props.name === "string" ? args.props.name : args.name;
      if (!name.startsWith(HUB_POLICY_PREFIX)) return;
      const text = args.props.policy;
      const rules = typeof text === "string" ? parseVaultPolicy(text) : undefined;
      if (!rules) {
        reportViolation(`policy ${name}: the policy text is not plain path blocks, so it cannot be checked`);
        return;
      }
      for (const rule of rules) {
        for (const problem of hubPathProblems(rule)) reportViolation(`policy ${name}, path "${rule.path}": ${problem}`);
      }
    },
  };
}

/** What is wrong with one path block of the hub's policy. */
export function hubPathProblems({ path, capabilities }: VaultPathRule): string[] {
  const granted = capabilities.filter((capability) => capability !== "deny");
  if (granted.length === 0 || capabilities.includes("deny")) return [];
  const problems: string[] = [];
  if (path.includes("*") || path.split("/").includes("+")) problems.push("has a wildcard; the hub's policy lists exact paths");
  if (granted.includes("sudo")) problems.push("grants sudo, which the hub never needs");
  const needs = CREATE_PATH.test(path) ? CREATE_CAPABILITIES : ACCESSOR_PATHS.get(path);
  if (!needs) {
    problems.push(
      `grants ${granted.join(", ")} on a path the hub does not need; it may only create tokens through the user token role (auth/token/create/jupyterhub-user…) and revoke them by accessor`,
    );
    return problems;
  }
  const beyond = granted.filter((capability) => capability !== "sudo" && !needs.includes(capability));
  if (beyond.length > 0) problems.push(`grants ${beyond.join(", ")}, where ${path} needs only ${needs.join(", ")}`);
  return problems;
}
