// The evaluator checked against the examples of the Kubernetes docs, cited per test:
//   [concept] https://kubernetes.io/docs/concepts/services-networking/network-policies/
//   [api]     https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
// The policies are the docs' YAML, transcribed as the objects `helm template` output parses into.
import { evaluateFlow, type ContainerPort, type Endpoint, type NamespaceInfo, type NetworkPolicy, type PodEndpoint, type Protocol } from "./networkPolicy";

let nextIp = 1;
const pod = (name: string, namespace: string, labels: Record<string, string>, extra: Partial<PodEndpoint> = {}): PodEndpoint =>
  ({ kind: "pod", name, namespace, labels, ip: `10.244.0.${nextIp++}`, ...extra });
const external = (ip: string): Endpoint => ({ kind: "external", ip });
const policy = (name: string, spec: Record<string, any>, namespace?: string): NetworkPolicy =>
  ({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name, ...(namespace ? { namespace } : {}) }, spec });

const namespaces: NamespaceInfo[] = [
  { name: "default" },
  { name: "myproject-ns", labels: { project: "myproject" } },
  { name: "alice-ns", labels: { user: "alice" } },
  { name: "other" },
];
const check = (from: Endpoint, to: Endpoint, port: number, policies: NetworkPolicy[], protocol?: Protocol) =>
  evaluateFlow({ from, to, port, protocol }, policies, namespaces);
const allowed = (from: Endpoint, to: Endpoint, port: number, policies: NetworkPolicy[], protocol?: Protocol) =>
  check(from, to, port, policies, protocol).allowed;

