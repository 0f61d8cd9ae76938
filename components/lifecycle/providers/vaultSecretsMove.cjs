// @ts-check
// The Vault secrets move's dynamic provider (VaultSecretsMove.ts), as the plain CommonJS module
// that Pulumi's dynamic provider host loads from the resource's `__provider` input
// (@pulumi/pulumi cmd/dynamic-provider: requireFromString(__provider).handler()).
//
// A renamed user's Vault secrets follow them: the user policy is templated on the token's entity
// alias, the username (components/vault/vaultPolicies.ts), so the new name reaches only
// <prefix>/users/<new name>/. This runs at `pulumi up` with the operator's Vault credentials, found
// as the Vault provider finds its own (below), so the hub gets no new Vault right and never sees a
// user's token. Every secret's latest version is copied unless the new name has one there already
// (KV v2 check-and-set 0: create only); the earlier name's secrets stay as they were, with a
// marker, so that a later run (after a `pulumi destroy`, say) does not copy again what the user
// has deleted since. Vault's KV version 2 HTTP API (its docs, "KV secrets engine - version 2
// (API)"); the values never reach Pulumi's state, only how many were copied.
//
// Key names are the users' own: every path segment is percent-encoded and "." and ".." refused
// (Vault's Go ServeMux decodes and cleans the path, so a key named "%2e%2e/" sent as it is lists
// the parent, every user's folder), redirects are never followed, and the walk is bounded.
"use strict";

/** Written under an earlier name once its secrets were copied. */
const MOVED_MARKER = ".jupyterhub-renamed-to";
/** Bounds of one user's walk: deeper or larger than this is not a user's secrets folder. */
const MAX_DEPTH = 16;
const MAX_SECRETS = 5000;
const REQUEST_TIMEOUT_MS = 30000;

/**
 * @typedef {{ get(key: string): string | undefined }} StackConfig
 * @typedef {{ address: string, token: string, tokenSource: string, namespace?: string, ca?: string[], skipTlsVerify: boolean, serverName?: string }} VaultConnection
 * @typedef {VaultConnection & { kvMount: string, pathPrefix: string }} VaultTarget
 * @typedef {{ newName: string, earlierNames: string[], kvMount: string, pathPrefix: string, address?: string, caBundle?: string, __provider?: string }} MoveInputs
 */

/** @param {string | undefined} value */
const isTrue = (value) => /^(1|t|true)$/i.test(value || "");

/**
 * Where and how to reach Vault, in the Vault provider's order (terraform-provider-vault,
 * internal/provider/meta.go: each setting from the provider's config, else its environment
 * variable; the token from config, VAULT_TOKEN, else the token helper's ~/.vault-token). The
 * stack's CA bundle (jupyterhub:caBundle) is trusted besides. Files are read here; the token's
 * value never appears in a message, only where it came from.
 * @param {StackConfig} config the stack's config as the dynamic provider host passes it (vault:*)
 * @param {Record<string, string | undefined>} env
 * @param {{ address?: string, caBundle?: string, home: string }} extra
 * @returns {VaultConnection}
 */
function vaultConnection(config, env, extra) {
  const fs = require("fs");
  const path = require("path");
  const setting = (/** @type {string} */ key, /** @type {string} */ variable) => config.get(`vault:${key}`) || env[variable] || undefined;
  const address = extra.address || setting("address", "VAULT_ADDR");
  if (!address) throw new Error("needs Vault's address: set vault:address in the stack config (the Vault provider's) or VAULT_ADDR");
  const tokenFile = path.join(extra.home, ".vault-token");
  /** @type {[string, string | undefined][]} */
  const sources = [
    ["vault:token in the stack config", config.get("vault:token")],
    ["VAULT_TOKEN", env.VAULT_TOKEN],
    ["~/.vault-token", fs.existsSync(tokenFile) ? fs.readFileSync(tokenFile, "utf8") : undefined],
  ];
  const found = sources.find(([, value]) => value && value.trim());
  if (!found || !found[1]) throw new Error("needs a Vault token: `pulumi config set --secret vault:token …` (the Vault provider's), VAULT_TOKEN, or `vault login` (~/.vault-token)");
  /** @type {string[]} */
  const ca = [];
  const caFile = setting("caCertFile", "VAULT_CACERT");
  const caDir = setting("caCertDir", "VAULT_CAPATH");
  const read = (/** @type {string} */ file, /** @type {string} */ what) => {
    try {
      return fs.readFileSync(file, "utf8");
    } catch (error) {
      throw new Error(`cannot read ${what} ${file}: ${/** @type {Error} */ (error).message}`);
    }
  };
  if (caFile) ca.push(read(caFile, "Vault's CA file (vault:caCertFile or VAULT_CACERT)"));
  if (caDir) for (const file of fs.readdirSync(caDir).sort()) if (/\.(pem|crt)$/.test(file)) ca.push(read(path.join(caDir, file), "a CA file of vault:caCertDir or VAULT_CAPATH"));
  // Like Vault's own client, a CA of Vault's replaces the public roots; the stack's CA only adds to them.
  if (extra.caBundle && ca.length === 0) ca.push(...require("tls").rootCertificates);
  if (extra.caBundle) ca.push(extra.caBundle);
  return {
    address: address.replace(/\/+$/, ""),
    token: found[1].trim(),
    tokenSource: found[0],
    namespace: setting("namespace", "VAULT_NAMESPACE"),
    ...(ca.length > 0 ? { ca } : {}),
    skipTlsVerify: isTrue(setting("skipTlsVerify", "VAULT_SKIP_VERIFY")),
    serverName: setting("tlsServerName", "VAULT_TLS_SERVER_NAME"),
  };
}

