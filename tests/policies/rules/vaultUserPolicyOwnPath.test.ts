import { VAULT_POLICY } from "../../../policies/resourceTypes";
import { parseVaultPolicy } from "../../../policies/rules/vaultPolicyPaths";
import { vaultUserPolicyOwnPath } from "../../../policies/rules/vaultUserPolicyOwnPath";
import { userPolicy } from "../../../components/vault/vaultPolicies";
import { assertHasViolation, assertNoViolation, createResourceValidationArgs, violationsOf } from "../policyHarness";

const policy = vaultUserPolicyOwnPath();
const vaultPolicy = (name: string, text: string) => createResourceValidationArgs(VAULT_POLICY, { name, policy: text });

const TEMPLATED = `
# Each user's own secrets, read and write.
path "secret/data/jupyter/users/{{identity.entity.name}}/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
path "secret/metadata/jupyter/users/{{identity.entity.name}}/*" { capabilities = ["read", "list", "delete"] }
// Shared, read only.
path "secret/data/jupyter/shared/*" {
  capabilities = ["read", "list"]
}
`;

// The shape components/vault builds: the alias name of the token auth method, a configurable
// prefix, the user's own directory listed, and the token's self-renewal and self-revocation.
const ALIASED = `
path "kv/data/lab/users/{{identity.entity.aliases.auth_token_0a1b2c.name}}/*" { capabilities = ["create", "read", "update", "patch", "delete"] }
path "kv/metadata/lab/users/{{identity.entity.aliases.auth_token_0a1b2c.name}}" { capabilities = ["list"] }
path "kv/delete/lab/users/{{identity.entity.aliases.auth_token_0a1b2c.name}}/*" { capabilities = ["update"] }
path "kv/data/lab/shared/*" { capabilities = ["read"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
`;

it("passes a templated per-user policy and a literal one named after its user", () => {
  assertNoViolation(policy, vaultPolicy("jupyterhub-users", TEMPLATED));
  assertNoViolation(policy, vaultPolicy("jupyterhub-user-jupyterhub", ALIASED));
  assertNoViolation(
    policy,
    vaultPolicy("jupyterhub-user-aiko.tanaka", `path "kv/data/jupyter/users/aiko.tanaka/*" { capabilities = ["read", "patch"] }`),
  );
});

it("fails writing outside the user's path, or into another user's", () => {
  assertHasViolation(
    policy,
    vaultPolicy("jupyterhub-users", `path "secret/data/jupyter/other/*" { capabilities = ["update"] }`),
    `path "secret/data/jupyter/other/*": grants update outside the user's own users/<user>/ path`,
  );
  assertHasViolation(
    policy,
    vaultPolicy("jupyterhub-user-ada", `path "kv/data/jupyter/users/grace/*" { capabilities = ["read"] }`),
    "reaches into users/ beyond the user's own directory",
  );
  assertHasViolation(policy, vaultPolicy("jupyterhub-users", `path "kv/metadata/jupyter/users" { capabilities = ["list"] }`), "beyond the user's own");
  assertHasViolation(policy, vaultPolicy("jupyterhub-users", `path "auth/token/create" { capabilities = ["update"] }`), "grants update outside");
  assertHasViolation(
    policy,
    vaultPolicy("jupyterhub-users", `path "kv/data/jupyter/users/+/*" { capabilities = ["create"] }`),
    "beyond the user's own directory",
  );
});

it("passes the policy components/vault really builds", () => {
  assertNoViolation(policy, vaultPolicy("jupyterhub-user-lab", userPolicy({ kvMount: "kv", pathPrefix: "team/jupyter" }, "auth_token_12ab34cd")));
});