describe('[concept] "The NetworkPolicy resource": test-network-policy', () => {
  const testNetworkPolicy = policy("test-network-policy", {
    podSelector: { matchLabels: { role: "db" } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [{
      from: [
        { ipBlock: { cidr: "172.17.0.0/16", except: ["172.17.1.0/24"] } },
        { namespaceSelector: { matchLabels: { project: "myproject" } } },
        { podSelector: { matchLabels: { role: "frontend" } } },
      ],
      ports: [{ protocol: "TCP", port: 6379 }],
    }],
    egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/24" } }], ports: [{ protocol: "TCP", port: 5978 }] }],
  }, "default");
  const policies = [testNetworkPolicy];
  const db = pod("db", "default", { role: "db" });
  const frontend = pod("frontend", "default", { role: "frontend" });

  it('admits TCP 6379 from "any pod in the default namespace with the label role=frontend"', () => {
    expect(check(frontend, db, 6379, policies)).toEqual({
      allowed: true,
      egress: "no Egress policy selects frontend: allowed",
      ingress: "allowed by test-network-policy ingress[0]",
    });
    // The podSelector peer means the policy's own namespace: a role=frontend pod elsewhere is not it.
    expect(allowed(pod("frontend", "other", { role: "frontend" }), db, 6379, policies)).toBe(false);
  });

  it('admits "any pod in a namespace with the label project=myproject", whatever its labels', () => {
    expect(allowed(pod("anything", "myproject-ns", {}), db, 6379, policies)).toBe(true);
    expect(allowed(pod("anything", "other", {}), db, 6379, policies)).toBe(false);
  });

  it("admits 172.17.0.0–172.17.0.255 and 172.17.2.0–172.17.255.255, i.e. 172.17.0.0/16 except 172.17.1.0/24", () => {
    for (const ip of ["172.17.0.0", "172.17.0.255", "172.17.2.0", "172.17.255.255"]) expect(allowed(external(ip), db, 6379, policies)).toBe(true);
    for (const ip of ["172.17.1.0", "172.17.1.77", "172.17.1.255", "172.16.255.255", "172.18.0.0"]) expect(allowed(external(ip), db, 6379, policies)).toBe(false);
    expect(check(external("172.17.1.77"), db, 6379, policies).ingress).toBe(
      "denied: Ingress policies test-network-policy select db and none admits 172.17.1.77 -> db " + db.ip + ":6379/TCP");
  });

  it("admits only TCP port 6379: another port, or UDP 6379, is denied even from an allowed source", () => {
    expect(allowed(frontend, db, 6380, policies)).toBe(false);
    expect(allowed(frontend, db, 6379, policies, "UDP")).toBe(false);
  });

  it('egress: "allows connections ... to CIDR 10.0.0.0/24 on TCP port 5978" and nothing else', () => {
    expect(check(db, external("10.0.0.7"), 5978, policies)).toEqual({
      allowed: true,
      egress: "allowed by test-network-policy egress[0]",
      ingress: "10.0.0.7 is external: no NetworkPolicy applies on its side",
    });
    expect(allowed(db, external("10.0.1.7"), 5978, policies)).toBe(false);
    expect(allowed(db, external("10.0.0.7"), 5979, policies)).toBe(false);
    // Isolated for egress: db cannot even reach a non-isolated pod (or DNS).
    expect(check(db, frontend, 80, policies)).toMatchObject({ allowed: false, ingress: "no Ingress policy selects frontend: allowed" });
  });

  it('isolates only "role=db pods in the default namespace"; other pods keep accepting all traffic', () => {
    expect(allowed(external("8.8.8.8"), frontend, 12345, policies)).toBe(true);
    expect(allowed(external("8.8.8.8"), pod("db", "other", { role: "db" }), 6379, policies)).toBe(true);
  });

  it("a namespace-less policy belongs to the defaultNamespace argument", () => {
    const floating = policy("deny", { podSelector: {}, policyTypes: ["Ingress"] });
    const web = pod("web", "other", {});
    expect(evaluateFlow({ from: external("1.2.3.4"), to: web, port: 80 }, [floating], namespaces).allowed).toBe(true);
    expect(evaluateFlow({ from: external("1.2.3.4"), to: web, port: 80 }, [floating], namespaces, "other").allowed).toBe(false);
  });
});

describe('[concept] "Behavior of to and from selectors": one element (AND) vs two elements (OR)', () => {
  const server = pod("server", "default", { app: "server" });
  const spec = (from: unknown[]) => ({ podSelector: { matchLabels: { app: "server" } }, ingress: [{ from }] });
  const one = policy("one-element", spec([{ namespaceSelector: { matchLabels: { user: "alice" } }, podSelector: { matchLabels: { role: "client" } } }]), "default");
  const two = policy("two-elements", spec([{ namespaceSelector: { matchLabels: { user: "alice" } } }, { podSelector: { matchLabels: { role: "client" } } }]), "default");
  const aliceClient = pod("alice-client", "alice-ns", { role: "client" });
  const aliceOther = pod("alice-other", "alice-ns", { role: "db" });
  const localClient = pod("local-client", "default", { role: "client" });
  const elsewhereClient = pod("elsewhere-client", "other", { role: "client" });

  it('one element admits "Pods with the label role=client in namespaces with the label user=alice" only', () => {
    expect(allowed(aliceClient, server, 80, [one])).toBe(true);
    expect(allowed(aliceOther, server, 80, [one])).toBe(false);
    expect(allowed(localClient, server, 80, [one])).toBe(false);
    expect(allowed(elsewhereClient, server, 80, [one])).toBe(false);
  });

  it('two elements admit "Pods in the local Namespace with the label role=client, or any Pod in any namespace with the label user=alice"', () => {
    expect(allowed(aliceClient, server, 80, [two])).toBe(true);
    expect(allowed(aliceOther, server, 80, [two])).toBe(true);
    expect(allowed(localClient, server, 80, [two])).toBe(true);
    expect(allowed(elsewhereClient, server, 80, [two])).toBe(false);
  });

  it("selectors never match an external endpoint, even one at an admitted pod's IP", () => {
    expect(allowed(external(aliceClient.ip), server, 80, [two])).toBe(false);
  });
});

describe('[concept] "Default policies" (policies without a namespace, as in the docs)', () => {
  const defaultDenyIngress = policy("default-deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
  const allowAllIngress = policy("allow-all-ingress", { podSelector: {}, ingress: [{}], policyTypes: ["Ingress"] });
  const defaultDenyEgress = policy("default-deny-egress", { podSelector: {}, policyTypes: ["Egress"] });
  const allowAllEgress = policy("allow-all-egress", { podSelector: {}, egress: [{}], policyTypes: ["Egress"] });
  const defaultDenyAll = policy("default-deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  const a = pod("a", "default", { app: "a" });
  const b = pod("b", "default", { app: "b" });
  const outsider = pod("outsider", "other", {});

  it('"Default deny all ingress traffic" isolates every pod for ingress and "does not affect isolation for egress"', () => {
    expect(check(a, b, 80, [defaultDenyIngress])).toEqual({
      allowed: false,
      egress: "no Egress policy selects a: allowed",
      ingress: `denied: Ingress policies default-deny-ingress select b and none admits a ${a.ip} -> b ${b.ip}:80/TCP`,
    });
    expect(allowed(a, external("1.1.1.1"), 443, [defaultDenyIngress])).toBe(true);
    expect(allowed(a, outsider, 80, [defaultDenyIngress])).toBe(true);
  });

  it('"Allow all ingress traffic": "no additional policy or policies can cause any incoming connection ... to be denied"', () => {
    expect(check(outsider, b, 9999, [defaultDenyIngress, allowAllIngress]).ingress).toBe("allowed by allow-all-ingress ingress[0]");
    expect(allowed(external("203.0.113.9"), b, 22, [defaultDenyIngress, allowAllIngress])).toBe(true);
  });

  it('"Default deny all egress traffic" denies all egress and "does not change the ingress isolation behavior"', () => {
    expect(allowed(a, external("1.1.1.1"), 53, [defaultDenyEgress], "UDP")).toBe(false);
    expect(allowed(a, b, 80, [defaultDenyEgress])).toBe(false);
    expect(allowed(outsider, a, 80, [defaultDenyEgress])).toBe(true);
  });

  it('"Allow all egress traffic" wins over a default deny of egress', () => {
    expect(allowed(a, external("1.1.1.1"), 53, [defaultDenyEgress, allowAllEgress], "UDP")).toBe(true);
  });

  it('"Default deny all ingress and all egress traffic" denies both sides', () => {
    const verdict = check(a, b, 80, [defaultDenyAll]);
    expect(verdict.allowed).toBe(false);
    expect(verdict.egress).toMatch(/^denied: Egress policies default-deny-all select a/);
    expect(verdict.ingress).toMatch(/^denied: Ingress policies default-deny-all select b/);
    expect(allowed(outsider, a, 80, [defaultDenyAll])).toBe(false);
    expect(allowed(a, outsider, 80, [defaultDenyAll])).toBe(false);
  });
});

describe('[api] NetworkPolicySpec.policyTypes defaulting ("Ingress" always, "Egress" if there are egress rules)', () => {
  const hub = pod("hub", "default", { component: "hub" });
  const proxy = pod("proxy", "default", { component: "proxy" });

  it("a pod selected only by an ingress policy keeps unrestricted egress", () => {
    const ingressOnly = policy("hub", { podSelector: { matchLabels: { component: "hub" } }, ingress: [{ from: [{ podSelector: { matchLabels: { component: "proxy" } } }] }] }, "default");
    expect(check(hub, external("140.82.112.3"), 443, [ingressOnly]).egress).toBe("no Egress policy selects hub: allowed");
    expect(allowed(proxy, hub, 8081, [ingressOnly])).toBe(true);
    expect(allowed(external("1.2.3.4"), hub, 8081, [ingressOnly])).toBe(false);
  });

  it("a policy with only egress rules and no policyTypes ALSO isolates ingress, with no ingress rule to admit anything", () => {
    const egressOnly = policy("egress-only", { podSelector: { matchLabels: { component: "hub" } }, egress: [{}] }, "default");
    expect(allowed(hub, external("1.2.3.4"), 443, [egressOnly])).toBe(true);
    expect(allowed(proxy, hub, 8081, [egressOnly])).toBe(false);
  });

  it("an empty `egress: []` does not add Egress (the API server tests len(egress) != 0)", () => {
    const emptyEgress = policy("empty-egress", { podSelector: {}, ingress: [{}], egress: [] }, "default");
    expect(allowed(hub, external("1.2.3.4"), 443, [emptyEgress])).toBe(true);
    const explicit = policy("explicit", { podSelector: {}, policyTypes: ["Ingress", "Egress"], ingress: [{}], egress: [] }, "default");
    expect(allowed(hub, external("1.2.3.4"), 443, [explicit])).toBe(false);
  });
});

describe('[concept] "Targeting a range of ports": multi-port-egress', () => {
  const multiPortEgress = policy("multi-port-egress", {
    podSelector: { matchLabels: { role: "db" } },
    policyTypes: ["Egress"],
    egress: [{ to: [{ ipBlock: { cidr: "10.0.0.0/24" } }], ports: [{ protocol: "TCP", port: 32000, endPort: 32768 }] }],
  }, "default");
  const db = pod("db", "default", { role: "db" });

  it("allows TCP to 10.0.0.0/24 when the target port is between 32000 and 32768, inclusive", () => {
    for (const port of [32000, 32500, 32768]) expect(allowed(db, external("10.0.0.1"), port, [multiPortEgress])).toBe(true);
    for (const port of [31999, 32769]) expect(allowed(db, external("10.0.0.1"), port, [multiPortEgress])).toBe(false);
    expect(allowed(db, external("10.0.0.1"), 32000, [multiPortEgress], "UDP")).toBe(false);
    expect(allowed(db, external("10.0.1.1"), 32000, [multiPortEgress])).toBe(false);
  });

  it("an Egress-only policy leaves ingress alone", () => {
    expect(allowed(external("8.8.8.8"), db, 6379, [multiPortEgress])).toBe(true);
  });

  it('rejects what the API server rejects: "endPort must be equal to or greater than port", "both ports must be numeric"', () => {
    const bad = (port: unknown) => policy("bad", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port, endPort: 100 }] }] });
    expect(() => allowed(db, external("1.1.1.1"), 90, [bad(200)])).toThrow(/endPort/);
    expect(() => allowed(db, external("1.1.1.1"), 90, [bad("http")])).toThrow(/endPort/);
  });
});

