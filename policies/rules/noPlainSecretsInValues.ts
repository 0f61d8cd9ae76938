import type { ResourceValidationPolicy } from "@pulumi/policy";
import { HELM_CHART_V4, HELM_RELEASE } from "../resourceTypes";
import { isObject } from "./chartValues";

// Render (offline/recordedResource.ts) shows every Pulumi secret as this placeholder.
const SECRET_PLACEHOLDER = "[secret]";

// Words that make a key name a secret's, matched in the key lower-cased without "_" and "-"
// (client_secret, CLIENT_SECRET and clientSecret alike).
const SECRET_WORDS = ["password", "passwd", "passphrase", "secret", "token", "cryptkey", "apikey", "privatekey", "accesskey", "credential"];

// Endings (and one beginning) of key names that say where a secret is or how it behaves, not
// the secret itself: secretName, existingSecret, token_url, cookie_secret_file, secretKeyRef,
// tokenTtl, ... Their values are names, paths and settings, which may be in values.
const REFERENCE_ENDINGS = [
  "name", "names", "ref", "path", "file", "dir", "ttl", "url", "uri", "length", "type", "kind", "format", "template",
  "provider", "store", "source", "field", "header", "role", "enabled", "mode", "version", "namespace", "selector",
];
const REFERENCE_BEGINNINGS = ["existing"];

/**
 * No Helm value holds a secret in plain text: Helm keeps values in its release Secret and
 * `helm get values` prints them, and our values are diffed in pull requests (render). Secrets
 * reach the hub as environment from a Kubernetes Secret (`valueFrom.secretKeyRef`) instead
 * (docs/explanation/login.md: secrets reach the hub from a Kubernetes Secret).
 *
 * Under render, a Pulumi secret shows as "[secret]" and passes. Under the CrossGuard analyzer
 * the policy SDK hands rules secrets already decrypted, so there a Pulumi secret in values is
 * reported too, which is the stricter reading of the same design rule.
 */
export function noPlainSecretsInValues(): ResourceValidationPolicy {
  return {
    name: "no-plain-secrets-in-helm-values",
    description: "No value of a Helm release holds a password, token, key or other secret in plain text; secrets come from Kubernetes Secrets.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== HELM_RELEASE && args.type !== HELM_CHART_V4) return;
      if (!isObject(args.props.values)) return;
      for (const path of plainSecretPaths(args.props.values, "values")) {
        reportViolation(`${path} holds a secret in plain text; reference a Kubernetes Secret (valueFrom.secretKeyRef) instead`);
      }
    },
  };
}

/** Paths (values.hub.config.X.client_secret) of plain secret values anywhere under `value`. */
export function plainSecretPaths(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => plainSecretPaths(item, `${path}[${index}]`));
  if (!isObject(value)) return [];
  const found: string[] = [];
  // An environment list entry, { name: CLIENT_SECRET, value: "..." }, names its secret in `name`.
  if (typeof value.name === "string" && isSecretKey(value.name) && isPlainSecret(value.value)) found.push(`${path}.value (${value.name})`);
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}.${key}`;
    if (isSecretKey(key) && isPlainSecret(child)) found.push(childPath);
    else found.push(...plainSecretPaths(child, childPath));
  }
  return found;
}

/** True for a key name that holds a secret (not one that names or locates a secret). */
export function isSecretKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[-_]/g, "");
  if (!SECRET_WORDS.some((word) => normalized.includes(word))) return false;
  if (REFERENCE_BEGINNINGS.some((beginning) => normalized.startsWith(beginning))) return false;
  return !REFERENCE_ENDINGS.some((ending) => normalized.endsWith(ending));
}

function isPlainSecret(value: unknown): boolean {
  return typeof value === "string" && value.trim() !== "" && value !== SECRET_PLACEHOLDER;
}
