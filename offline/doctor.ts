// What a stack needs from outside before its first `pulumi up`, checked without creating anything:
// the cluster context, the addresses of Keycloak and Vault, the credentials in the environment,
// and, where kubectl can ask the cluster, the CRDs, issuer and Secrets the stack relies on.
// Pure over its probes, so the checks are tested without a cluster or a network.
import type { Settings } from "../settings";
import { secretSources } from "../components/secrets/deployTimeSecret";
import { usersWithSsh } from "../components/ssh/sshValues";

export type Verdict = "ok" | "missing" | "skipped";

export interface Finding {
  readonly verdict: Verdict;
  readonly what: string;
  /** What is wrong and what to do, or why it was not checked. */
  readonly detail?: string;
}

export interface Probes {
  /** The kubeconfig's contexts and current context, or why it could not be read. */
  readonly kubeconfig: () => { contexts: string[]; current?: string; file: string } | { error: string };
  /** Whether a hostname resolves. */
  readonly resolves: (host: string) => Promise<boolean>;
  /** `kubectl --context <ctx> <args>`; undefined when kubectl is not installed. */
  readonly kubectl: (context: string, args: readonly string[]) => { ok: boolean; output: string } | undefined;
  readonly environment: Readonly<Record<string, string | undefined>>;
}

const ok = (what: string, detail?: string): Finding => ({ verdict: "ok", what, detail });
const missing = (what: string, detail: string): Finding => ({ verdict: "missing", what, detail });
const skipped = (what: string, detail: string): Finding => ({ verdict: "skipped", what, detail });

export async function doctor(settings: Settings, probes: Probes): Promise<Finding[]> {
  const findings: Finding[] = [];
  const context = clusterContext(settings, probes, findings);
  findings.push(...(await addresses(settings, probes)));
  findings.push(...credentials(settings, probes.environment));
  if (context) findings.push(...clusterObjects(settings, context, probes));
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
  findings.push(ok(`cluster context ${wanted}`, kubeconfig.file));
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
  const onePassword =
    secretSources(settings).some(({ source }) => "onePassword" in source) ||
    settings.images !== undefined ||
    usersWithSsh(settings.users).some((u) => (u.ssh?.onePasswordKeys.length ?? 0) > 0) ||
    (settings.caBundle !== undefined && "onePassword" in settings.caBundle) ||
    (settings.vault?.kubernetesAuth.kubernetesCaCert !== undefined && "onePassword" in settings.vault.kubernetesAuth.kubernetesCaCert);
  if (onePassword) needs.push({ what: "1Password (items the stack reads)", anyOf: [["OP_SERVICE_ACCOUNT_TOKEN"], ["OP_CONNECT_HOST", "OP_CONNECT_TOKEN"]] });
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

function clusterObjects(settings: Settings, context: string, probes: Probes): Finding[] {
  const { namespace } = settings.hub;
  const checks: { what: string; args: string[]; why: string }[] = [];
  const crd = (name: string, why: string) => checks.push({ what: `CRD ${name}`, args: ["get", "crd", name], why });
  if (settings.vault) crd("externalsecrets.external-secrets.io", "the hub's secrets come from Vault through an ExternalSecret: install the External Secrets Operator");
  if (settings.vault) {
    const store = settings.vault.externalSecrets;
    const args = store.storeKind === "ClusterSecretStore" ? ["get", "clustersecretstore", store.storeName] : ["-n", namespace, "get", "secretstore", store.storeName];
    checks.push({ what: `${store.storeKind} ${store.storeName}`, args, why: "vault.externalSecrets names it: create the Vault store" });
  }
  if (settings.https.type === "certManager") {
    crd("certificates.cert-manager.io", "https.type certManager: install cert-manager");
    const { name, kind } = settings.https.issuer;
    const args = kind === "ClusterIssuer" ? ["get", "clusterissuer", name] : ["-n", namespace, "get", "issuer", name];
    checks.push({ what: `${kind} ${name}`, args, why: "https.issuer names it: create it" });
  }
  if (settings.https.type === "secret") {
    checks.push({
      what: `TLS Secret ${namespace}/${settings.https.secretName}`,
      args: ["-n", namespace, "get", "secret", settings.https.secretName],
      why: "https.type secret: it must exist before `pulumi up` (kubectl create namespace, then the Secret)",
    });
  }
  if (settings.caBundle && ("configMap" in settings.caBundle || "secret" in settings.caBundle)) {
    const [kind, name] = "configMap" in settings.caBundle ? ["configmap", settings.caBundle.configMap.name] : ["secret", settings.caBundle.secret.name];
    checks.push({ what: `CA ${kind} ${namespace}/${name}`, args: ["-n", namespace, "get", kind, name], why: "caBundle names it: it must exist in the hub's namespace" });
  }
  if (usersWithSsh(settings.users).length > 0 && !settings.ssh.installPipeCrd) {
    crd("pipes.sshpiper.com", "ssh.installPipeCrd is off: install sshpiper's Pipe CRD");
  }
  const findings: Finding[] = [];
  for (const check of checks) {
    const result = probes.kubectl(context, check.args);
    if (!result) {
      findings.push(skipped(check.what, "kubectl is not installed; not checked"));
      continue;
    }
    findings.push(result.ok ? ok(check.what) : missing(check.what, `${check.why} (${result.output.trim().split("\n")[0]})`));
  }
  return findings;
}

/** One line per finding, and a last line that says what to do. */
export function report(stack: string, findings: readonly Finding[]): string {
  const mark = { ok: "ok     ", missing: "MISSING", skipped: "skipped" } as const;
  const lines = findings.map((f) => `  ${mark[f.verdict]} ${f.what}${f.detail ? `: ${f.detail}` : ""}`);
  const bad = findings.filter((f) => f.verdict === "missing").length;
  lines.push(bad === 0 ? `stack ${stack}: ready for pulumi up` : `stack ${stack}: ${bad} thing${bad === 1 ? "" : "s"} to fix before pulumi up`);
  return lines.join("\n");
}