describe('[api] NetworkPolicyPort: "port ... can either be a numerical or named port on a pod"; protocol defaults to TCP', () => {
  const ports: ContainerPort[] = [{ name: "http", containerPort: 8000 }, { name: "dns", containerPort: 53, protocol: "UDP" }];
  const server = pod("server", "default", { app: "server" }, { ports });
  const client = pod("client", "default", { app: "client" });
  const ingressOn = (port: Record<string, unknown>) => policy("server", { podSelector: { matchLabels: { app: "server" } }, ingress: [{ ports: [port] }] }, "default");

  it("ingress: a named port is resolved against the selected (destination) pod's container ports", () => {
    expect(allowed(client, server, 8000, [ingressOn({ port: "http" })])).toBe(true);
    expect(allowed(client, server, 8001, [ingressOn({ port: "http" })])).toBe(false);
    expect(allowed(client, server, 8000, [ingressOn({ port: "metrics" })])).toBe(false);
  });

  it("a named port must match the protocol too: `port: dns` (TCP by default) does not match a UDP container port", () => {
    expect(allowed(client, server, 53, [ingressOn({ port: "dns" })], "UDP")).toBe(false);
    expect(allowed(client, server, 53, [ingressOn({ port: "dns" })], "TCP")).toBe(false);
    expect(allowed(client, server, 53, [ingressOn({ port: "dns", protocol: "UDP" })], "UDP")).toBe(true);
  });

  it("a port entry with only a protocol matches every port of that protocol", () => {
    expect(allowed(client, server, 4242, [ingressOn({ protocol: "UDP" })], "UDP")).toBe(true);
    expect(allowed(client, server, 4242, [ingressOn({ protocol: "UDP" })], "TCP")).toBe(false);
    expect(allowed(client, server, 4242, [ingressOn({})], "TCP")).toBe(true);
  });

  it("egress: a named port is resolved against the destination pod, and never matches an external destination", () => {
    const egress = policy("client", {
      podSelector: { matchLabels: { app: "client" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: "http" }] }],
    }, "default");
    expect(allowed(client, external("93.184.216.34"), 8000, [egress])).toBe(false);
    // The ipBlock also covers the pod's IP (as most CNIs match it), and the pod names 8000 "http".
    expect(check(client, server, 8000, [egress]).egress).toBe("allowed by client egress[0]");
    expect(allowed(client, server, 8001, [egress])).toBe(false);
  });
});

