// The slugs KubeSpawner 7 (Zero to JupyterHub 4.x) makes of a username (pod labels, `{username}` in
// templates), computed the way it computes them, so names the program makes match the hub's.
import * as crypto from "crypto";

const HASH_LENGTH = 8;
// KubeSpawner's _slug_max_length for `{username}`, `{servername}` and `{user_server}`.
const SLUG_MAX_LENGTH = 48;
const LABEL_PATTERN = /^[a-z0-9._-]+$/i;

/** Kubernetes label value rules: at most 63 characters, alphanumeric at both ends, or empty. */
export function isValidLabelValue(value: string): boolean {
  if (value === "") return true;
  return value.length <= 63 && LABEL_PATTERN.test(value) && /^[a-z0-9]/i.test(value) && /[a-z0-9]$/i.test(value);
}

// Lower-case, runs of other characters to one '-', trimmed, starting with a letter, never empty.
function extractSafeName(name: string, maxLength: number): string {
  let safe = name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  safe = safe.replace(/^-+/, "").slice(0, maxLength).replace(/-+$/, "");
  if (safe && !/^[a-z]/.test(safe)) safe = "x-" + safe.slice(0, maxLength - 2);
  return safe || "x";
}

function stripAndHash(name: string, maxLength = 32): string {
  // KubeSpawner passes `max_length or 32`.
  const hash = crypto.createHash("sha256").update(name, "utf8").digest("hex").slice(0, HASH_LENGTH);
  return `${extractSafeName(name, maxLength - (HASH_LENGTH + 3))}---${hash}`;
}

/** Object name rules (RFC 1035 label): lower-case letters, digits and '-', starting with a letter. */
export function isValidObjectName(value: string): boolean {
  return value.length >= 1 && value.length <= 63 && /^[a-z][a-z0-9-]*$/.test(value) && /[a-z0-9]$/.test(value);
}

/**
 * KubeSpawner's safe_slug: the name itself when it is valid and holds no '--', otherwise a
 * lower-case stem and a hash of the name ("ada-lovelace---1a2b3c4d").
 */
function safeSlug(name: string, isValid: (value: string) => boolean, maxLength?: number): string {
  if (name.includes("--")) return stripAndHash(name, maxLength);
  return isValid(name) && (maxLength === undefined || name.length <= maxLength) ? name : stripAndHash(name, maxLength);
}

/** The pod label value KubeSpawner gives a username (hub.jupyter.org/username). */
export function labelSlug(name: string): string {
  return safeSlug(name, isValidLabelValue);
}

/** What `{username}` expands to in KubeSpawner templates (volume and secret names). */
export function templateSlug(name: string): string {
  return safeSlug(name, isValidObjectName, SLUG_MAX_LENGTH);
}

/** KubeSpawner's multi_slug: each name's stem, joined by '--', and a hash of them all. */
function multiSlug(names: readonly string[], maxLength = SLUG_MAX_LENGTH): string {
  const hash = crypto.createHash("sha256");
  names.forEach((name, index) => {
    if (index > 0) hash.update(Buffer.from([0xff]));
    hash.update(name, "utf8");
  });
  const perName = Math.floor((maxLength - (HASH_LENGTH + 1)) / names.length) - 2;
  return `${names.map((name) => extractSafeName(name, perName)).join("--")}---${hash.digest("hex").slice(0, HASH_LENGTH)}`;
}

/**
 * What `{user_server}` expands to (pod and claim names: 'jupyter-{user_server}',
 * 'claim-{user_server}'). _expand_user_properties (kubespawner/spawner.py 7.0.0) counts the '--'
 * even without a server name, so a username whose slug is 47 or 48 characters gets the
 * multi-slug of [username, ""] for its default server too.
 */
export function userServerSlug(name: string, serverName = ""): string {
  const user = templateSlug(name);
  const server = serverName ? templateSlug(serverName) : "";
  if (user.length + server.length + 2 > SLUG_MAX_LENGTH) return multiSlug([name, serverName]);
  return serverName ? `${user}--${server}` : user;
}
