// The cluster contract (docs/reference/cluster-contract.md), checked with kubectl against the live
// cluster: that it answers at all, then per feature the stack uses the CRDs, the controllers
// running, the objects the stack names, the cluster DNS the servers' NetworkPolicy allows, a
// StorageClass for claims, nodes that offer GPUs, and a LoadBalancer that answers. What the API
// cannot show (a CNI that enforces NetworkPolicy, the NFS client on the nodes) is said, not checked.
import type { Settings } from "../settings";
import { GPU_RESOURCE } from "../components/hub/profileList";
import { CLUSTER_DNS } from "../components/network/egressRules";
import { gatewayNames } from "../components/ssh/gatewayObjects";
import { usersWithSsh } from "../components/ssh/sshValues";
import type { Probes } from "./doctor";
import { lastLine, missing, ok, skipped, warning, type Finding } from "./doctorFinding";
import { vaultFindings } from "./doctorVault";

const CONTRACT = "docs/reference/cluster-contract.md";
/** The chart's public proxy Service (Z2JH templates/proxy/service.yaml), whatever the release is called. */
const PROXY_SERVICE = "proxy-public";

interface KubeObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, any>;
  status?: Record<string, any>;
}

export async function clusterFindings(settings: Settings, context: string, probes: Probes): Promise<Finding[]> {
  const kubectl = (args: readonly string[]) => probes.kubectl(context, args);
  // kubectl version asks the server for its version, and exits 1 when it does not answer
  // (k8s.io/kubectl pkg/cmd/version/version.go returns the server error).
  const reach = kubectl(["version", "-o", "json", "--request-timeout=10s"]);
  if (!reach) return [skipped("cluster checks", "kubectl is not installed")];
  if (!reach.ok) {
    return [missing(`cluster ${context} answers`, lastLine(reach.output)), skipped("cluster checks", "not run: the cluster did not answer")];
  }
  const server = (JSON.parse(reach.output) as { serverVersion?: { gitVersion?: string } }).serverVersion?.gitVersion;
  const getJson = (args: readonly string[]): { items: KubeObject[] } | KubeObject | string => {
    const result = kubectl([...args, "-o", "json"]);
    if (!result) return "kubectl is not installed";
    return result.ok ? JSON.parse(result.output) : lastLine(result.output);
  };
  const list = (args: readonly string[]): KubeObject[] | string => {
    const got = getJson(args);
    return typeof got === "string" ? got : (got as { items: KubeObject[] }).items;
  };
  return [
    ok(`cluster ${context} answers`, server ? `Kubernetes ${server}` : undefined),
    ...clusterDns(list),
    ...storageClasses(settings, list),
    ...(settings.vault ? externalSecrets(settings, kubectl, getJson, list) : []),
    ...(settings.vault ? vaultFindings(settings.vault, probes) : []),
    ...https(settings, kubectl, getJson, list),
    ...caObject(settings, kubectl),
    ...pipeCrd(settings, kubectl),
    ...gpus(settings, kubectl, list),
    ...(await loadBalancers(settings, list, probes)),
    ...unseen(settings),
  ];
}

type Kubectl = (args: readonly string[]) => ReturnType<Probes["kubectl"]>;
type List = (args: readonly string[]) => KubeObject[] | string;
type GetJson = (args: readonly string[]) => { items: KubeObject[] } | KubeObject | string;

function exists(kubectl: Kubectl, what: string, args: string[], why: string): Finding {
  const result = kubectl(args)!;
  return result.ok ? ok(what) : missing(what, `${why} (${lastLine(result.output)})`);
}

const crd = (kubectl: Kubectl, name: string, why: string) => exists(kubectl, `CRD ${name}`, ["get", "crd", name], why);

