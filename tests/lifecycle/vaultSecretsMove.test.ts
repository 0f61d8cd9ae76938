// A renamed user's Vault secrets, copied at `pulumi up` with the operator's token, against a
// stand-in for Vault's KV version 2 HTTP API over HTTPS with a throwaway CA, as Vault's docs
// describe it ("KV secrets engine - version 2 (API)"): LIST through GET ?list=true on metadata/
// (404 when nothing is there, keys ending in "/" for folders), GET data/ (404 for a missing or
// deleted secret, the data under data.data), POST data/ with options.cas 0 writing only a missing
// secret (else 400 "check-and-set parameter did not match the current version"), and 403
// "permission denied" for a token Vault does not know. Like Vault (Go's net/http), it reads the
// percent-decoded path. The provider is driven through the SDK's dynamic-provider server, with
// the stack's config as the engine passes it (vault:token a secret).
import * as fs from "fs";
import * as https from "https";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { providerSource } from "../../components/lifecycle/dynamicProvider";
import { apiPath, MAX_DEPTH, MOVED_MARKER, moveVaultSecrets, vaultConnection, type VaultTarget } from "../../components/lifecycle/providers/vaultSecretsMove.cjs";
import { secretValue, startProviderHost, type ProviderHost } from "../harness/dynamicProviderHost";
import { runHubPythonScript } from "../harness/hubPythonScript";
import { PROJECT_ROOT } from "../harness/stackConfig";

jest.setTimeout(30000);

const OPERATOR = "hvs.operator-token-0123456789";

type ThrowawayCas = Record<"a" | "b", { ca: string; cert: string; key: string }>;

/** Two throwaway CAs with a server certificate for 127.0.0.1 each, from the project's own maker
 * (tests/python/throwaway_ca.py, which makes them with `cryptography`), run in the hub's Python. */
async function throwawayCas(): Promise<ThrowawayCas> {
  const made = await runHubPythonScript(path.join(PROJECT_ROOT, "tests", "python", "throwaway_ca.py"), [], "");
  if (made.status !== 0) throw new Error(`tests/python/throwaway_ca.py failed (${made.status}): ${made.stderr}`);
  return JSON.parse(made.stdout);
}

function fakeVault(kv: Map<string, Record<string, string>>, tls: { cert: string; key: string }) {
  const requests: string[] = [];
  const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const url = new URL(req.url!, "https://vault");
      const decoded = decodeURIComponent(url.pathname);
      requests.push(`${req.method} ${decoded}${url.search}`);
      const reply = (status: number, json?: unknown) => {
        res.writeHead(status, json === undefined ? {} : { "Content-Type": "application/json" });
        res.end(json === undefined ? "" : JSON.stringify(json));
      };
      if (requests.length > 500) return reply(500, { errors: ["the test's request budget is spent: a walk that does not end"] });
      if (req.headers["x-vault-token"] !== OPERATOR) return reply(403, { errors: ["permission denied"] });
      const [, , mount, kind, ...rest] = decoded.split("/");
      const key = rest.join("/");
      if (mount !== "secret") return reply(404, { errors: [] });
      if (kind === "metadata" && req.method === "GET" && url.searchParams.get("list") === "true") {
        const prefix = key.endsWith("/") ? key : `${key}/`;
        const keys = [...new Set([...kv.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).replace(/\/.*$/, "/")))].sort();
        return keys.length ? reply(200, { data: { keys } }) : reply(404, { errors: [] });
      }
      if (kind === "data" && req.method === "GET") return kv.has(key) ? reply(200, { data: { data: kv.get(key), metadata: { version: 1 } } }) : reply(404, { errors: [] });
      if (kind === "data" && req.method === "POST") {
        const { data, options } = JSON.parse(body);
        if (options?.cas === 0 && kv.has(key)) return reply(400, { errors: ["check-and-set parameter did not match the current version"] });
        kv.set(key, data);
        return reply(200, { data: { version: 1 } });
      }
      return reply(405, { errors: [] });
    });
  });
  return { server, requests };
}

let cas: ThrowawayCas;
beforeAll(async () => {
  cas = await throwawayCas();
});

