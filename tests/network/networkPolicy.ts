// A small evaluator of Kubernetes NetworkPolicy (networking.k8s.io/v1) semantics, so tests can prove
// which flows a set of rendered policies allows without a cluster and a CNI.
//
// It follows, and cites by section:
//   [concept]  https://kubernetes.io/docs/concepts/services-networking/network-policies/
//   [api]      https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
//   [selector] https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/label-selector/
//   [labels]   https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#set-based-requirement
// What it deliberately does not model (no policy can change these anyway): traffic between a pod and
// its own node, which [concept] "The two sorts of pod isolation" always allows for ingress, and a
// pod talking to itself ("a pod cannot block access to itself"). Flows are connections, so replies
// are implicitly allowed ([concept] "Reply traffic for those allowed connections ...").
// A policy the API server would reject (bad CIDR, ipBlock mixed with selectors, endPort on a named
// port, ...) throws: a verdict about an object that can't exist would prove nothing.
import { BlockList, isIP } from "net";

export type Protocol = "TCP" | "UDP" | "SCTP";
export interface ContainerPort { name?: string; containerPort: number; protocol?: Protocol }
export interface PodEndpoint { kind: "pod"; name: string; namespace: string; labels: Record<string, string>; ip: string; ports?: ContainerPort[]; hostNetwork?: boolean }
export interface ExternalEndpoint { kind: "external"; name?: string; ip: string }
export type Endpoint = PodEndpoint | ExternalEndpoint;
/** `kubernetes.io/metadata.name: <name>` is always added, as the API server does. */
export interface NamespaceInfo { name: string; labels?: Record<string, string> }
export interface Flow { from: Endpoint; to: Endpoint; port: number; protocol?: Protocol /* default TCP */ }
/** A NetworkPolicy object as Kubernetes stores it (what `helm template` renders, parsed from YAML). */
export type NetworkPolicy = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string }; spec: Record<string, any> };
/** Each side's reason is short and human-readable, meant for test failure messages. */
export interface Verdict { allowed: boolean; egress: string; ingress: string }

type Direction = "Ingress" | "Egress";
type Selector = { matchLabels?: Record<string, unknown>; matchExpressions?: { key: string; operator: string; values?: unknown[] }[] };
interface Context { flow: Flow; protocol: Protocol; namespaces: readonly NamespaceInfo[]; defaultNamespace: string }

const fail = (policy: NetworkPolicy, message: string): never => {
  throw new Error(`NetworkPolicy ${policy.metadata.name}: ${message} (the API server rejects this)`);
};

// [selector]: matchLabels and matchExpressions are ANDed; an empty selector matches everything.
// [labels] "Set-based requirement": `notin` also selects objects WITHOUT the key, unlike `in`.
// Values are compared as strings because YAML may have parsed `"true"`-like values unquoted.
function selectorMatches(selector: Selector, labels: Record<string, string>): boolean {
  const has = (key: string) => Object.prototype.hasOwnProperty.call(labels, key);
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => has(k) && labels[k] === String(v));
  return byLabel && (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const inValues = has(key) && values.map(String).includes(labels[key]);
    switch (operator) {
      case "In": return inValues;
      case "NotIn": return !inValues;
      case "Exists": return has(key);
      case "DoesNotExist": return !has(key);
      default: throw new Error(`label selector: unknown operator ${operator}`);
    }
  });
}

const policyNamespace = (policy: NetworkPolicy, ctx: Context) => policy.metadata.namespace ?? ctx.defaultNamespace;

// The label the control plane sets on every namespace ([concept] "Targeting a Namespace by its name").
function namespaceLabels(name: string, ctx: Context): Record<string, string> {
  const known = ctx.namespaces.find((ns) => ns.name === name);
  return { ...(known?.labels ?? {}), "kubernetes.io/metadata.name": name };
}

// [api] NetworkPolicySpec.policyTypes: "If this field is not specified, it will default based on the
// existence of Ingress or Egress rules": Ingress always, Egress only if there are egress rules. The
// API server's defaulting tests `len(spec.egress) != 0`, so an empty `egress: []` does NOT add Egress
// and an empty `policyTypes: []` counts as unspecified.
function policyTypes(spec: Record<string, any>): Direction[] {
  if (Array.isArray(spec.policyTypes) && spec.policyTypes.length > 0) return spec.policyTypes;
  return Array.isArray(spec.egress) && spec.egress.length > 0 ? ["Ingress", "Egress"] : ["Ingress"];
}

// [concept] "NetworkPolicy and hostNetwork pods": behaviour is undefined, limited to two options. We
// model the one the docs call "the most common implementation": the plugin cannot tell a hostNetwork
// pod from its node, so it ignores hostNetwork pods when matching spec.podSelector (they are never
// isolated, in either direction) and peer podSelector/namespaceSelector; their traffic is node
// traffic, which an ipBlock can match by the node IP (the pod's `ip`). Assuming the other option
// would let a test "prove" an isolation that most clusters don't enforce.
const selectable = (ep: Endpoint): ep is PodEndpoint => ep.kind === "pod" && !ep.hostNetwork;

