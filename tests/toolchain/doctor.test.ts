// `npm run doctor`: what a stack needs from outside. The checks run over stand-in probes that answer
// as the tools do (both ways), then the real probes run stand-in binaries on PATH and the real
// kubectl against a cluster that does not answer.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { doctor, report, requiredEnvironment, type Probes, type ToolResult } from "../../offline/doctor";
import { OP_CLI_MINIMUM } from "../../offline/doctorTools";
import { probes as realProbes, userPath } from "../../scripts/doctor";
import type { Settings } from "../../settings";
import { layerBinary } from "../harness/layerBinary";
import { renderStack } from "../harness/renderStack";
import { PROJECT_ROOT, readStackConfig } from "../harness/stackConfig";

type KubeObject = { metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: object; status?: object };

// What kubectl prints, from k8s.io/kubectl: `version` fails with the standard connection message
// (pkg/cmd/util/helpers.go, StandardErrorMessage) when the server does not answer; a missing object
// is the API server's NotFound Status, printed as `Error from server (NotFound): <resource>.<group>
// "<name>" not found` (k8s.io/apimachinery pkg/api/errors/errors.go, NewNotFound); a list is
// `{ items }`, filtered by namespace (-n, or all with -A) and equality label selectors (-l).
const REFUSED = "The connection to the server 192.168.50.2:6443 was refused - did you specify the right host or port?";
const RESOURCE_NAMES: Record<string, string> = {
  crd: "customresourcedefinitions.apiextensions.k8s.io",
  clusterissuer: "clusterissuers.cert-manager.io",
  clustersecretstore: "clustersecretstores.external-secrets.io",
  runtimeclass: "runtimeclasses.node.k8s.io",
  secret: "secrets",
  configmap: "configmaps",
};

class FakeCluster {
  reachable = true;
  readonly calls: string[][] = [];
  constructor(readonly objects: Record<string, KubeObject[]> = {}) {}

  kubectl = (context: string, args: readonly string[]): ToolResult => {
    this.calls.push([context, ...args]);
    if (!this.reachable) return { ok: false, output: REFUSED };
    if (args[0] === "version") return { ok: true, output: JSON.stringify({ clientVersion: { gitVersion: "v1.35.2" }, serverVersion: { gitVersion: "v1.33.5+k3s1" } }) };
    const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
    const positional = args.filter((a, i) => !a.startsWith("-") && !["-n", "-l", "-o"].includes(args[i - 1]));
    const [, resource, name] = positional;
    const namespace = flag("-n");
    const selector = flag("-l");
    const candidates = (this.objects[resource] ?? []).filter((o) => args.includes("-A") || !namespace || o.metadata.namespace === namespace);
    if (name) {
      const found = candidates.find((o) => o.metadata.name === name);
      return found ? { ok: true, output: JSON.stringify(found) } : { ok: false, output: `Error from server (NotFound): ${RESOURCE_NAMES[resource] ?? resource} "${name}" not found` };
    }
    const matches = (o: KubeObject) => !selector || selector.split(",").every((term) => o.metadata.labels?.[term.split("=")[0]] === term.split("=")[1]);
    return { ok: true, output: JSON.stringify({ items: candidates.filter(matches) }) };
  };
}

const named = (name: string, rest: Partial<KubeObject> & { namespace?: string; labels?: Record<string, string> } = {}): KubeObject => ({
  metadata: { name, namespace: rest.namespace, labels: rest.labels, annotations: rest.metadata?.annotations },
  spec: rest.spec,
  status: rest.status,
});
const readyPod = (name: string, namespace: string, labels: Record<string, string>) =>
  named(name, { namespace, labels, status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] } });
const readyCondition = { conditions: [{ type: "Ready", status: "True" }] };

