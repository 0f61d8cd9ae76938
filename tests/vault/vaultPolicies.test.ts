import { parse } from "@cdktf/hcl2json";
import { hubPolicy, kvPaths, userPolicy, vaultNames } from "../../components/vault/vaultPolicies";

const names = vaultNames("lab");
const ACCESSOR = "auth_token_12ab34cd";
const SELF = `{{identity.entity.aliases.${ACCESSOR}.name}}`;

async function blocksOf(policy: string): Promise<Record<string, Record<string, unknown>>> {
  const parsed = (await parse("policy.hcl", policy)) as { path: Record<string, Record<string, unknown>[]> };
  return Object.fromEntries(Object.entries(parsed.path).map(([path, [block]]) => [path, block]));
}

async function pathsOf(policy: string): Promise<Record<string, string[]>> {
  return Object.fromEntries(Object.entries(await blocksOf(policy)).map(([path, block]) => [path, block.capabilities as string[]]));
}

it("names roles and policies after the hub's namespace", () => {
  expect(names).toEqual({
    hubPolicy: "jupyterhub-hub-lab",
    hubRole: "jupyterhub-hub-lab",
    userPolicy: "jupyterhub-user-lab",
    tokenRole: "jupyterhub-user-lab",
  });
});

it("lets the hub create tokens through the user token role, only wrapped, and revoke them by accessor, nothing else", async () => {
  expect(await blocksOf(hubPolicy(names, 900))).toEqual({
    // min_wrapping_ttl makes wrapping mandatory (Vault's policy docs); the max caps the wrapping token's life.
    "auth/token/create/jupyterhub-user-lab": { capabilities: ["create", "update"], min_wrapping_ttl: "1s", max_wrapping_ttl: "900s" },
    "auth/token/revoke-accessor": { capabilities: ["update"] },
  });
  expect(hubPolicy(names)).toContain('max_wrapping_ttl = "600s"');
});

describe("the user policy", () => {
  const policy = userPolicy({ kvMount: "kv", pathPrefix: "team/jupyter" }, ACCESSOR);

  it("parses as HCL and grants exactly: own path read-write, shared path read, own token lookup and renew", async () => {
    expect(await pathsOf(policy)).toEqual({
      [`kv/data/team/jupyter/users/${SELF}/*`]: ["create", "read", "update", "patch", "delete"],
      [`kv/metadata/team/jupyter/users/${SELF}/*`]: ["read", "list", "delete"],
      [`kv/metadata/team/jupyter/users/${SELF}`]: ["list"],
      [`kv/delete/team/jupyter/users/${SELF}/*`]: ["update"],
      [`kv/undelete/team/jupyter/users/${SELF}/*`]: ["update"],
      "kv/data/team/jupyter/shared/*": ["read"],
      "kv/metadata/team/jupyter/shared/*": ["read", "list"],
      "kv/metadata/team/jupyter/shared": ["list"],
      "auth/token/lookup-self": ["read"],
      "auth/token/renew-self": ["update"],
      // No revoke-self: the hub revokes a stopped server's token by its accessor.
    });
  });

  it("writes only below the token's own user segment", async () => {
    const writes = Object.entries(await pathsOf(policy)).filter(([, caps]) => caps.some((c) => ["create", "update", "patch", "delete"].includes(c)));
    const selfManagement = ["auth/token/renew-self"];
    for (const [path] of writes) expect(selfManagement.includes(path) || path.includes(`/users/${SELF}/`)).toBe(true);
  });
});

it("knows where the hub's own secrets live", () => {
  expect(kvPaths({ kvMount: "secret", pathPrefix: "jupyter" }).hubSecret).toBe("jupyter/hub");
});
