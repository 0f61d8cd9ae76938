// What a stack needs from outside before its first `pulumi up`, checked without creating anything:
// the local tools `pulumi up` runs (offline/doctorTools.ts), the cluster context, the addresses of
// Keycloak and Vault, the credentials in the environment, and, where kubectl reaches the cluster,
// the cluster contract (offline/doctorCluster.ts, docs/reference/cluster-contract.md).
// Pure over its probes, so the checks are tested without a cluster or a network.
import type { Settings } from "../settings";
import { secretSources } from "../components/secrets/deployTimeSecret";
import { clusterFindings } from "./doctorCluster";
import { readsOnePassword, toolFindings, type ProjectToolchain } from "./doctorTools";
import { missing, ok, type Finding } from "./doctorFinding";

export type { Finding, Verdict } from "./doctorFinding";

/** Whether a tool exited 0, and what it printed: stdout when it did, else what it said went wrong. */
export interface ToolResult {
  readonly ok: boolean;
  readonly output: string;
}

export interface Probes {
  /** The kubeconfig's contexts and current context, or why it could not be read. */
  readonly kubeconfig: () => { contexts: string[]; current?: string; file: string } | { error: string };
  /** Whether a hostname resolves. */
  readonly resolves: (host: string) => Promise<boolean>;
  /** `kubectl --context <ctx> <args>`; undefined when kubectl is not installed. */
  readonly kubectl: (context: string, args: readonly string[]) => ToolResult | undefined;
  /** A local tool, found on the PATH the Pulumi CLI would run with, and where it was found; undefined when not installed. */
  readonly tool: (name: string, args: readonly string[]) => (ToolResult & { path: string }) | undefined;
  /** Whether a TCP connection to host:port opens (within a few seconds). */
  readonly connects: (host: string, port: number) => Promise<boolean>;
  readonly environment: Readonly<Record<string, string | undefined>>;
}

export async function doctor(settings: Settings, probes: Probes, project?: ProjectToolchain): Promise<Finding[]> {
  const findings: Finding[] = [...toolFindings(settings, probes, project)];
  const context = clusterContext(settings, probes, findings);
  findings.push(...(await addresses(settings, probes)));
  findings.push(...credentials(settings, probes.environment));
  if (context) findings.push(...(await clusterFindings(settings, context, probes)));
  return findings;
}

function clusterContext(settings: Settings, probes: Probes, findings: Finding[]): string | undefined {
  const kubeconfig = probes.kubeconfig();
  if ("error" in kubeconfig) {
    findings.push(missing("kubeconfig", kubeconfig.error));
    return undefined;
  }
  const wanted = settings.cluster.context ?? kubeconfig.current;
  if (!wanted) {
    findings.push(missing("cluster context", `${kubeconfig.file} has no current context; set jupyterhub:cluster.context`));
    return undefined;
  }
  if (!kubeconfig.contexts.includes(wanted)) {
    findings.push(missing(`cluster context ${wanted}`, `not in ${kubeconfig.file} (it has: ${kubeconfig.contexts.join(", ") || "none"})`));
    return undefined;
  }
  // Only that the kubeconfig names it: whether the cluster answers is the first cluster check.
  findings.push(ok(`cluster context ${wanted} in kubeconfig`, kubeconfig.file));
  return wanted;
}

async function addresses(settings: Settings, probes: Probes): Promise<Finding[]> {
  const hosts = new Map<string, string>();
  if (settings.keycloak) hosts.set(new URL(settings.keycloak.url).hostname, "Keycloak (keycloak.url)");
  if (settings.vault) hosts.set(new URL(settings.vault.address).hostname, "Vault (vault.address)");
  const findings: Finding[] = [];
  for (const [host, what] of hosts) {
    findings.push((await probes.resolves(host)) ? ok(`${what}: ${host} resolves`) : missing(`${what}: ${host}`, "does not resolve from here"));
  }
  return findings;
}

/** The environment `pulumi up` needs for this stack, by provider. */
export function requiredEnvironment(settings: Settings): { what: string; anyOf: string[][] }[] {
  const needs: { what: string; anyOf: string[][] }[] = [];
  if (readsOnePassword(settings)) needs.push({ what: "1Password (items the stack reads)", anyOf: [["OP_SERVICE_ACCOUNT_TOKEN"], ["OP_CONNECT_HOST", "OP_CONNECT_TOKEN"]] });
  if (settings.keycloak) needs.push({ what: "Keycloak admin", anyOf: [["KEYCLOAK_CLIENT_ID", "KEYCLOAK_CLIENT_SECRET"], ["KEYCLOAK_USER", "KEYCLOAK_PASSWORD"]] });
  if (settings.vault) needs.push({ what: "Vault (the operator's token)", anyOf: [["VAULT_ADDR", "VAULT_TOKEN"]] });
  for (const { path, source } of secretSources(settings)) {
    if ("env" in source) needs.push({ what: `jupyterhub:${path.join(".")}`, anyOf: [[source.env]] });
  }
  return needs;
}

function credentials(settings: Settings, environment: Probes["environment"]): Finding[] {
  return requiredEnvironment(settings).map(({ what, anyOf }) =>
    anyOf.some((names) => names.every((name) => environment[name]))
      ? ok(`${what}: ${anyOf.find((names) => names.every((name) => environment[name]))!.join(", ")} set`)
      : missing(what, `set ${anyOf.map((names) => names.join(" and ")).join(", or ")}`),
  );
}

/** One line per finding, and a last line that says what to do. Warnings do not fail the check. */
export function report(stack: string, findings: readonly Finding[]): string {
  const mark = { ok: "ok     ", missing: "MISSING", warning: "warning", skipped: "skipped" } as const;
  const lines = findings.map((f) => `  ${mark[f.verdict]} ${f.what}${f.detail ? `: ${f.detail}` : ""}`);
  const bad = findings.filter((f) => f.verdict === "missing").length;
  lines.push(bad === 0 ? `stack ${stack}: ready for pulumi up` : `stack ${stack}: ${bad} thing${bad === 1 ? "" : "s"} to fix before pulumi up`);
  return lines.join("\n");
}