/** A k3s homelab with everything the homelab stack needs, the hub deployed. */
function homelabCluster(): FakeCluster {
  return new FakeCluster({
    crd: [named("externalsecrets.external-secrets.io"), named("certificates.cert-manager.io")],
    pods: [
      readyPod("coredns-6799fbcd5-x", "kube-system", { "k8s-app": "kube-dns" }),
      readyPod("external-secrets-7d9c-x", "external-secrets", { "app.kubernetes.io/name": "external-secrets" }),
      readyPod("cert-manager-5b7c-x", "cert-manager", { "app.kubernetes.io/name": "cert-manager" }),
    ],
    storageclass: [named("local-path", { metadata: { name: "local-path", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } } })],
    clustersecretstore: [named("vault-homelab", { spec: { provider: { vault: { path: "secret", version: "v2" } } }, status: readyCondition })],
    clusterissuer: [named("homelab-ca", { status: readyCondition })],
    nodes: [named("k3s-1"), named("k3s-gpu", { status: { allocatable: { cpu: "16", "nvidia.com/gpu": "1" } } })],
    daemonsets: [named("nvidia-device-plugin-daemonset", { namespace: "kube-system", status: { numberReady: 1 } })],
    services: [
      named("proxy-public", { namespace: "jupyterhub", spec: { type: "LoadBalancer" }, status: { loadBalancer: { ingress: [{ ip: "192.168.50.20" }] } } }),
      named("jupyterhub-ssh", { namespace: "jupyterhub", spec: { type: "LoadBalancer" }, status: { loadBalancer: { ingress: [{ ip: "192.168.50.31" }] } } }),
    ],
  });
}

const VAULT_MOUNTS = JSON.stringify({ "secret/": { type: "kv", options: { version: "2" } }, "sys/": { type: "system", options: null } });
const VAULT_AUTH = JSON.stringify({ "token/": { type: "token" } });

/** Tools as they answer on a machine ready to deploy; `overrides` answer otherwise (undefined: not installed). */
function tools(overrides: Record<string, ToolResult | undefined> = {}): Probes["tool"] {
  const answers: Record<string, ToolResult | undefined> = {
    pulumi: { ok: true, output: "v3.280.0\n" },
    node: { ok: true, output: "v24.21.0\n" },
    kubectl: { ok: true, output: JSON.stringify({ clientVersion: { gitVersion: "v1.35.2" } }) },
    docker: { ok: true, output: "28.5.1\n" },
    op: { ok: true, output: "2.32.0\n" },
    "vault secrets": { ok: true, output: VAULT_MOUNTS },
    "vault auth": { ok: true, output: VAULT_AUTH },
    ...overrides,
  };
  return (name, args) => {
    const answer = answers[name === "vault" ? `vault ${args[0]}` : name];
    return answer && { ...answer, path: `/usr/local/bin/${name}` };
  };
}

function probes(cluster: FakeCluster, overrides: Partial<Probes> = {}): Probes {
  return {
    kubeconfig: () => ({ file: "/home/maria/.kube/config", contexts: ["homelab", "kind-kind"], current: "homelab" }),
    resolves: async (host) => host !== "vault.home.arpa",
    kubectl: cluster.kubectl,
    tool: tools(),
    connects: async (host) => host === "192.168.50.20",
    environment: { OP_SERVICE_ACCOUNT_TOKEN: "ops_x", VAULT_ADDR: "https://vault.home.arpa:8200", VAULT_TOKEN: "hvs.x" },
    ...overrides,
  };
}

let homelab: Settings;
let dev: Settings;
beforeAll(async () => {
  homelab = (await renderStack(readStackConfig("homelab"), "homelab")).settings;
  dev = (await renderStack(readStackConfig("dev"), "dev")).settings;
});

const lines = (findings: { verdict: string; what: string }[]) => findings.map((f) => `${f.verdict} ${f.what}`);