it("lets a token manage only itself: revoke-self and renew-self with update, lookup-self with read, exactly", () => {
  const text = `
path "auth/token/revoke-self" { capabilities = ["create", "update", "delete"] }
path "auth/token/renew-self" { capabilities = ["update", "patch"] }
path "auth/token/lookup-self" { capabilities = ["read", "update", "list"] }
`;
  expect(violationsOf(policy, vaultPolicy("jupyterhub-users", text))).toEqual([
    `policy jupyterhub-users, path "auth/token/revoke-self": grants create, delete on the token's own auth/token/revoke-self, which needs only update`,
    `policy jupyterhub-users, path "auth/token/renew-self": grants patch on the token's own auth/token/renew-self, which needs only update`,
    `policy jupyterhub-users, path "auth/token/lookup-self": grants update, list on the token's own auth/token/lookup-self, which needs only read`,
  ]);
});

it("fails revoking any other token: by value, by accessor, or a glob around revoke-self", () => {
  for (const path of ["auth/token/revoke", "auth/token/revoke-accessor", "auth/token/revoke-orphan", "auth/token/revoke-self*", "auth/token/revoke*"]) {
    assertHasViolation(
      policy,
      vaultPolicy("jupyterhub-users", `path "${path}" { capabilities = ["update"] }`),
      `path "${path}": grants update outside the user's own users/<user>/ path`,
    );
  }
  assertHasViolation(policy, vaultPolicy("jupyterhub-users", `path "auth/token/revoke-self" { capabilities = ["update", "sudo"] }`), "grants sudo");
});

it("fails wildcard mounts, sys/ and sudo", () => {
  const text = `
path "*" { capabilities = ["read"] }
path "+/data/jupyter/users/{{identity.entity.name}}/*" { capabilities = ["read"] }
path "sys/policies/acl/*" { capabilities = ["read"] }
path "kv/data/jupyter/users/{{identity.entity.name}}/*" { capabilities = ["read", "sudo"] }
`;
  const outside = "outside the user's own users/<user>/ path, the shared/ tree beside it (read only) and the token's own lookup-self, renew-self and revoke-self";
  expect(violationsOf(policy, vaultPolicy("jupyterhub-users", text))).toEqual([
    `policy jupyterhub-users, path "*": starts with a wildcard, so it reaches every mount`,
    `policy jupyterhub-users, path "*": grants read ${outside}`,
    `policy jupyterhub-users, path "+/data/jupyter/users/{{identity.entity.name}}/*": starts with a wildcard, so it reaches every mount`,
    `policy jupyterhub-users, path "+/data/jupyter/users/{{identity.entity.name}}/*": reaches into users/ beyond the user's own directory`,
    `policy jupyterhub-users, path "sys/policies/acl/*": reaches sys/, Vault's own configuration`,
    `policy jupyterhub-users, path "sys/policies/acl/*": grants read ${outside}`,
    `policy jupyterhub-users, path "kv/data/jupyter/users/{{identity.entity.name}}/*": grants sudo, which no user token needs`,
  ]);
});

it("fails a policy text it cannot read, and leaves other policies alone", () => {
  const nested = `path "kv/data/x" { capabilities = ["update"] allowed_parameters = { "a" = [] } }`;
  assertHasViolation(policy, vaultPolicy("jupyterhub-users", nested), "cannot be checked");
  assertNoViolation(policy, vaultPolicy("jupyterhub-hub", `path "auth/token/create/jupyterhub-user" { capabilities = ["update"] }`));
});

it("parses path blocks with comments and deny", () => {
  expect(parseVaultPolicy(`/* all */ path "a/*" { capabilities = ["deny"] } # done`)).toEqual([{ path: "a/*", capabilities: ["deny"] }]);
  expect(parseVaultPolicy(`{"path": {"a": {"capabilities": ["read"]}}}`)).toBeUndefined();
});

