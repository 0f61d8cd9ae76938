// A renamed user's Vault secrets, copied at `pulumi up` with the operator's token, against a
// stand-in for Vault's KV version 2 HTTP API as Vault's docs describe it ("KV secrets engine -
// version 2 (API)"): LIST through GET ?list=true on metadata/ (404 when nothing is there, keys
// ending in "/" for folders), GET data/ (404 for a missing or deleted secret, the data under
// data.data), POST data/ with options.cas 0 writing only a missing secret (else 400 "check-and-set
// parameter did not match the current version"), and 403 for a token Vault does not know.
import * as http from "http";
import type { AddressInfo } from "net";
import { MOVED_MARKER, moveVaultSecrets, provider, type VaultTarget } from "../../components/lifecycle/providers/vaultSecretsMove.cjs";

const OPERATOR = "hvs.operator-token";

function fakeKv(kv: Map<string, Record<string, string>>) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const url = new URL(req.url!, "http://vault");
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const reply = (status: number, json?: unknown) => {
        res.writeHead(status, json === undefined ? {} : { "Content-Type": "application/json" });
        res.end(json === undefined ? "" : JSON.stringify(json));
      };
      if (req.headers["x-vault-token"] !== OPERATOR) return reply(403, { errors: ["permission denied"] });
      const [, , mount, kind, ...rest] = url.pathname.split("/");
      const path = rest.join("/");
      if (mount !== "secret") return reply(404, { errors: [] });
      if (kind === "metadata" && req.method === "GET" && url.searchParams.get("list") === "true") {
        const prefix = path.endsWith("/") ? path : `${path}/`;
        const keys = [...new Set([...kv.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).replace(/\/.*$/, "/")))].sort();
        return keys.length ? reply(200, { data: { keys } }) : reply(404, { errors: [] });
      }
      if (kind === "data" && req.method === "GET") return kv.has(path) ? reply(200, { data: { data: kv.get(path), metadata: { version: 1 } } }) : reply(404, { errors: [] });
      if (kind === "data" && req.method === "POST") {
        const { data, options } = JSON.parse(body);
        if (options?.cas === 0 && kv.has(path)) return reply(400, { errors: ["check-and-set parameter did not match the current version"] });
        kv.set(path, data);
        return reply(200, { data: { version: 1 } });
      }
      return reply(405, { errors: [] });
    });
  });
  return { server, requests };
}

describe("copying a renamed user's secrets", () => {
  let kv: Map<string, Record<string, string>>;
  let vault: ReturnType<typeof fakeKv>;
  let target: VaultTarget;
  beforeEach(async () => {
    kv = new Map();
    vault = fakeKv(kv);
    await new Promise<void>((resolve) => vault.server.listen(0, "127.0.0.1", resolve));
    target = { address: `http://127.0.0.1:${(vault.server.address() as AddressInfo).port}/`, token: OPERATOR, kvMount: "secret", pathPrefix: "jupyter" };
  });
  afterEach(() => new Promise((resolve) => vault.server.close(resolve)));

  it("copies every secret the new name lacks, keeps what it has, and leaves the old ones with a marker", async () => {
    kv.set("jupyter/users/aiko.tanaka/github", { token: "old-gh" });
    kv.set("jupyter/users/aiko.tanaka/cloud/aws", { key: "old-aws" });
    kv.set("jupyter/users/aiko/github", { token: "already-new" });
    kv.set("jupyter/users/carol/github", { token: "carols" });
    const result = await moveVaultSecrets(target, ["aiko.tanaka"], "aiko", fetch as never);
    expect(result).toEqual({ copied: ["aiko.tanaka/cloud/aws"], kept: ["aiko.tanaka/github"], done: [] });
    expect(kv.get("jupyter/users/aiko/cloud/aws")).toEqual({ key: "old-aws" });
    expect(kv.get("jupyter/users/aiko/github")).toEqual({ token: "already-new" });
    expect(kv.get("jupyter/users/aiko.tanaka/github")).toEqual({ token: "old-gh" });
    expect(kv.get(`jupyter/users/aiko.tanaka/${MOVED_MARKER}`)).toEqual({ name: "aiko" });
    expect(vault.requests.filter((r) => r.includes("carol"))).toEqual([]);

    // Run again (a `pulumi up` after a destroy): a secret deleted since stays deleted.
    kv.delete("jupyter/users/aiko/cloud/aws");
    expect(await moveVaultSecrets(target, ["aiko.tanaka"], "aiko", fetch as never)).toEqual({ copied: [], kept: [], done: ["aiko.tanaka"] });
    expect(kv.has("jupyter/users/aiko/cloud/aws")).toBe(false);
  });

  it("lets the most recent earlier name win, and copies nothing for a name without secrets", async () => {
    kv.set("jupyter/users/a/x", { v: "oldest" });
    kv.set("jupyter/users/b/x", { v: "recent" });
    const result = await moveVaultSecrets(target, ["a", "b", "nobody"], "c", fetch as never);
    expect(result.copied).toEqual(["b/x"]);
    expect(result.kept).toEqual(["a/x"]);
    expect(kv.get("jupyter/users/c/x")).toEqual({ v: "recent" });
  });

  it("fails with Vault's answer when the operator's token may not do it", async () => {
    await expect(moveVaultSecrets({ ...target, token: "hvs.other" }, ["a"], "c", fetch as never)).rejects.toThrow(
      /^Vault answered GET secret\/data\/jupyter\/users\/a\/\.jupyterhub-renamed-to with HTTP 403: \{"errors":\["permission denied"\]\}/,
    );
  });

  describe("the provider, with the operator's credentials from the environment", () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const key of ["VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE"]) delete process.env[key];
      Object.assign(process.env, saved);
    });
    const inputs = { newName: "aiko", earlierNames: ["aiko.tanaka"], kvMount: "secret", pathPrefix: "jupyter" };

    it("copies when created and when the names change, counting without keeping any value", async () => {
      kv.set("jupyter/users/aiko.tanaka/github", { token: "old-gh" });
      process.env.VAULT_ADDR = target.address;
      process.env.VAULT_TOKEN = OPERATOR;
      const created = await provider.create(inputs);
      expect(created).toEqual({ id: "aiko", outs: { ...inputs, copied: 1, kept: 0 } });
      expect(JSON.stringify(created)).not.toContain("old-gh");
      // A new version of the provider's file only: nothing is copied again.
      const requests = vault.requests.length;
      await provider.update("aiko", { ...inputs, __provider: "v1" } as never, { ...inputs, __provider: "v2" } as never);
      expect(vault.requests.length).toBe(requests);
    });

    it("says which credentials it needs", async () => {
      delete process.env.VAULT_ADDR;
      delete process.env.VAULT_TOKEN;
      await expect(provider.create(inputs)).rejects.toThrow("copying aiko.tanaka's Vault secrets to aiko needs VAULT_ADDR (or vault:address) and VAULT_TOKEN");
    });
  });
});
