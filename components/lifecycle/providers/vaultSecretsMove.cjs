// @ts-check
// The Vault secrets move's dynamic provider (VaultSecretsMove.ts), as the plain CommonJS module
// that Pulumi's dynamic provider host loads from the resource's `__provider` input
// (@pulumi/pulumi cmd/dynamic-provider: requireFromString(__provider).handler()).
//
// A renamed user's Vault secrets follow them: the user policy is templated on the token's entity
// alias, the username (components/vault/vaultPolicies.ts), so the new name reaches only
// <prefix>/users/<new name>/. This runs at `pulumi up` with the operator's Vault credentials
// (VAULT_ADDR or vault:address, VAULT_TOKEN: the Vault provider's own), so the hub gets no new
// Vault right and never sees a user's token. Every secret's latest version is copied unless the
// new name has one there already (KV v2 check-and-set 0: create only); the earlier name's secrets
// stay as they were, with a marker, so that a later run (after a `pulumi destroy`, say) does not
// copy again what the user has deleted since. Vault's KV version 2 HTTP API (its docs, "KV secrets
// engine - version 2 (API)"); the values never reach Pulumi's state, only how many were copied.
"use strict";

/** Written under an earlier name once its secrets were copied. */
const MOVED_MARKER = ".jupyterhub-renamed-to";

/**
 * @typedef {{ address: string, token: string, namespace?: string, kvMount: string, pathPrefix: string }} VaultTarget
 * @typedef {(url: string, init: { method: string, headers: Record<string, string>, body?: string }) => Promise<{ status: number, text(): Promise<string> }>} Fetch
 * @typedef {{ newName: string, earlierNames: string[], kvMount: string, pathPrefix: string, address?: string, __provider?: string }} MoveInputs
 */

/**
 * @param {VaultTarget} target
 * @param {readonly string[]} earlierNames oldest first
 * @param {string} newName
 * @param {Fetch} fetchImpl
 * @returns {Promise<{ copied: string[], kept: string[], done: string[] }>}
 */
async function moveVaultSecrets(target, earlierNames, newName, fetchImpl) {
  const base = target.address.replace(/\/+$/, "");
  /** @param {string} method @param {string} path @param {unknown} [body] */
  const call = async (method, path, body) => {
    /** @type {Record<string, string>} */
    const headers = { "X-Vault-Token": target.token, ...(target.namespace ? { "X-Vault-Namespace": target.namespace } : {}) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetchImpl(`${base}/v1/${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await response.text();
    if (response.status >= 400 && response.status !== 404 && !(response.status === 400 && /check-and-set/.test(text))) {
      throw new Error(`Vault answered ${method} ${path} with HTTP ${response.status}: ${text.slice(0, 300)}`);
    }
    return { status: response.status, json: text.trim() ? JSON.parse(text) : {} };
  };
  /** @param {string} name */
  const user = (name) => `${target.pathPrefix}/users/${name}`;
  /** @param {string} name @param {string} key */
  const data = (name, key) => `${target.kvMount}/data/${user(name)}/${key}`;
  /** @param {string} name @param {string} [under] @returns {Promise<string[]>} */
  const list = async (name, under = "") => {
    const reply = await call("GET", `${target.kvMount}/metadata/${user(name)}/${under}?list=true`);
    if (reply.status === 404) return [];
    /** @type {string[]} */
    const keys = (reply.json && reply.json.data && reply.json.data.keys) || [];
    const nested = await Promise.all(keys.map((key) => (key.endsWith("/") ? list(name, under + key) : Promise.resolve([under + key]))));
    return nested.flat().filter((key) => key !== MOVED_MARKER);
  };

  /** @type {{ copied: string[], kept: string[], done: string[] }} */
  const result = { copied: [], kept: [], done: [] };
  // The most recent earlier name first: its secrets win over older ones.
  for (const old of [...earlierNames].reverse()) {
    if ((await call("GET", data(old, MOVED_MARKER))).status !== 404) {
      result.done.push(old);
      continue;
    }
    for (const key of await list(old)) {
      const secret = await call("GET", data(old, key));
      if (secret.status === 404) continue; // deleted (its versions kept): nothing to copy
      // cas 0: written only if the key does not exist; Vault answers 400 "check-and-set parameter did not match".
      const written = await call("POST", data(newName, key), { data: secret.json.data.data, options: { cas: 0 } });
      (written.status === 400 ? result.kept : result.copied).push(`${old}/${key}`);
    }
    await call("POST", data(old, MOVED_MARKER), { data: { name: newName } });
  }
  return result;
}

/** @param {MoveInputs} inputs */
async function move(inputs) {
  const address = inputs.address || process.env.VAULT_ADDR;
  const token = process.env.VAULT_TOKEN;
  if (!address || !token) {
    throw new Error(`copying ${inputs.earlierNames.join(", ")}'s Vault secrets to ${inputs.newName} needs VAULT_ADDR (or vault:address) and VAULT_TOKEN, the Vault provider's own`);
  }
  const target = { address, token, namespace: process.env.VAULT_NAMESPACE, kvMount: inputs.kvMount, pathPrefix: inputs.pathPrefix };
  const result = await moveVaultSecrets(target, inputs.earlierNames, inputs.newName, /** @type {Fetch} */ (/** @type {unknown} */ (fetch)));
  return { copied: result.copied.length, kept: result.kept.length };
}

const KEYS = /** @type {const} */ (["newName", "earlierNames", "kvMount", "pathPrefix", "address", "__provider"]);

const provider = {
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
    // Only a new list of names copies again; a new version of this file just replaces the text.
    const again = JSON.stringify([olds.newName, olds.earlierNames, olds.kvMount, olds.pathPrefix]) !== JSON.stringify([news.newName, news.earlierNames, news.kvMount, news.pathPrefix]);
    return { outs: again ? { ...news, ...(await move(news)) } : { ...olds, ...news } };
  },
  // Removing the rename from the config copies nothing back and deletes nothing.
  async delete() {},
};

module.exports = { handler: () => provider, provider, MOVED_MARKER, moveVaultSecrets };
