// Vault as the stack uses it, asked with the operator's own `vault` CLI and environment (VAULT_ADDR,
// VAULT_TOKEN, VAULT_CACERT): a KV version 2 engine at vault.kvMount, and the Kubernetes auth
// method at kubernetesAuth.mount, enabled already (create: false) or free for the stack (create: true).
import type { VaultSettings } from "../settings/vaultSchema";
import type { Probes } from "./doctor";
import { lastLine, missing, ok, skipped, type Finding } from "./doctorFinding";

type Mounts = Record<string, { type?: string; options?: Record<string, string> | null }>;

export function vaultFindings(vault: VaultSettings, probes: Probes): Finding[] {
  // `vault secrets list` and `vault auth list` print GET sys/mounts and sys/auth, keyed by path with
  // a trailing slash (command/secrets_list.go, command/auth_list.go).
  const read = (args: string[]): Mounts | string | undefined => {
    const result = probes.tool("vault", [...args, "-format=json"]);
    if (!result) return undefined;
    return result.ok ? (JSON.parse(result.output) as Mounts) : lastLine(result.output);
  };
  const secrets = read(["secrets", "list"]);
  if (secrets === undefined) return [skipped("Vault KV v2 and Kubernetes auth", "no `vault` CLI here to ask Vault with")];
  const findings: Finding[] = [];
  const kv = typeof secrets === "string" ? undefined : secrets[`${vault.kvMount}/`];
  const kvWhat = `Vault KV v2 at ${vault.kvMount}`;
  if (typeof secrets === "string") findings.push(missing(kvWhat, secrets));
  else if (kv?.type === "kv" && kv.options?.version === "2") findings.push(ok(kvWhat));
  else findings.push(missing(kvWhat, kv ? `${vault.kvMount}/ is ${kv.type} version ${kv.options?.version ?? "1"}` : `nothing mounted there: vault secrets enable -path=${vault.kvMount} kv-v2`));

  const auth = read(["auth", "list"]);
  const { mount, create } = vault.kubernetesAuth;
  const authWhat = `Vault Kubernetes auth at ${mount}`;
  if (typeof auth === "string" || auth === undefined) return [...findings, missing(authWhat, auth ?? "no answer")];
  const found = auth[`${mount}/`];
  if (create) {
    findings.push(found ? missing(authWhat, `kubernetesAuth.create is on but auth/${mount} is in use (${found.type}): set create: false, or import it`) : ok(`${authWhat}: free for the stack to enable`));
  } else {
    findings.push(found?.type === "kubernetes" ? ok(authWhat) : missing(authWhat, found ? `auth/${mount} is ${found.type}` : `not enabled: enable and configure it, or set kubernetesAuth.create: true`));
  }
  return findings;
}