describe("the cluster contract", () => {
  it("checks the homelab stack's tools, context, addresses, credentials and every feature it uses", async () => {
    const cluster = homelabCluster();
    const findings = await doctor(homelab, probes(cluster));
    expect(lines(findings)).toEqual([
      "ok Pulumi CLI v3.280.0",
      "ok Node.js for pulumi v24.21.0",
      "ok kubectl v1.35.2",
      "ok Docker engine (profiles build images) 28.5.1",
      "ok 1Password CLI (op) 2.32.0",
      "ok cluster context homelab in kubeconfig",
      "ok Keycloak (keycloak.url): auth.home.arpa resolves",
      "missing Vault (vault.address): vault.home.arpa",
      "ok 1Password (items the stack reads): OP_SERVICE_ACCOUNT_TOKEN set",
      "missing Keycloak admin",
      "ok Vault (the operator's token): VAULT_ADDR, VAULT_TOKEN set",
      "ok cluster homelab answers",
      "ok cluster DNS (pods k8s-app=kube-dns in kube-system)",
      "ok default StorageClass local-path",
      "ok CRD externalsecrets.external-secrets.io",
      "ok External Secrets Operator running",
      "ok ClusterSecretStore vault-homelab Ready",
      "ok Vault KV v2 at secret",
      "ok Vault Kubernetes auth at kubernetes-k3s: free for the stack to enable",
      "ok CRD certificates.cert-manager.io",
      "ok cert-manager running",
      "ok ClusterIssuer homelab-ca Ready",
      "ok GPU node for profile gpu (1 nvidia.com/gpu)",
      "ok NVIDIA device plugin DaemonSet",
      "ok hub LoadBalancer jupyterhub/proxy-public answers at 192.168.50.20:443",
      "missing SSH gateway LoadBalancer jupyterhub/jupyterhub-ssh",
      "skipped NetworkPolicy enforcement",
      "skipped NFS client on every node",
    ]);
    const text = report("homelab", findings);
    expect(text).toContain("MISSING SSH gateway LoadBalancer jupyterhub/jupyterhub-ssh: 192.168.50.31:22 does not answer from here (ssh.sourceRanges must include this machine)");
    expect(text.split("\n").pop()).toBe("stack homelab: 3 things to fix before pulumi up");
  });

  it("FAILS on a cluster that does not answer, and asks it nothing more", async () => {
    const cluster = homelabCluster();
    cluster.reachable = false;
    const findings = await doctor(homelab, probes(cluster));
    expect(findings).toContainEqual({ verdict: "missing", what: "cluster homelab answers", detail: REFUSED });
    expect(findings).toContainEqual({ verdict: "skipped", what: "cluster checks", detail: "not run: the cluster did not answer" });
    expect(findings.some((f) => f.verdict === "ok" && /cluster homelab/.test(f.what) && !/kubeconfig/.test(f.what))).toBe(false);
    expect(cluster.calls.map((c) => c[1])).toEqual(["version"]);
  });

  it("names what is missing per feature: CRD, controller, store, issuer, DNS, StorageClass, GPUs, device plugin", async () => {
    const cluster = new FakeCluster({
      pods: [named("cert-manager-5b7c-x", { namespace: "cert-manager", labels: { "app.kubernetes.io/name": "cert-manager" }, status: { phase: "Pending" } })],
      clustersecretstore: [named("vault-homelab", { spec: { provider: { vault: { path: "kv", version: "v1" } } } })],
      clusterissuer: [named("homelab-ca", { status: { conditions: [{ type: "Ready", status: "False", message: "secret homelab-ca-key not found" }] } })],
      nodes: [named("k3s-1", { status: { allocatable: { cpu: "4" } } })],
    });
    const findings = await doctor(homelab, probes(cluster));
    const detail = (what: string) => findings.find((f) => f.what === what)?.detail;
    expect(detail("CRD externalsecrets.external-secrets.io")).toMatch(/install the External Secrets Operator \(Error from server \(NotFound\): customresourcedefinitions/);
    expect(detail("External Secrets Operator running")).toMatch(/^no Ready pod labelled app.kubernetes.io\/name=external-secrets/);
    expect(detail("cert-manager running")).toMatch(/\(1 not Ready\)/);
    expect(detail("ClusterSecretStore vault-homelab")).toBe("reads kv (KV v1); the stack writes to KV v2 at secret (vault.kvMount): set path: secret, version: v2");
    expect(detail("ClusterIssuer homelab-ca Ready")).toBe("cert-manager reports: secret homelab-ca-key not found");
    expect(detail("cluster DNS (pods k8s-app=kube-dns in kube-system)")).toMatch(/^none Ready: servers may resolve names only through them/);
    expect(detail("default StorageClass")).toMatch(/^the hub's database claim from it/);
    expect(detail("GPU node for profile gpu (1 nvidia.com/gpu)")).toMatch(/no node offers it: the NVIDIA device plugin/);
    expect(findings.find((f) => f.what === "NVIDIA device plugin DaemonSet")?.verdict).toBe("missing");
    expect(detail("LoadBalancer implementation")).toMatch(/no LoadBalancer Service yet to judge by/);
  });

  it("judges a LoadBalancer by other Services before the first pulumi up, and a profile's node selector and RuntimeClass", async () => {
    const cluster = homelabCluster();
    cluster.objects.services = [named("traefik", { namespace: "kube-system", spec: { type: "LoadBalancer" }, status: { loadBalancer: {} } })];
    const gpu = { ...homelab.profiles.find((p) => p.gpus > 0)!, nodeSelector: { "nvidia.com/gpu.present": "true" }, runtimeClassName: "nvidia" };
    const settings = { ...homelab, profiles: [...homelab.profiles.filter((p) => p.gpus === 0), gpu] };
    const findings = await doctor(settings, probes(cluster));
    const find = (what: string) => findings.find((f) => f.what === what);
    expect(find("LoadBalancer implementation")).toEqual({
      verdict: "missing",
      what: "LoadBalancer implementation",
      detail: "1 LoadBalancer Service(s) wait for an address, e.g. kube-system/traefik: install MetalLB (or use k3s's ServiceLB)",
    });
    expect(find("GPU node for profile gpu (1 nvidia.com/gpu)")?.detail).toMatch(/^no node labelled nvidia.com\/gpu.present=true offers it/);
    expect(find("RuntimeClass nvidia")?.verdict).toBe("missing");
    // The device plugin runs, but no node is labelled as the profile asks.
    expect(find("NVIDIA device plugin DaemonSet")?.verdict).toBe("ok");

    cluster.objects.services = [named("proxy-public", { namespace: "jupyterhub", spec: { type: "LoadBalancer" }, status: { loadBalancer: { ingress: [{ ip: "192.168.50.99" }] } } })];
    const moved = await doctor(homelab, probes(cluster));
    expect(moved.find((f) => f.what === "hub LoadBalancer jupyterhub/proxy-public")?.detail).toBe(
      "got 192.168.50.99, not hub.service.loadBalancerIP 192.168.50.20: is it free, and in a MetalLB address pool?",
    );
  });

  it("checks Vault's KV version and the Kubernetes auth mount with the operator's vault CLI", async () => {
    const tool = tools({
      "vault secrets": { ok: true, output: JSON.stringify({ "secret/": { type: "kv", options: { version: "1" } } }) },
      "vault auth": { ok: true, output: JSON.stringify({ "kubernetes-k3s/": { type: "kubernetes" } }) },
    });
    const findings = await doctor(homelab, probes(homelabCluster(), { tool }));
    expect(findings.find((f) => f.what === "Vault KV v2 at secret")?.detail).toBe("secret/ is kv version 1");
    expect(findings.find((f) => f.what === "Vault Kubernetes auth at kubernetes-k3s")?.detail).toBe(
      "kubernetesAuth.create is on but auth/kubernetes-k3s is in use (kubernetes): set create: false, or import it",
    );
    const withoutCli = await doctor(homelab, probes(homelabCluster(), { tool: tools({ "vault secrets": undefined }) }));
    expect(withoutCli.find((f) => f.what === "Vault KV v2 and Kubernetes auth")?.verdict).toBe("skipped");
  });

  it("names the contexts it has when the configured one is missing, and asks no cluster", async () => {
    const cluster = new FakeCluster();
    const findings = await doctor({ ...dev, cluster: { context: "kind-dev" } }, probes(cluster));
    expect(findings).toContainEqual({ verdict: "missing", what: "cluster context kind-dev", detail: "not in /home/maria/.kube/config (it has: homelab, kind-kind)" });
    expect(cluster.calls).toEqual([]);
  });
});

describe("the local tools", () => {
  it("needs no credentials, Docker or 1Password for dev, but kubectl, which pulumi up runs", async () => {
    expect(requiredEnvironment(dev)).toEqual([]);
    const findings = await doctor(dev, probes(new FakeCluster(), { tool: tools({ kubectl: undefined, docker: undefined, op: undefined }), kubectl: () => undefined }));
    expect(lines(findings).slice(0, 3)).toEqual(["ok Pulumi CLI v3.280.0", "ok Node.js for pulumi v24.21.0", "missing kubectl"]);
    expect(findings).toContainEqual({ verdict: "skipped", what: "cluster checks", detail: "kubectl is not installed" });
    expect(findings.some((f) => /Docker|1Password/.test(f.what))).toBe(false);
  });

  it("refuses a missing or old Pulumi CLI and Node, and warns about a CLI older than the SDK", async () => {
    const check = async (overrides: Record<string, ToolResult | undefined>) =>
      (await doctor(dev, probes(homelabCluster(), { tool: tools(overrides) }))).slice(0, 2);
    expect(await check({ pulumi: undefined, node: undefined })).toEqual([
      { verdict: "missing", what: "Pulumi CLI", detail: "not installed: see https://www.pulumi.com/docs/install/" },
      { verdict: "missing", what: "Node.js for pulumi", detail: "no `node` on PATH, which the Pulumi CLI runs the program with: install Node 24 (.nvmrc)" },
    ]);
    const [pulumi, node] = await check({ pulumi: { ok: true, output: "v3.150.0\n" }, node: { ok: true, output: "v20.20.2\n" } });
    expect(pulumi).toMatchObject({ verdict: "warning", what: "Pulumi CLI v3.150.0", detail: expect.stringMatching(/^older than the @pulumi\/pulumi 3\.\d+\.\d+ the program is built with/) });
    expect(node).toMatchObject({ verdict: "missing", what: "Node.js for pulumi v20.20.2" });
    expect(node.detail).toMatch(/needs Node.js >=22 .* started with Node v20.20.2 \(\/usr\/local\/bin\/node\), the first `node` on PATH/);
    expect((await check({ pulumi: { ok: true, output: "v2.25.2\n" } }))[0]).toMatchObject({ verdict: "missing", what: "Pulumi CLI v2.25.2" });
  });

  it("asks the Docker engine where profiles build images, and the op CLI only for a service account", async () => {
    const refused = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";
    const check = async (overrides: Record<string, ToolResult | undefined>, environment: Probes["environment"]) =>
      (await doctor(homelab, probes(homelabCluster(), { tool: tools(overrides), environment }))).filter((f) => /Docker|1Password CLI|1Password credentials/.test(f.what));
    const serviceAccount = { OP_SERVICE_ACCOUNT_TOKEN: "ops_x" };
    expect(await check({ docker: { ok: false, output: refused }, op: { ok: true, output: "2.20.0\n" } }, serviceAccount)).toEqual([
      { verdict: "missing", what: "Docker engine (profiles build images)", detail: refused },
      { verdict: "missing", what: "1Password CLI (op) 2.20.0", detail: `the 1Password provider needs ${OP_CLI_MINIMUM} or newer` },
    ]);
    const connect = { OP_CONNECT_HOST: "https://op.home.arpa", OP_CONNECT_TOKEN: "x" };
    expect((await check({ op: undefined }, connect)).map((f) => f.what)).toEqual(["Docker engine (profiles build images) 28.5.1"]);
    expect((await check({}, { ...connect, ...serviceAccount })).pop()).toMatchObject({ verdict: "missing", what: "1Password credentials" });
    expect((await check({ op: undefined }, { ...serviceAccount, OP_CLI_PATH: "/opt/op/op" })).pop()?.detail).toMatch(/^not found \(OP_CLI_PATH=\/opt\/op\/op\)/);
  });
});

describe("the real probes, with stand-in binaries on PATH", () => {
  let scratch: string;
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-"));
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  const standIn = (dir: string, name: string, script: string) => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  };

  it("finds tools on the PATH pulumi runs with, not npm's node_modules/.bin", () => {
    const npmBin = path.join(scratch, "project", "node_modules", ".bin");
    const system = path.join(scratch, "usr-bin");
    standIn(npmBin, "node", 'echo "v24.21.0"'); // the `node` devDependency npm puts first
    standIn(system, "node", 'echo "v20.20.2"');
    standIn(system, "pulumi", 'echo "error: could not read the workspace" >&2; exit 255');
    const PATH = [npmBin, path.join(scratch, "node-gyp-bin"), system].join(path.delimiter);
    expect(userPath(PATH)).toBe(system);
    const probe = realProbes(dev, { PATH, HOME: scratch });
    expect(probe.tool("node", ["--version"])).toEqual({ ok: true, output: "v20.20.2\n", path: path.join(system, "node") });
    expect(probe.tool("pulumi", ["version"])).toEqual({ ok: false, output: "error: could not read the workspace\n", path: path.join(system, "pulumi") });
    expect(probe.tool("docker", ["version"])).toBeUndefined();
  });

  it("answers whether a port opens", async () => {
    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    const probe = realProbes(dev, { PATH: "" });
    expect(await probe.connects("127.0.0.1", port)).toBe(true);
    await new Promise((resolve) => server.close(resolve));
    expect(await probe.connects("127.0.0.1", port)).toBe(false);
  });

  it("npm run doctor exits 1 on a cluster that does not answer, with the real kubectl's words", async () => {
    const bin = path.join(scratch, "bin");
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(layerBinary("kubectl"), path.join(bin, "kubectl"));
    standIn(bin, "pulumi", 'echo "v3.280.0"');
    standIn(bin, "node", `exec "${process.execPath}" "$@"`);
    // A port nothing listens on: bound, then closed.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const kubeconfig = path.join(scratch, "kubeconfig");
    fs.writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{ name: local, cluster: { server: "https://127.0.0.1:${port}" } }]`,
        "users: [{ name: local, user: { token: not-a-secret } }]",
        "contexts: [{ name: kind-kind, context: { cluster: local, user: local } }]",
        "current-context: kind-kind",
      ].join("\n"),
    );
    const result = spawnSync(process.execPath, ["-r", "./scripts/registerTypeScript.cjs", "scripts/doctor.ts", "dev"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
      env: { PATH: bin, HOME: scratch, KUBECONFIG: kubeconfig },
      timeout: 60000,
    });
    expect(result.stdout).toContain(`MISSING cluster kind-kind answers: The connection to the server 127.0.0.1:${port} was refused - did you specify the right host or port?`);
    expect(result.stdout).toContain("skipped cluster checks: not run: the cluster did not answer");
    expect(result.stdout).not.toMatch(/ok +cluster kind-kind answers/);
    expect(result.status).toBe(1);
  }, 90000);
});