describe("[api] IPBlock: IPv4 and IPv6 CIDRs, except, pod IPs", () => {
  const target = pod("target", "default", { app: "target" });
  const fromBlock = (cidr: string, except?: string[]) =>
    [policy("block", { podSelector: { matchLabels: { app: "target" } }, ingress: [{ from: [{ ipBlock: { cidr, ...(except ? { except } : {}) } }] }] }, "default")];

  it("matches IPv6 with except, and never across families", () => {
    const policies = fromBlock("2001:db8::/32", ["2001:db8:bad::/48"]);
    expect(allowed(external("2001:db8:1::5"), target, 80, policies)).toBe(true);
    expect(allowed(external("2001:db8:bad::5"), target, 80, policies)).toBe(false);
    expect(allowed(external("2001:db9::5"), target, 80, policies)).toBe(false);
    expect(allowed(external("10.0.0.1"), target, 80, policies)).toBe(false);
    expect(allowed(external("2001:db8::1"), target, 80, fromBlock("0.0.0.0/0"))).toBe(false);
  });

  it('accepts a CIDR with host bits set ("192.168.1.1/24" is a documented valid example)', () => {
    expect(allowed(external("192.168.1.200"), target, 80, fromBlock("192.168.1.1/24"))).toBe(true);
  });

  it("matches a pod source by its IP (ipBlock should be cluster-external, but most CNIs match pod IPs too)", () => {
    const source = pod("source", "other", {});
    expect(allowed(source, target, 80, fromBlock("10.244.0.0/16"))).toBe(true);
    expect(allowed(source, target, 80, fromBlock("10.244.0.0/16", [`${source.ip}/32`]))).toBe(false);
  });

  it("rejects invalid peers: a bad CIDR, ipBlock together with a selector, an empty peer", () => {
    const withPeer = (peer: unknown) => [policy("bad", { podSelector: {}, ingress: [{ from: [peer] }] })];
    const flow = () => external("1.1.1.1");
    expect(() => allowed(flow(), target, 80, withPeer({ ipBlock: { cidr: "10.0.0.0/33" } }))).toThrow(/invalid CIDR/);
    expect(() => allowed(flow(), target, 80, withPeer({ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }))).toThrow(/ipBlock/);
    expect(() => allowed(flow(), target, 80, withPeer({}))).toThrow(/peer must set/);
  });
});