// [concept] "The NetworkPolicy resource": a policy applies to pods in its own namespace matched by
// spec.podSelector; "An empty podSelector selects all pods in the namespace". The Go field is a
// non-pointer struct, so an absent podSelector is the empty one.
const selects = (policy: NetworkPolicy, pod: PodEndpoint, ctx: Context) =>
  pod.namespace === policyNamespace(policy, ctx) && selectorMatches(policy.spec.podSelector ?? {}, pod.labels);

/**
 * Each valid CIDR's BlockList, made once: a flow test evaluates the same few CIDRs thousands of
 * times, and making a BlockList (a native handle) was most of the evaluator's time.
 */
const subnets = new Map<string, BlockList>();

// [api] IPBlock: a CIDR (host bits may be set, e.g. "192.168.1.1/24"; IPv4 or IPv6) minus the
// `except` CIDRs. An address of the other family never matches (BlockList, like Go's
// IPNet.Contains, does treat an IPv4-mapped IPv6 address as the IPv4 address).
function inCidr(ip: string, cidr: string, policy: NetworkPolicy): boolean {
  if (typeof cidr !== "string") fail(policy, `ipBlock CIDR ${cidr} is not a string`);
  let block = subnets.get(cidr);
  if (!block) {
    const slash = cidr.lastIndexOf("/");
    const [base, prefix] = [cidr.slice(0, slash), Number(cidr.slice(slash + 1))];
    const family = isIP(base);
    if (slash < 0 || family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) fail(policy, `invalid CIDR ${cidr}`);
    block = new BlockList();
    block.addSubnet(base, prefix, family === 4 ? "ipv4" : "ipv6");
    subnets.set(cidr, block);
  }
  const ipFamily = isIP(ip);
  if (ipFamily === 0) throw new Error(`endpoint IP ${ip} is not an IP address`);
  return block.check(ip, ipFamily === 4 ? "ipv4" : "ipv6");
}

// [concept] "Behavior of to and from selectors" and [api] NetworkPolicyPeer.
function peerMatches(peer: Record<string, any>, ep: Endpoint, policy: NetworkPolicy, ctx: Context): boolean {
  const { ipBlock, podSelector, namespaceSelector } = peer;
  if (ipBlock != null) {
    // ipBlock "should be cluster-external IPs", but nothing stops it from covering pod IPs, and most
    // CNIs (Calico, Cilium, kube-router...) then match pod traffic by its IP too, so we do as well.
    // SNAT/DNAT (LoadBalancer, Service IPs) is out of scope: the flow carries the real endpoints.
    return inCidr(ep.ip, ipBlock.cidr, policy) && !(ipBlock.except ?? []).some((c: string) => inCidr(ep.ip, c, policy));
  }
  if (!selectable(ep)) return false; // selectors only ever select (non-hostNetwork) pods
  // namespaceSelector alone: all pods of the matching namespaces. podSelector alone: pods of the
  // policy's own namespace. Both in ONE element: pods matching podSelector IN those namespaces (AND);
  // two separate elements are ORed by the caller.
  const namespaceOk = namespaceSelector != null
    ? selectorMatches(namespaceSelector, namespaceLabels(ep.namespace, ctx))
    : ep.namespace === policyNamespace(policy, ctx);
  return namespaceOk && (podSelector == null || selectorMatches(podSelector, ep.labels));
}

// [api] NetworkPolicyPort and [concept] "Targeting a range of ports". `protocol` defaults to TCP; an
// absent `port` matches every port of that protocol; `endPort` extends a numeric port to an inclusive
// range. A named port "can either be a numerical or named port on a pod": it is resolved against the
// DESTINATION pod (for ingress the selected pod, for egress the peer), so it needs a container port
// with that name AND that protocol AND the flow's port number. An external (or hostNetwork, i.e.
// node) destination has no named ports, so a named port never matches it.
function portMatches(entry: Record<string, any>, ctx: Context): boolean {
  const { port, endPort, protocol = "TCP" } = entry;
  if (protocol !== ctx.protocol) return false;
  if (port == null) return true;
  if (typeof port === "number") return ctx.flow.port >= port && ctx.flow.port <= (endPort ?? port);
  const dest = ctx.flow.to;
  return selectable(dest) && (dest.ports ?? []).some((cp) =>
    cp.name === port && (cp.protocol ?? "TCP") === protocol && cp.containerPort === ctx.flow.port);
}