/**
 * A Vault API path from raw segments: each percent-encoded, so that a key cannot leave its folder.
 * @param {string[]} segments
 */
function apiPath(...segments) {
  const parts = segments.flatMap((s) => s.split("/")).filter((s) => s !== "");
  const bad = parts.find((s) => s === "." || s === "..");
  if (bad) throw new Error(`refusing the Vault path ${segments.join("/")}: a segment "${bad}" would leave the user's folder`);
  return parts.map(encodeURIComponent).join("/");
}

/** Why a request did not reach Vault, in words an operator can act on. @param {any} error @param {VaultConnection} vault */
function transportProblem(error, vault) {
  const code = error && error.code ? String(error.code) : "";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|EPROTO/.test(code)) {
    return (
      `TLS: Vault's certificate at ${vault.address} is not trusted (${code}: ${error.message}). ` +
      "Give the CA that signed it as vault:caCertFile (or VAULT_CACERT), as for the Vault provider, or in jupyterhub:caBundle"
    );
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|EPIPE|TIMEOUT/.test(code)) {
    return `Vault at ${vault.address} is unreachable (${code}${error.message ? `: ${error.message}` : ""}); check vault:address (or VAULT_ADDR) and that Vault is up`;
  }
  return `cannot reach Vault at ${vault.address}: ${error && error.message}`;
}

/**
 * One Vault API call with Node's own http/https (its fetch takes no CA). Answers with the status
 * and the parsed body; 404 and a failed check-and-set are answers, anything else >= 300 an error.
 * @param {VaultConnection} vault @param {string} method @param {string} path @param {unknown} [body]
 * @returns {Promise<{ status: number, json: any }>}
 */