const ready = (pod: KubeObject) =>
  pod.status?.phase === "Running" && (pod.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");

/** A controller counts as running when a pod with its chart's name label is Ready, in any namespace. */
function controller(list: List, what: string, selector: string, why: string): Finding {
  const pods = list(["get", "pods", "-A", "-l", selector]);
  if (typeof pods === "string") return missing(what, pods);
  const running = pods.filter(ready);
  if (running.length > 0) return ok(`${what} running`, running.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(", "));
  return missing(`${what} running`, `no Ready pod labelled ${selector}${pods.length ? ` (${pods.length} not Ready)` : ""}: ${why}`);
}

/** A controller's Ready condition on an object it reconciles: the controller runs and accepts it. */
function readyCondition(object: KubeObject): { ready: boolean; message: string } {
  const condition = ((object.status?.conditions ?? []) as { type: string; status: string; message?: string }[]).find((c) => c.type === "Ready");
  return { ready: condition?.status === "True", message: condition?.message ?? "no Ready condition yet" };
}

function clusterDns(list: List): Finding[] {
  // The servers' NetworkPolicy lets them resolve names only through these pods (components/network/egressRules.ts).
  const selector = Object.entries(CLUSTER_DNS.podLabels).map(([k, v]) => `${k}=${v}`).join(",");
  const pods = list(["-n", CLUSTER_DNS.namespace, "get", "pods", "-l", selector]);
  const what = `cluster DNS (pods ${selector} in ${CLUSTER_DNS.namespace})`;
  if (typeof pods !== "string" && pods.some(ready)) return [ok(what)];
  return [missing(what, `${typeof pods === "string" ? pods : "none Ready"}: servers may resolve names only through them (CoreDNS as k3s, kind and kubeadm run it)`)];
}

function storageClasses(settings: Settings, list: List): Finding[] {
  const classes = list(["get", "storageclass"]);
  if (typeof classes === "string") return [missing("StorageClasses", classes)];
  const findings: Finding[] = [];
  const named = settings.storage.type === "dynamic" ? settings.storage.storageClass : undefined;
  if (named) {
    findings.push(classes.some((c) => c.metadata.name === named) ? ok(`StorageClass ${named}`) : missing(`StorageClass ${named}`, "storage.storageClass names it: create it, or drop the key for the default one"));
  }
  // The chart keeps the hub's database on a claim (hub.db.type sqlite-pvc, no storageClassName),
  // and dynamic homes without storage.storageClass claim from the default class too.
  const users = [
    (settings.chartValues as { hub?: { db?: { pvc?: { storageClassName?: string } } } } | undefined)?.hub?.db?.pvc?.storageClassName === undefined ? "the hub's database" : undefined,
    settings.storage.type === "dynamic" && !named ? "users' homes" : undefined,
  ].filter(Boolean);
  if (users.length > 0) {
    const defaults = classes.filter((c) => c.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
    findings.push(
      defaults.length > 0
        ? ok(`default StorageClass ${defaults[0].metadata.name}`)
        : missing("default StorageClass", `${users.join(" and ")} claim from it: mark one default (storageclass.kubernetes.io/is-default-class: "true"), e.g. k3s's local-path`),
    );
  }
  return findings;
}

function externalSecrets(settings: Settings, kubectl: Kubectl, getJson: GetJson, list: List): Finding[] {
  const vault = settings.vault!;
  const findings = [
    crd(kubectl, "externalsecrets.external-secrets.io", "the hub's secrets come from Vault through an ExternalSecret: install the External Secrets Operator"),
    controller(list, "External Secrets Operator", "app.kubernetes.io/name=external-secrets", "install or start the External Secrets Operator"),
  ];
  const { storeKind, storeName } = vault.externalSecrets;
  const what = `${storeKind} ${storeName}`;
  const store = getJson(storeKind === "ClusterSecretStore" ? ["get", "clustersecretstore", storeName] : ["-n", settings.hub.namespace, "get", "secretstore", storeName]);
  if (typeof store === "string") return [...findings, missing(what, `vault.externalSecrets names it: create the Vault store (${store})`)];
  const provider = (store as KubeObject).spec?.provider?.vault as { path?: string; version?: string } | undefined;
  if (!provider) return [...findings, missing(what, "is not a Vault store (spec.provider.vault)")];
  // ESO's Vault provider defaults version to v2 (apis/externalsecrets/v1 vault types).
  if (provider.path !== vault.kvMount || (provider.version ?? "v2") !== "v2") {
    return [...findings, missing(what, `reads ${provider.path ?? "no path"} (KV ${provider.version ?? "v2"}); the stack writes to KV v2 at ${vault.kvMount} (vault.kvMount): set path: ${vault.kvMount}, version: v2`)];
  }
  const condition = readyCondition(store as KubeObject);
  return [...findings, condition.ready ? ok(`${what} Ready`) : missing(`${what} Ready`, `the operator reports: ${condition.message}`)];
}

function https(settings: Settings, kubectl: Kubectl, getJson: GetJson, list: List): Finding[] {
  const { namespace } = settings.hub;
  if (settings.https.type === "secret") {
    return [exists(kubectl, `TLS Secret ${namespace}/${settings.https.secretName}`, ["-n", namespace, "get", "secret", settings.https.secretName], "https.type secret: it must exist before `pulumi up` (kubectl create namespace, then the Secret)")];
  }
  if (settings.https.type !== "certManager") return [];
  const { name, kind } = settings.https.issuer;
  const findings = [
    crd(kubectl, "certificates.cert-manager.io", "https.type certManager: install cert-manager"),
    controller(list, "cert-manager", "app.kubernetes.io/name=cert-manager", "install or start cert-manager"),
  ];
  const issuer = getJson(kind === "ClusterIssuer" ? ["get", "clusterissuer", name] : ["-n", namespace, "get", "issuer", name]);
  if (typeof issuer === "string") return [...findings, missing(`${kind} ${name}`, `https.issuer names it: create it (${issuer})`)];
  const condition = readyCondition(issuer as KubeObject);
  return [...findings, condition.ready ? ok(`${kind} ${name} Ready`) : missing(`${kind} ${name} Ready`, `cert-manager reports: ${condition.message}`)];
}

function caObject(settings: Settings, kubectl: Kubectl): Finding[] {
  const source = settings.caBundle;
  if (!source || !("configMap" in source || "secret" in source)) return [];
  const [kind, name] = "configMap" in source ? ["configmap", source.configMap.name] : ["secret", source.secret.name];
  const { namespace } = settings.hub;
  return [exists(kubectl, `CA ${kind} ${namespace}/${name}`, ["-n", namespace, "get", kind, name], "caBundle names it: it must exist in the hub's namespace")];
}

function pipeCrd(settings: Settings, kubectl: Kubectl): Finding[] {
  if (usersWithSsh(settings.users).length === 0 || settings.ssh.installPipeCrd) return [];
  return [crd(kubectl, "pipes.sshpiper.com", "ssh.installPipeCrd is off: install sshpiper's Pipe CRD")];
}

function gpus(settings: Settings, kubectl: Kubectl, list: List): Finding[] {
  const profiles = settings.profiles.filter((p) => p.enabled && p.gpus > 0);
  if (profiles.length === 0) return [];
  const nodes = list(["get", "nodes"]);
  if (typeof nodes === "string") return [missing("nodes", nodes)];
  const findings: Finding[] = [];
  let placed = true;
  for (const profile of profiles) {
    const selector = Object.entries(profile.nodeSelector);
    const fits = nodes.filter(
      (n) => selector.every(([k, v]) => n.metadata.labels?.[k] === v) && Number(n.status?.allocatable?.[GPU_RESOURCE] ?? 0) >= profile.gpus,
    );
    const what = `GPU node for profile ${profile.slug} (${profile.gpus} ${GPU_RESOURCE})`;
    placed &&= fits.length > 0;
    findings.push(
      fits.length > 0
        ? ok(what, fits.map((n) => n.metadata.name).join(", "))
        : missing(what, `no node${selector.length ? ` labelled ${selector.map(([k, v]) => `${k}=${v}`).join(",")}` : ""} offers it: the NVIDIA device plugin (or the GPU Operator) advertises ${GPU_RESOURCE} on GPU nodes`),
    );
    if (profile.runtimeClassName) {
      findings.push(exists(kubectl, `RuntimeClass ${profile.runtimeClassName}`, ["get", "runtimeclass", profile.runtimeClassName], `profile ${profile.slug} names it: the NVIDIA container toolkit (or GPU Operator) makes it`));
    }
  }
  // The plugin's DaemonSet, as the static manifest (nvidia-device-plugin-daemonset), the helm chart
  // (<release>-nvidia-device-plugin) and the GPU Operator name it.
  const daemonSets = list(["get", "daemonsets", "-A"]);
  const plugin = typeof daemonSets === "string" ? [] : daemonSets.filter((d) => d.metadata.name.includes("nvidia-device-plugin"));
  const running = plugin.filter((d) => Number(d.status?.numberReady ?? 0) > 0);
  if (running.length > 0) findings.push(ok("NVIDIA device plugin DaemonSet", running.map((d) => `${d.metadata.namespace}/${d.metadata.name}`).join(", ")));
  else {
    const detail = plugin.length > 0 ? `${plugin.map((d) => `${d.metadata.namespace}/${d.metadata.name}`).join(", ")} has no Ready pod` : "no DaemonSet named *nvidia-device-plugin*: install the NVIDIA device plugin or the GPU Operator";
    findings.push(placed ? warning("NVIDIA device plugin DaemonSet", `${detail} (yet nodes offer ${GPU_RESOURCE})`) : missing("NVIDIA device plugin DaemonSet", detail));
  }
  return findings;
}

interface Exposed {
  readonly what: string;
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  readonly address?: string;
  readonly port: number;
}

async function loadBalancers(settings: Settings, list: List, probes: Probes): Promise<Finding[]> {
  const wanted: Exposed[] = [];
  const { hub } = settings;
  if (hub.service.type === "LoadBalancer") {
    wanted.push({ what: "hub", namespace: hub.namespace, name: PROXY_SERVICE, key: "hub.service.loadBalancerIP", address: hub.service.loadBalancerIP, port: settings.https.type === "none" ? 80 : 443 });
  }
  if (usersWithSsh(settings.users).length > 0 && settings.ssh.service.type === "LoadBalancer") {
    wanted.push({ what: "SSH gateway", namespace: hub.namespace, name: gatewayNames(hub.releaseName).service, key: "ssh.service.loadBalancerIP", address: settings.ssh.service.loadBalancerIP, port: 22 });
  }
  if (wanted.length === 0) return [];
  const services = list(["get", "services", "-A"]);
  if (typeof services === "string") return [missing("Services", services)];
  const address = (s: KubeObject): string | undefined => s.status?.loadBalancer?.ingress?.[0]?.ip ?? s.status?.loadBalancer?.ingress?.[0]?.hostname;
  const findings: Finding[] = [];
  let judged = false;
  for (const exposed of wanted) {
    const service = services.find((s) => s.metadata.namespace === exposed.namespace && s.metadata.name === exposed.name);
    if (!service) continue;
    judged = true;
    const what = `${exposed.what} LoadBalancer ${exposed.namespace}/${exposed.name}`;
    const got = address(service);
    if (!got) findings.push(missing(what, "has no address: no LoadBalancer implementation gave it one (MetalLB, k3s ServiceLB, a cloud's)"));
    else if (exposed.address && got !== exposed.address) findings.push(missing(what, `got ${got}, not ${exposed.key} ${exposed.address}: is it free, and in a MetalLB address pool?`));
    else if (await probes.connects(got, exposed.port)) findings.push(ok(`${what} answers at ${got}:${exposed.port}`));
    else findings.push(missing(what, `${got}:${exposed.port} does not answer from here${exposed.port === 22 ? " (ssh.sourceRanges must include this machine)" : ""}`));
  }
  if (judged) return findings;
  // Before the first `pulumi up`, other LoadBalancer Services say whether an implementation answers.
  const others = services.filter((s) => s.spec?.type === "LoadBalancer");
  const served = others.filter((s) => address(s));
  const name = (s: KubeObject) => `${s.metadata.namespace}/${s.metadata.name}`;
  if (served.length > 0) return [ok("LoadBalancer implementation", `${served.length} LoadBalancer Service(s) have an address, e.g. ${name(served[0])} ${address(served[0])}`)];
  if (others.length > 0) return [missing("LoadBalancer implementation", `${others.length} LoadBalancer Service(s) wait for an address, e.g. ${name(others[0])}: install MetalLB (or use k3s's ServiceLB)`)];
  return [skipped("LoadBalancer implementation", `no LoadBalancer Service yet to judge by; after pulumi up, \`kubectl -n ${hub.namespace} get svc\` must show an EXTERNAL-IP (see ${CONTRACT})`)];
}

/** What the API does not show: said once, so it is not forgotten. */
function unseen(settings: Settings): Finding[] {
  const findings = [skipped("NetworkPolicy enforcement", `not visible through the API: the network plugin must enforce NetworkPolicy (k3s's and kind's do; see ${CONTRACT})`)];
  if (settings.storage.type === "nfs" || settings.sharedVolumes.length > 0) {
    findings.push(skipped("NFS client on every node", "not visible through the API: the kubelet mounts NFS, so every node needs nfs-common (Debian, Ubuntu) or nfs-utils"));
  }
  return findings;
}