describe("copying a renamed user's secrets", () => {
  let kv: Map<string, Record<string, string>>;
  let vault: ReturnType<typeof fakeVault>;
  let target: VaultTarget;
  let scratch: string;
  beforeEach(async () => {
    kv = new Map();
    vault = fakeVault(kv, cas.a);
    await new Promise<void>((resolve) => vault.server.listen(0, "127.0.0.1", resolve));
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "vault-move-"));
    fs.writeFileSync(path.join(scratch, "ca-a.pem"), cas.a.ca);
    fs.writeFileSync(path.join(scratch, "ca-b.pem"), cas.b.ca);
    const address = `https://127.0.0.1:${(vault.server.address() as AddressInfo).port}`;
    target = { address, token: OPERATOR, tokenSource: "VAULT_TOKEN", ca: [cas.a.ca], skipTlsVerify: false, kvMount: "secret", pathPrefix: "jupyter" };
  });
  afterEach(async () => {
    await new Promise((resolve) => vault.server.close(resolve));
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("copies every secret the new name lacks, keeps what it has, and leaves the old ones with a marker", async () => {
    kv.set("jupyter/users/aiko.tanaka/github", { token: "old-gh" });
    kv.set("jupyter/users/aiko.tanaka/cloud/aws", { key: "old-aws" });
    kv.set("jupyter/users/aiko/github", { token: "already-new" });
    kv.set("jupyter/users/carol/github", { token: "carols" });
    const result = await moveVaultSecrets(target, ["aiko.tanaka"], "aiko");
    expect(result).toEqual({ copied: ["aiko.tanaka/cloud/aws"], kept: ["aiko.tanaka/github"], done: [] });
    expect(kv.get("jupyter/users/aiko/cloud/aws")).toEqual({ key: "old-aws" });
    expect(kv.get("jupyter/users/aiko/github")).toEqual({ token: "already-new" });
    expect(kv.get("jupyter/users/aiko.tanaka/github")).toEqual({ token: "old-gh" });
    expect(kv.get(`jupyter/users/aiko.tanaka/${MOVED_MARKER}`)).toEqual({ name: "aiko" });
    expect(vault.requests.filter((r) => r.includes("carol"))).toEqual([]);

    // Run again (a `pulumi up` after a destroy): a secret deleted since stays deleted.
    kv.delete("jupyter/users/aiko/cloud/aws");
    expect(await moveVaultSecrets(target, ["aiko.tanaka"], "aiko")).toEqual({ copied: [], kept: [], done: ["aiko.tanaka"] });
    expect(kv.has("jupyter/users/aiko/cloud/aws")).toBe(false);
  });

  it("lets the most recent earlier name win, and copies nothing for a name without secrets", async () => {
    kv.set("jupyter/users/a/x", { v: "oldest" });
    kv.set("jupyter/users/b/x", { v: "recent" });
    const result = await moveVaultSecrets(target, ["a", "b", "nobody"], "c");
    expect(result.copied).toEqual(["b/x"]);
    expect(result.kept).toEqual(["a/x"]);
    expect(kv.get("jupyter/users/c/x")).toEqual({ v: "recent" });
  });

  it("keeps a key named like a path step inside the user's folder (issue 18, finding 6)", async () => {
    // WHATWG URLs (fetch's) read %2e%2e as "..": sent as it is, this key listed users/, every
    // user's folder, and then itself again, forever.
    kv.set("jupyter/users/aiko.tanaka/%2e%2e/x", { v: "mine" });
    kv.set("jupyter/users/aiko.tanaka/a b?c#d/y", { v: "odd name" });
    kv.set("jupyter/users/carol/github", { token: "carols" });
    const result = await moveVaultSecrets(target, ["aiko.tanaka"], "aiko");
    expect(result.copied.sort()).toEqual(["aiko.tanaka/%2e%2e/x", "aiko.tanaka/a b?c#d/y"]);
    expect(kv.get("jupyter/users/aiko/%2e%2e/x")).toEqual({ v: "mine" });
    expect(vault.requests.filter((r) => !/\/users\/aiko(\.tanaka)?\//.test(r))).toEqual([]);
    expect(() => apiPath("secret", "data", "jupyter/users/aiko", "../carol")).toThrow('a segment ".." would leave the user\'s folder');
  });

  it("bounds the walk", async () => {
    kv.set(`jupyter/users/deep/${Array.from({ length: MAX_DEPTH + 2 }, (_, i) => `d${i}`).join("/")}/x`, { v: "deep" });
    await expect(moveVaultSecrets(target, ["deep"], "new")).rejects.toThrow(`is more than ${MAX_DEPTH} folders deep; copy that user's secrets by hand`);
  });

  it("names the cause when it cannot: TLS, unreachable, permission, never the token", async () => {
    const untrusted = moveVaultSecrets({ ...target, ca: [cas.b.ca] }, ["a"], "c");
    await expect(untrusted).rejects.toThrow(/^TLS: Vault's certificate at https:\/\/127\.0\.0\.1:\d+ is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)/);
    await expect(moveVaultSecrets({ ...target, address: "https://127.0.0.1:9" }, ["a"], "c")).rejects.toThrow(
      /^Vault at https:\/\/127\.0\.0\.1:9 is unreachable \(ECONNREFUSED/,
    );
    const denied = moveVaultSecrets({ ...target, token: "hvs.other-token" }, ["a"], "c");
    await expect(denied).rejects.toThrow(/^permission denied: Vault refused GET \/v1\/secret\/data\/jupyter\/users\/a\/\.jupyterhub-renamed-to with the token from VAULT_TOKEN \(HTTP 403\)/);
    await expect(denied.catch((e: Error) => e.message)).resolves.not.toContain("hvs.other-token");
  });

  describe("finding Vault as the Vault provider does", () => {
    it("takes stack config first, then the environment, then ~/.vault-token", () => {
      fs.writeFileSync(path.join(scratch, ".vault-token"), "hvs.from-file\n");
      const config = (values: Record<string, string>) => ({ get: (key: string) => values[key] });
      const env = { VAULT_ADDR: "https://env:8200/", VAULT_TOKEN: "hvs.from-env", VAULT_CACERT: path.join(scratch, "ca-b.pem"), VAULT_SKIP_VERIFY: "true" };
      const fromConfig = vaultConnection(config({ "vault:address": "https://cfg:8200", "vault:token": "hvs.from-config", "vault:caCertFile": path.join(scratch, "ca-a.pem"), "vault:skipTlsVerify": "false" }), env, { home: scratch });
      expect(fromConfig).toMatchObject({ address: "https://cfg:8200", token: "hvs.from-config", tokenSource: "vault:token in the stack config", ca: [cas.a.ca] });
      expect(vaultConnection(config({}), env, { home: scratch })).toMatchObject({ address: "https://env:8200", token: "hvs.from-env", tokenSource: "VAULT_TOKEN", ca: [cas.b.ca], skipTlsVerify: true });
      expect(vaultConnection(config({}), { VAULT_ADDR: "https://env:8200" }, { home: scratch })).toMatchObject({ token: "hvs.from-file", tokenSource: "~/.vault-token" });
      // The stack's CA adds to the public roots, and to Vault's own CA when one is set.
      expect(vaultConnection(config({}), { VAULT_ADDR: "https://x", VAULT_TOKEN: "t" }, { home: scratch, caBundle: cas.a.ca }).ca!.length).toBeGreaterThan(100);
      expect(vaultConnection(config({}), { ...env }, { home: scratch, caBundle: cas.a.ca }).ca).toEqual([cas.b.ca, cas.a.ca]);
      expect(() => vaultConnection(config({}), { VAULT_ADDR: "https://x" }, { home: path.join(scratch, "nowhere") })).toThrow(
        "needs a Vault token: `pulumi config set --secret vault:token …` (the Vault provider's), VAULT_TOKEN, or `vault login` (~/.vault-token)",
      );
    });

    describe("through the dynamic-provider server", () => {
      let host: ProviderHost;
      afterEach(() => host?.close());
      const URN = "urn:pulumi:homelab::jupyterhub-pulumi::pulumi-nodejs:dynamic/lifecycle:VaultSecretsMove::jupyterhub-vault-rename-aiko";
      const inputs = { __provider: providerSource("vaultSecretsMove.cjs"), newName: "aiko", earlierNames: ["aiko.tanaka"], kvMount: "secret", pathPrefix: "jupyter" };
      const clean = { ...process.env, VAULT_ADDR: "", VAULT_TOKEN: "", VAULT_CACERT: "", VAULT_CAPATH: "", NODE_EXTRA_CA_CERTS: "", HOME: "" };

      it("copies behind a private CA with vault:caCertFile and the secret vault:token of the stack", async () => {
        kv.set("jupyter/users/aiko.tanaka/github", { token: "old-gh" });
        host = await startProviderHost({ ...clean, HOME: scratch });
        await host.configure({ "vault:address": target.address, "vault:token": secretValue(OPERATOR), "vault:caCertFile": path.join(scratch, "ca-a.pem"), "jupyterhub-pulumi:hub": "{}" });
        const created = await host.create(URN, (await host.check(URN, {}, inputs)).inputs);
        expect(created.properties).toMatchObject({ copied: 1, kept: 0 });
        expect(JSON.stringify(created)).not.toMatch(/old-gh|hvs\./);
      });

      it("copies behind a private CA that is only the stack's CA bundle, with VAULT_ADDR and ~/.vault-token", async () => {
        kv.set("jupyter/users/aiko.tanaka/github", { token: "old-gh" });
        fs.writeFileSync(path.join(scratch, ".vault-token"), OPERATOR);
        host = await startProviderHost({ ...clean, HOME: scratch, VAULT_ADDR: target.address });
        await host.configure({});
        const created = await host.create(URN, { ...inputs, caBundle: cas.a.ca });
        expect(created.properties).toMatchObject({ copied: 1 });
      });

      it("fails naming the cause and the setting to fix, without the token", async () => {
        host = await startProviderHost({ ...clean, HOME: scratch, VAULT_TOKEN: OPERATOR, VAULT_ADDR: target.address });
        await host.configure({});
        const failure = await host.create(URN, inputs).catch((error: Error) => error.message);
        expect(failure).toMatch(/^copying aiko\.tanaka's Vault secrets to aiko: TLS: Vault's certificate at https:\/\/127\.0\.0\.1:\d+ is not trusted \(\w+: [^)]*\)\. Give the CA that signed it as vault:caCertFile \(or VAULT_CACERT\)/);
        expect(failure).not.toContain(OPERATOR);
      });
    });
  });
});