describe('[concept] "Targeting a Namespace by its name" and label selector operators', () => {
  const server = pod("server", "default", { app: "server" });
  const fromNamespaces = (namespaceSelector: unknown) =>
    [policy("ns", { podSelector: {}, ingress: [{ from: [{ namespaceSelector }] }] }, "default")];

  it("every namespace carries kubernetes.io/metadata.name, even one not listed", () => {
    const byName = fromNamespaces({ matchLabels: { "kubernetes.io/metadata.name": "unlisted" } });
    expect(allowed(pod("x", "unlisted", {}), server, 80, byName)).toBe(true);
    expect(allowed(pod("x", "other", {}), server, 80, byName)).toBe(false);
  });

  it("an empty namespaceSelector selects all namespaces (but still no external endpoint)", () => {
    expect(allowed(pod("x", "anywhere", {}), server, 80, fromNamespaces({}))).toBe(true);
    expect(allowed(external("1.1.1.1"), server, 80, fromNamespaces({}))).toBe(false);
  });

  it("matchExpressions: In, NotIn (which also matches namespaces WITHOUT the key), Exists, DoesNotExist", () => {
    const expr = (operator: string, values?: string[]) => fromNamespaces({ matchExpressions: [{ key: "user", operator, values }] });
    const alice = pod("x", "alice-ns", {});
    const plain = pod("y", "other", {});
    expect([allowed(alice, server, 80, expr("In", ["alice"])), allowed(plain, server, 80, expr("In", ["alice"]))]).toEqual([true, false]);
    expect([allowed(alice, server, 80, expr("NotIn", ["alice"])), allowed(plain, server, 80, expr("NotIn", ["alice"]))]).toEqual([false, true]);
    expect([allowed(alice, server, 80, expr("Exists")), allowed(plain, server, 80, expr("Exists"))]).toEqual([true, false]);
    expect([allowed(alice, server, 80, expr("DoesNotExist")), allowed(plain, server, 80, expr("DoesNotExist"))]).toEqual([false, true]);
  });
});

describe('[concept] "NetworkPolicy and hostNetwork pods": modelled as the most common implementation', () => {
  const denyAll = policy("default-deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }, "default");
  const nodeAgent = pod("node-agent", "default", { app: "agent" }, { hostNetwork: true, ip: "192.168.10.5" });
  const app = pod("app", "other", { app: "web" });

  it("a hostNetwork pod is not selected by spec.podSelector, for ingress or egress", () => {
    expect(check(app, nodeAgent, 9100, [denyAll])).toMatchObject({ allowed: true, ingress: expect.stringMatching(/^node-agent uses hostNetwork/) });
    expect(check(nodeAgent, app, 80, [denyAll]).egress).toMatch(/^node-agent uses hostNetwork/);
  });

  it("peer selectors ignore a hostNetwork pod; an ipBlock matches it by its node IP", () => {
    const web = pod("web", "default", { app: "web" });
    const fromAgent = (from: unknown[]) => [policy("web", { podSelector: { matchLabels: { app: "web" } }, ingress: [{ from }] }, "default")];
    expect(allowed(nodeAgent, web, 80, fromAgent([{ podSelector: { matchLabels: { app: "agent" } } }]))).toBe(false);
    expect(allowed(nodeAgent, web, 80, fromAgent([{ namespaceSelector: {} }]))).toBe(false);
    expect(allowed(nodeAgent, web, 80, fromAgent([{ ipBlock: { cidr: "192.168.10.0/24" } }]))).toBe(true);
  });

  it("a named port does not resolve on a hostNetwork destination (it is the node's IP)", () => {
    const agent = { ...nodeAgent, ports: [{ name: "metrics", containerPort: 9100 }] };
    const egress = [policy("web", { podSelector: {}, policyTypes: ["Egress"], egress: [{ ports: [{ port: "metrics" }] }] }, "other")];
    expect(allowed(app, agent, 9100, egress)).toBe(false);
    expect(allowed(app, pod("exporter", "other", {}, { ports: agent.ports }), 9100, egress)).toBe(true);
  });
});