// What the API server's validation would reject, checked up front for every policy so that a broken
// policy fails every test, not only the flows that happen to reach the broken rule.
function validate(policy: NetworkPolicy): void {
  for (const rule of [...(policy.spec.ingress ?? []), ...(policy.spec.egress ?? [])]) {
    for (const peer of [...(rule?.from ?? []), ...(rule?.to ?? [])]) {
      const { ipBlock, podSelector, namespaceSelector } = peer ?? {};
      if (ipBlock == null && podSelector == null && namespaceSelector == null) fail(policy, "a peer must set ipBlock, podSelector or namespaceSelector");
      // [api] ipBlock: "If this field is set then neither of the other fields can be."
      if (ipBlock != null && (podSelector != null || namespaceSelector != null)) fail(policy, "a peer with ipBlock must not have selectors");
      if (ipBlock != null) for (const cidr of [ipBlock.cidr, ...(ipBlock.except ?? [])]) inCidr("0.0.0.0", cidr, policy);
    }
    for (const { port, endPort, protocol } of rule?.ports ?? []) {
      if (protocol != null && !["TCP", "UDP", "SCTP"].includes(protocol)) fail(policy, `unknown protocol ${protocol}`);
      // [concept] "Targeting a range of ports": endPort >= port, only with port, both numeric.
      if (endPort != null && (typeof port !== "number" || endPort < port)) fail(policy, `endPort ${endPort} needs a numeric port <= it`);
      // IANA service names contain a letter: a quoted "8080" is a string, and not a valid name.
      if (typeof port === "string" && !/[a-z]/.test(port)) fail(policy, `port "${port}" is a string but not a port name`);
    }
  }
}

// [api] NetworkPolicyIngressRule / EgressRule: "The traffic must match both ports and from/to".
// An empty or missing from/to matches all peers; empty or missing ports matches all ports. Items of
// each list are ORed.
function ruleAdmits(rule: Record<string, any>, direction: Direction, policy: NetworkPolicy, ctx: Context): boolean {
  const peers: unknown[] | undefined = direction === "Ingress" ? rule?.from : rule?.to;
  const peer = direction === "Ingress" ? ctx.flow.from : ctx.flow.to;
  const peerOk = !peers?.length || peers.some((p) => peerMatches(p as Record<string, any>, peer, policy, ctx));
  const ports: unknown[] | undefined = rule?.ports;
  return peerOk && (!ports?.length || ports.some((p) => portMatches(p as Record<string, any>, ctx)));
}

const show = (ep: Endpoint) => (ep.name ? `${ep.name} ${ep.ip}` : ep.ip);

// [concept] "The two sorts of pod isolation": a pod is isolated for a direction iff some policy selects
// it AND has that direction in policyTypes. Isolated: only what the union of those policies' rules
// admits. Not isolated: everything. Policies of the other direction are irrelevant here.
function side(direction: Direction, pod: Endpoint, policies: readonly NetworkPolicy[], ctx: Context): { allowed: boolean; reason: string } {
  if (pod.kind === "external") return { allowed: true, reason: `${show(pod)} is external: no NetworkPolicy applies on its side` };
  if (pod.hostNetwork) return { allowed: true, reason: `${pod.name} uses hostNetwork: no policy selects it (undefined; treated as node traffic, as most CNIs do): allowed` };
  const applying = policies.filter((p) => policyTypes(p.spec).includes(direction) && selects(p, pod, ctx));
  if (applying.length === 0) return { allowed: true, reason: `no ${direction} policy selects ${pod.name}: allowed` };
  const key = direction === "Ingress" ? "ingress" : "egress";
  for (const policy of applying) {
    // An absent or empty rule list admits nothing: the policy "serves solely to ensure that the pods
    // it selects are isolated" ([api] NetworkPolicySpec.ingress/egress).
    const rules: unknown[] = policy.spec[key] ?? [];
    const index = rules.findIndex((rule) => ruleAdmits(rule as Record<string, any>, direction, policy, ctx));
    if (index >= 0) return { allowed: true, reason: `allowed by ${policy.metadata.name} ${key}[${index}]` };
  }
  const names = applying.map((p) => p.metadata.name).join(", ");
  const { flow } = ctx;
  return { allowed: false, reason: `denied: ${direction} policies ${names} select ${pod.name} and none admits ${show(flow.from)} -> ${show(flow.to)}:${flow.port}/${ctx.protocol}` };
}

/**
 * Whether `flow` is allowed by `policies`. [concept] "For a connection from a source pod to a
 * destination pod to be allowed, both the egress policy on the source pod and the ingress policy on
 * the destination pod need to allow the connection."
 * `defaultNamespace` is the namespace of policies without `metadata.namespace` (what
 * `kubectl apply -n` / `helm install -n` would give them), "default" unless given.
 */
export function evaluateFlow(flow: Flow, policies: readonly NetworkPolicy[], namespaces: readonly NamespaceInfo[], defaultNamespace = "default"): Verdict {
  const ctx: Context = { flow, protocol: flow.protocol ?? "TCP", namespaces, defaultNamespace };
  const npOnly = policies.filter((p) => (p.kind ?? "NetworkPolicy") === "NetworkPolicy");
  npOnly.forEach(validate);
  const egress = side("Egress", flow.from, npOnly, ctx);
  const ingress = side("Ingress", flow.to, npOnly, ctx);
  return { allowed: egress.allowed && ingress.allowed, egress: egress.reason, ingress: ingress.reason };
}
