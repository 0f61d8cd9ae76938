// The user token's lifetime as Vault would make it (issue 12): the token role a stack declares and
// the hub hook's configuration it renders, fed to the real hook against the fake Vault, which keeps
// only the role fields Vault's token store keeps (tests/python/fake_vault.py, vault/token_store.go).
import * as path from "path";
import { vaultHookConfig } from "../../components/hub/vaultValues";
import { userTokenRoleArgs } from "../../components/vault/VaultAccess";
import { vaultNames } from "../../components/vault/vaultPolicies";
import { parseSettings } from "../../settings";
import { runHubPythonScript } from "../harness/hubPythonScript";
import { renderStack } from "../harness/renderStack";
import { PROJECT_ROOT, readStackConfig } from "../harness/stackConfig";
import { asStackConfig } from "../fixtures/configs";
import { inClusterVaultConfig } from "../fixtures/vaultConfig";

interface Minted {
  ignoredRoleFields: string[];
  unwrapStatus: number;
  tokenLifetime: number;
  aliveAfterLifetime: boolean;
  environment: string[];
}

/** The hub policy's wrapping limits for the create path, as the fake Vault takes them. */
function hubPolicyRules(policy: string): Record<string, Record<string, number>> {
  const rules: Record<string, Record<string, number>> = {};
  for (const [, pathName, body] of policy.matchAll(/path "([^"]+)" \{([^}]*)\}/g)) {
    const limits: Record<string, number> = {};
    for (const [, key, seconds] of body.matchAll(/(min_wrapping_ttl|max_wrapping_ttl) = "(\d+)s"/g)) limits[key] = Number(seconds);
    rules[pathName] = limits;
  }
  return rules;
}

interface MintRequest {
  role: Record<string, unknown>;
  hook: Record<string, unknown>;
  hubPolicy: Record<string, Record<string, number>>;
  user: string;
}

function request(role: Record<string, unknown>, hook: Record<string, unknown>, hubPolicy: string, user: string): MintRequest {
  return { role, hook, hubPolicy: hubPolicyRules(hubPolicy), user };
}

/** Mints each request with the hub's real hook; one process, so the hub's Python is imported once. */
async function mintAll(requests: MintRequest[]): Promise<Minted[]> {
  // The hook mints for a real KubeSpawner, so in the hub's own Python.
  const run = await runHubPythonScript(path.join(PROJECT_ROOT, "tests", "python", "mint_with_rendered_vault.py"), [], JSON.stringify(requests));
  expect(run.stderr).toBe("");
  const minted = JSON.parse(run.stdout) as Minted[];
  expect(minted).toHaveLength(requests.length);
  return minted;
}

async function requestFor(stackConfig: Record<string, unknown>, stack: string): Promise<{ request: MintRequest; ttl: number }> {
  const { resources, values, settings } = await renderStack(stackConfig, stack);
  const role = resources.find((r) => r.type === "vault:tokenauth/authBackendRole:AuthBackendRole")!;
  const policy = resources.find((r) => r.type === "vault:index/policy:Policy" && String(r.inputs.name).startsWith("jupyterhub-hub"))!;
  const hook = (values.custom as { vault: Record<string, unknown> }).vault;
  return { request: request(role.inputs, hook, String(policy.inputs.policy), settings.users[0].name), ttl: settings.vault!.userTokens.ttl };
}

const stacks = [
  ["a test stack", asStackConfig(inClusterVaultConfig({ userTokens: { ttl: "90m", maxTtl: "20h" } })), "vault"],
  ["the homelab stack", readStackConfig("homelab"), "homelab"],
] as const;

/** The role as it was before issue 12: token_ttl and token_max_ttl, and the hook sending no ttl. */
function oldRoleRequest(): MintRequest {
  const settings = parseSettings(inClusterVaultConfig({ userTokens: { ttl: "1h", maxTtl: "36h" } }));
  const names = vaultNames("jupyterhub");
  const old = { ...userTokenRoleArgs(settings.vault!, names, names.userPolicy, ["ada"]), tokenPolicies: [names.userPolicy], tokenTtl: 3600, tokenMaxTtl: 129600 };
  const { tokenTtlSeconds: _sent, ...withoutTtl } = vaultHookConfig(settings.vault!, "jupyterhub");
  return request(old, withoutTtl, `path "auth/token/create/${names.tokenRole}" {\n  min_wrapping_ttl = "1s"\n  max_wrapping_ttl = "600s"\n}\npath "auth/token/revoke-accessor" {}`, "ada");
}

let ttls: number[];
let minted: Minted[];
beforeAll(async () => {
  // One after the other: each render installs the Pulumi mocks for its stack.
  const rendered = [];
  for (const [, config, stack] of stacks) rendered.push(await requestFor(config, stack));
  ttls = rendered.map((r) => r.ttl);
  minted = await mintAll([...rendered.map((r) => r.request), oldRoleRequest()]);
}, 120_000);

it.each(stacks.map(([name], index) => [name, index] as const))("%s: Vault keeps every role field, and the token lives userTokens.ttl unless renewed", (_, index) => {
  expect(minted[index].ignoredRoleFields).toEqual([]);
  expect(minted[index].unwrapStatus).toBe(200);
  expect(minted[index].tokenLifetime).toBe(ttls[index]);
  expect(minted[index].aliveAfterLifetime).toBe(false);
  expect(minted[index].environment).not.toContain("NOTEBOOK_VAULT_TOKEN");
  expect(minted[index].environment).toEqual(expect.arrayContaining(["NOTEBOOK_VAULT_WRAPPING_TOKEN", "VAULT_TOKEN_FILE"]));
});

it("shows what the old role did: token_ttl ignored, and a create without ttl lives until the explicit max", () => {
  const old = minted[stacks.length];
  expect(old.ignoredRoleFields).toEqual(["token_max_ttl", "token_policies", "token_ttl"]);
  expect(old.tokenLifetime).toBe(129600);
});