function vaultCall(vault, method, path, body) {
  const url = new URL(`${vault.address}/v1/${path}`);
  const client = url.protocol === "https:" ? require("https") : require("http");
  /** @type {Record<string, string>} */
  const headers = { "X-Vault-Token": vault.token, ...(vault.namespace ? { "X-Vault-Namespace": vault.namespace } : {}) };
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method,
        headers,
        timeout: REQUEST_TIMEOUT_MS,
        ...(url.protocol === "https:" ? { ca: vault.ca, rejectUnauthorized: !vault.skipTlsVerify, servername: vault.serverName } : {}),
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => {
          const status = response.statusCode || 0;
          const what = `${method} ${decodeURIComponent(url.pathname)}`;
          if (status === 403) {
            return reject(
              new Error(
                `permission denied: Vault refused ${what} with the token from ${vault.tokenSource} (HTTP 403). ` +
                  "It needs a policy that may list and read the earlier names' secrets and create the new name's, as the operator's token that runs `pulumi up` has",
              ),
            );
          }
          if (status >= 300 && status !== 404 && !(status === 400 && /check-and-set/.test(text))) {
            return reject(new Error(`Vault answered ${what} with HTTP ${status}: ${text.split(vault.token).join("[token]").slice(0, 300)}`));
          }
          try {
            resolve({ status, json: text.trim() ? JSON.parse(text) : {} });
          } catch {
            reject(new Error(`Vault answered ${what} with HTTP ${status} and a body that is not JSON: is ${vault.address} Vault's API address?`));
          }
        });
      },
    );
    request.on("timeout", () => request.destroy(Object.assign(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000}s`), { code: "TIMEOUT" })));
    request.on("error", (error) => reject(new Error(transportProblem(error, vault))));
    request.end(payload);
  });
}

/**
 * @param {VaultTarget} target
 * @param {readonly string[]} earlierNames oldest first
 * @param {string} newName
 * @returns {Promise<{ copied: string[], kept: string[], done: string[] }>}
 */
async function moveVaultSecrets(target, earlierNames, newName) {
  const user = (/** @type {string} */ name) => `${target.pathPrefix}/users/${name}`;
  const data = (/** @type {string} */ name, /** @type {string} */ key) => apiPath(target.kvMount, "data", user(name), key);
  /** Every secret under an earlier name, depth first, bounded. @param {string} name @returns {Promise<string[]>} */
  const list = async (name) => {
    /** @type {string[]} */
    const secrets = [];
    /** @param {string} under @param {number} depth */
    const walk = async (under, depth) => {
      if (depth > MAX_DEPTH) throw new Error(`${user(name)}/${under} is more than ${MAX_DEPTH} folders deep; copy that user's secrets by hand`);
      const reply = await vaultCall(target, "GET", `${apiPath(target.kvMount, "metadata", user(name), under)}/?list=true`);
      if (reply.status === 404) return;
      /** @type {unknown[]} */
      const keys = (reply.json && reply.json.data && reply.json.data.keys) || [];
      for (const key of keys) {
        if (typeof key !== "string" || key === "") continue;
        if (key.endsWith("/")) await walk(under + key, depth + 1);
        else if (key !== MOVED_MARKER || under !== "") secrets.push(under + key);
        if (secrets.length > MAX_SECRETS) throw new Error(`${user(name)} holds more than ${MAX_SECRETS} secrets; copy them by hand`);
      }
    };
    await walk("", 0);
    return secrets;
  };

  /** @type {{ copied: string[], kept: string[], done: string[] }} */
  const result = { copied: [], kept: [], done: [] };
  // The most recent earlier name first: its secrets win over older ones.
  for (const old of [...earlierNames].reverse()) {
    if ((await vaultCall(target, "GET", data(old, MOVED_MARKER))).status !== 404) {
      result.done.push(old);
      continue;
    }
    for (const key of await list(old)) {
      const secret = await vaultCall(target, "GET", data(old, key));
      if (secret.status === 404) continue; // deleted (its versions kept): nothing to copy
      // cas 0: written only if the key does not exist; Vault answers 400 "check-and-set parameter did not match".
      const written = await vaultCall(target, "POST", data(newName, key), { data: secret.json.data.data, options: { cas: 0 } });
      (written.status === 400 ? result.kept : result.copied).push(`${old}/${key}`);
    }
    await vaultCall(target, "POST", data(old, MOVED_MARKER), { data: { name: newName } });
  }
  return result;
}

/** @type {StackConfig} */
let stackConfig = { get: () => undefined };

/** @param {MoveInputs} inputs */
async function move(inputs) {
  const what = `copying ${inputs.earlierNames.join(", ")}'s Vault secrets to ${inputs.newName}`;
  try {
    const vault = vaultConnection(stackConfig, process.env, { address: inputs.address, caBundle: inputs.caBundle, home: require("os").homedir() });
    const result = await moveVaultSecrets({ ...vault, kvMount: inputs.kvMount, pathPrefix: inputs.pathPrefix }, inputs.earlierNames, inputs.newName);
    return { copied: result.copied.length, kept: result.kept.length };
  } catch (error) {
    throw new Error(`${what}: ${/** @type {Error} */ (error).message}`);
  }
}

const KEYS = /** @type {const} */ (["newName", "earlierNames", "kvMount", "pathPrefix", "address", "caBundle", "__provider"]);
const NAMES = /** @type {const} */ (["newName", "earlierNames", "kvMount", "pathPrefix"]);

const provider = {
  /** The stack's whole config (the host passes every namespace to a dynamic provider). @param {{ config: StackConfig }} request */
  async configure(request) {
    stackConfig = request.config;
  },
  /** @param {MoveInputs} inputs */
  async create(inputs) {
    return { id: inputs.newName, outs: { ...inputs, ...(await move(inputs)) } };
  },
  /** @param {string} _id @param {MoveInputs} olds @param {MoveInputs} news */
  async diff(_id, olds, news) {
    return { changes: KEYS.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])), replaces: [], deleteBeforeReplace: false };
  },
  /** @param {string} _id @param {MoveInputs} olds @param {MoveInputs} news */
  async update(_id, olds, news) {
    // Only a new list of names copies again; a new version of this file, or of how Vault is reached, does not.
    const again = NAMES.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
    return { outs: again ? { ...news, ...(await move(news)) } : { ...olds, ...news } };
  },
  // Removing the rename from the config copies nothing back and deletes nothing.
  async delete() {},
};

module.exports = { handler: () => provider, provider, MOVED_MARKER, MAX_DEPTH, MAX_SECRETS, moveVaultSecrets, vaultConnection, apiPath };
