import { parse } from "@cdktf/hcl2json";
import { hubPolicy, kvPaths, userPolicy, vaultNames } from "../../components/vault/vaultPolicies";

const names = vaultNames("lab");
const ACCESSOR = "auth_token_12ab34cd";
const SELF = `{{identity.entity.aliases.${ACCESSOR}.name}}`;

async function pathsOf(policy: string): Promise<Record<string, string[]>> {
  const parsed = (await parse("policy.hcl", policy)) as { path: Record<string, { capabilities: string[] }[]> };
  return Object.fromEntries(Object.entries(parsed.path).map(([path, [block]]) => [path, block.capabilities]));
}

it("names roles and policies after the hub's namespace", () => {
  expect(names).toEqual({
    hubPolicy: "jupyterhub-hub-lab",
    hubRole: "jupyterhub-hub-lab",
    userPolicy: "jupyterhub-user-lab",
    tokenRole: "jupyterhub-user-lab",
  });
});

it("lets the hub create tokens through the user token role and do nothing else", async () => {
  expect(await pathsOf(hubPolicy(names))).toEqual({ "auth/token/create/jupyterhub-user-lab": ["create", "update"] });
});

describe("the user policy", () => {
  const policy = userPolicy({ kvMount: "kv", pathPrefix: "team/jupyter" }, ACCESSOR);

  it("parses as HCL and grants exactly: own path read-write, shared path read, own token lookup, renew and revoke", async () => {
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
      // The role sets token_no_default_policy: without this the hub could not revoke a stopped
      // server's token with the token itself (components/vault/vault_token_hook.py).
      "auth/token/revoke-self": ["update"],
    });
  });

  it("writes only below the token's own user segment", async () => {
    const writes = Object.entries(await pathsOf(policy)).filter(([, caps]) => caps.some((c) => ["create", "update", "patch", "delete"].includes(c)));
    const selfManagement = ["auth/token/renew-self", "auth/token/revoke-self"];
    for (const [path] of writes) expect(selfManagement.includes(path) || path.includes(`/users/${SELF}/`)).toBe(true);
  });
});

it("knows where the hub's own secrets live", () => {
  expect(kvPaths({ kvMount: "secret", pathPrefix: "jupyter" }).hubSecret).toBe("jupyter/hub");
});