describe("reads are checked like writes (issue 12)", () => {
  const own = `path "secret/data/jupyter/users/{{identity.entity.name}}/*" { capabilities = ["read"] }\n`;

  it("fails a wildcard read or list of every user's secrets", () => {
    assertHasViolation(
      policy,
      vaultPolicy("jupyterhub-users", `${own}path "secret/data/*" { capabilities = ["read", "list"] }`),
      `path "secret/data/*": grants read, list outside the user's own users/<user>/ path`,
    );
    assertHasViolation(
      policy,
      vaultPolicy("jupyterhub-users", `path "secret/metadata/*" { capabilities = ["list"] }`),
      `path "secret/metadata/*": grants list outside`,
    );
    assertHasViolation(policy, vaultPolicy("jupyterhub-users", `path "secret/data/jupyter/+/*" { capabilities = ["read"] }`), "grants read outside");
  });

  it("fails reading any other path: another app's secrets, the hub's own, other auth endpoints", () => {
    for (const path of ["secret/data/jupyter/hub", "secret/data/infra/db", "auth/token/lookup", "identity/entity/name/ada"]) {
      assertHasViolation(policy, vaultPolicy("jupyterhub-users", `${own}path "${path}" { capabilities = ["read"] }`), `path "${path}": grants read outside`);
    }
  });

  it("passes the shared tree beside the user's own, read and list only", () => {
    const shared = `path "secret/data/jupyter/shared/*" { capabilities = ["read"] }\npath "secret/metadata/jupyter/shared" { capabilities = ["list"] }\n`;
    assertNoViolation(policy, vaultPolicy("jupyterhub-users", `${own}path "secret/metadata/jupyter/users/{{identity.entity.name}}" { capabilities = ["list"] }\n${shared}`));
  });

  it("fails writing to the shared tree, a shared/ elsewhere, or a glob on the word shared", () => {
    assertHasViolation(
      policy,
      vaultPolicy("jupyterhub-users", `${own}path "secret/data/jupyter/shared/*" { capabilities = ["read", "update"] }`),
      `path "secret/data/jupyter/shared/*": grants update on the shared tree, which users may only read and list`,
    );
    assertHasViolation(policy, vaultPolicy("jupyterhub-users", `${own}path "secret/data/infra/shared/*" { capabilities = ["read"] }`), "grants read outside");
    assertHasViolation(policy, vaultPolicy("jupyterhub-users", `path "secret/data/jupyter/shared/*" { capabilities = ["read"] }`), "grants read outside");
    assertHasViolation(policy, vaultPolicy("jupyterhub-users", `${own}path "secret/data/jupyter/shared*" { capabilities = ["read"] }`), "grants read outside");
    assertHasViolation(policy, vaultPolicy("jupyterhub-users", `${own}path "secret/data/*/shared/*" { capabilities = ["read"] }`), "grants read outside");
  });
});

describe("parsing paths that contain comment markers", () => {
  it("does not read /* … */ across quoted paths, which would hide the blocks between them", () => {
    const text = `
path "kv/data/jupyter/users/{{identity.entity.name}}/*" { capabilities = ["read"] }
path "secret/data/*" { capabilities = ["read"] }
path "kv/data/*/x" { capabilities = ["deny"] }
`;
    expect(parseVaultPolicy(text)?.map((rule) => rule.path)).toEqual([
      "kv/data/jupyter/users/{{identity.entity.name}}/*",
      "secret/data/*",
      "kv/data/*/x",
    ]);
    assertHasViolation(policy, vaultPolicy("jupyterhub-users", text), `path "secret/data/*": grants read outside`);
  });

  it("still drops real comments, and refuses what it cannot read", () => {
    expect(parseVaultPolicy(`# a\npath "a" { capabilities = ["read"] } // b\n/* c\n path "x" {} */`)).toEqual([{ path: "a", capabilities: ["read"] }]);
    expect(parseVaultPolicy(`path "a\\"b" { capabilities = ["read"] }`)).toBeUndefined();
    expect(parseVaultPolicy(`path "a" { capabilities = ["read"] } /* open`)).toBeUndefined();
  });
});
