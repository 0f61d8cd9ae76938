import { hubPolicy, vaultNames } from "../../../components/vault/vaultPolicies";
import { VAULT_POLICY } from "../../../policies/resourceTypes";
import { vaultHubPolicyMinimal } from "../../../policies/rules/vaultHubPolicyMinimal";
import { assertHasViolation, assertNoViolation, createResourceValidationArgs, violationsOf } from "../policyHarness";

const policy = vaultHubPolicyMinimal();
const vaultPolicy = (text: string, name = "jupyterhub-hub-jupyterhub") => createResourceValidationArgs(VAULT_POLICY, { name, policy: text });

it("passes the policy components/vault builds for the hub", () => {
  assertNoViolation(policy, vaultPolicy(hubPolicy(vaultNames("lab")), "jupyterhub-hub-lab"));
});

it("passes minting through the user token role and revoking by accessor, exactly", () => {
  const text = `
path "auth/token/create/jupyterhub-user-jupyterhub" { capabilities = ["create", "update"] }
path "auth/token/revoke-accessor" { capabilities = ["update"] }
path "secret/*" { capabilities = ["deny"] }
`;
  assertNoViolation(policy, vaultPolicy(text));
});

it("fails looking tokens up by accessor, which the hub does not need", () => {
  expect(violationsOf(policy, vaultPolicy(`path "auth/token/lookup-accessor" { capabilities = ["update"] }`))).toHaveLength(1);
});

it("fails everything with path \"*\" and sudo (issue 12)", () => {
  expect(violationsOf(policy, vaultPolicy(`path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }`))).toEqual([
    `policy jupyterhub-hub-jupyterhub, path "*": has a wildcard; the hub's policy lists exact paths`,
    `policy jupyterhub-hub-jupyterhub, path "*": grants sudo, which the hub never needs`,
    `policy jupyterhub-hub-jupyterhub, path "*": grants create, read, update, delete, list, sudo on a path the hub does not need; it may only create tokens through the user token role (auth/token/create/jupyterhub-user…) and revoke them by accessor`,
  ]);
});

it("fails reading secrets, other token roles, globs and extra capabilities", () => {
  assertHasViolation(policy, vaultPolicy(`path "secret/data/jupyter/users/ada/*" { capabilities = ["read"] }`), "a path the hub does not need");
  assertHasViolation(policy, vaultPolicy(`path "auth/token/create" { capabilities = ["update"] }`), "a path the hub does not need");
  assertHasViolation(policy, vaultPolicy(`path "auth/token/create/admin" { capabilities = ["update"] }`), "a path the hub does not need");
  assertHasViolation(policy, vaultPolicy(`path "auth/token/create/jupyterhub-user-*" { capabilities = ["update"] }`), "has a wildcard");
  assertHasViolation(policy, vaultPolicy(`path "auth/token/create/+" { capabilities = ["update"] }`), "has a wildcard");
  assertHasViolation(policy, vaultPolicy(`path "auth/token/revoke-accessor" { capabilities = ["update", "sudo"] }`), "grants sudo");
  assertHasViolation(
    policy,
    vaultPolicy(`path "auth/token/create/jupyterhub-user-lab" { capabilities = ["create", "update", "read", "list"] }`),
    "grants read, list, where auth/token/create/jupyterhub-user-lab needs only create, update",
  );
  assertHasViolation(policy, vaultPolicy(`path "auth/token/revoke" { capabilities = ["update"] }`), "a path the hub does not need");
  assertHasViolation(policy, vaultPolicy(`path "sys/policies/acl/x" { capabilities = ["update"] }`), "a path the hub does not need");
});

it("fails a text it cannot read, and leaves other policies alone", () => {
  assertHasViolation(policy, vaultPolicy(`{"path": {"*": {"capabilities": ["sudo"]}}}`), "cannot be checked");
  assertNoViolation(policy, vaultPolicy(`path "*" { capabilities = ["read"] }`, "jupyterhub-user-jupyterhub"));
  assertNoViolation(policy, createResourceValidationArgs("kubernetes:core/v1:Secret", { name: "jupyterhub-hub", policy: `path "*" {}` }));
});
