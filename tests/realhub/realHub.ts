// The real-hub tier's runner: one committed stack, one supported chart version. Renders the stack
// (the program under Pulumi's mocks), renders the real chart with its values (helm template),
// lays out what the kubelet would give the hub container (hubPod.ts), and runs the chart's
// jupyterhub_config.py in the real JupyterHub, KubeSpawner and OAuthenticator of that chart's hub
// image (hubPython.ts) inside a private mount and network namespace (run_hub.py), against fakes
// of what lives outside the hub pod only. Returns what the scenario observed.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hubUrl } from "../../components/hub/hubUrl";
import { caConfigMapName } from "../../components/trust/caBundleValues";
import { helmTemplate, type Manifest } from "../harness/helmTemplate";
import { hubPython, hubRequirements } from "../harness/hubPython";
import { HubZygote, namespacingPrefix } from "../harness/hubZygote";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { readStackConfig, type StackConfig } from "../harness/stackConfig";
import { hubPod, type ObjectOverrides } from "./hubPod";
import { keptSecretOverride } from "./releases";

/** What run_hub.py puts in a server CA's place; the throwaway CA it makes for the fakes. */
const CA_PLACEHOLDER = "@@THROWAWAY-CA@@";
/** The client secret the fake Keycloak and the hub's env Secret share (an ExternalSecret makes it in a cluster). */
export const OAUTH_CLIENT_SECRET = "realhub-client-secret";

export interface HubRun {
  readonly stack: string;
  readonly chartVersion: string;
  readonly rendered: RenderedStack;
  /** The chart's manifests for the values the hub ran with. */
  readonly manifests: Manifest[];
  readonly result: Record<string, any>;
}

export interface RunOptions {
  /** Changes the stack's chart values before the chart is rendered: what a control test breaks. */
  readonly mutateValues?: (values: Record<string, any>) => void;
  /** The first release's stack config, instead of the committed Pulumi.<stack>.yaml. */
  readonly config?: StackConfig;
  /**
   * Later releases, in order: `pulumi up` with another config (releases.ts). The scenario moves
   * the hub to the next one with hub.upgrade(): the hub restarts with that release's files and
   * environment, its database kept. Each is rendered the way the first is.
   */
  readonly upgrades?: readonly { config: StackConfig; mutateValues?: (values: Record<string, any>) => void }[];
  /**
   * The hub pod cannot reach its own Service: where the CNI drops hairpin traffic, or the hub's
   * NetworkPolicy does not admit the hub itself. The Service's names resolve, in the pod, to an
   * address nothing answers; people and the fakes still reach the hub (through the proxy).
   */
  readonly hairpinDropped?: boolean;
}

/**
 * Where the hub pod's own Service goes when the hairpin is dropped: TEST-NET-1 (RFC 5737), which
 * the namespace has no route to. Not a loopback address: the hub listens on every address
 * (hub_bind_url http://:8081), so any 127.0.0.0/8 address would reach it.
 */
const DROPPED_HAIRPIN_ADDRESS = "192.0.2.1";

/** Whether this machine can make the namespaces: Linux, and root or unprivileged user namespaces. */
export function namespacePrefix(): string[] {
  const base = ["unshare", "--mount", "--net", "--propagation", "private"];
  return process.getuid?.() === 0 ? base : [...base, "--user", "--map-root-user"];
}

type RbacRule = { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[] };

/** The rules of every Role bound to the hub's ServiceAccount, from the chart and from the stack. */
export function hubRbac(manifests: readonly Manifest[], resources: RenderedStack["resources"], namespace: string, serviceAccount = "hub"): RbacRule[] {
  const objects = [
    ...manifests.map((m) => ({ kind: m.kind, body: m as Record<string, any> })),
    ...resources.filter((r) => r.type.startsWith("kubernetes:rbac.authorization.k8s.io/v1:")).map((r) => ({ kind: r.type.split(":").pop()!, body: r.inputs as Record<string, any> })),
  ];
  const roles = new Map(objects.filter((o) => o.kind === "Role").map((o) => [o.body.metadata.name as string, (o.body.rules ?? []) as RbacRule[]]));
  return objects
    .filter((o) => o.kind === "RoleBinding" && o.body.roleRef?.kind === "Role")
    .filter((o) => (o.body.subjects ?? []).some((s: any) => s.kind === "ServiceAccount" && s.name === serviceAccount && (s.namespace ?? namespace) === namespace))
    .flatMap((o) => roles.get(o.body.roleRef.name) ?? []);
}

/** The JupyterHub version a chart's hub image runs (its pin in the tier's requirements). */
function jupyterhubVersion(chartVersion: string): string {
  const pin = /^jupyterhub==(\S+)$/m.exec(fs.readFileSync(hubRequirements(chartVersion), "utf8"));
  if (!pin) throw new Error(`no jupyterhub pin for chart ${chartVersion}`);
  return pin[1];
}

/** Each stack config's render, made once per test file. */
const renders = new Map<string, Promise<RenderedStack>>();

/**
 * The stack rendered from `config`, shared: a test reads the settings of the render its hub runs
 * from, and a control runs the same config twice; each render costs the program's whole run
 * under mocks. Read only: runRealHub changes a copy of the values.
 */
export function renderedStack(config: StackConfig, stack: string): Promise<RenderedStack> {
  const key = JSON.stringify([stack, config]);
  let rendered = renders.get(key);
  if (!rendered) {
    rendered = renderStack(config, stack);
    renders.set(key, rendered);
  }
  return rendered;
}

export async function runRealHub(stack: string, chartVersion: string, scenario: Record<string, unknown>, options: RunOptions = {}): Promise<HubRun> {
  const release = async (config: StackConfig, mutateValues?: RunOptions["mutateValues"]) => {
    const original = await renderedStack(config, stack);
    const values = structuredClone(original.values);
    mutateValues?.(values as Record<string, any>);
    const { releaseName, namespace } = original.settings.hub;
    return { rendered: { ...original, values }, manifests: helmTemplate(values, { release: releaseName, namespace, chartVersion }) };
  };
  const { rendered, manifests } = await release(options.config ?? readStackConfig(stack), options.mutateValues);
  const { releaseName, namespace } = rendered.settings.hub;
  const overrides: ObjectOverrides = {
    [`ConfigMap/${caConfigMapName(releaseName)}`]: { "ca.crt": CA_PLACEHOLDER },
    [`Secret/${releaseName}-hub-env`]: { OAUTH_CLIENT_SECRET },
  };
  const serviceNames = manifests.filter((m) => m.kind === "Service").map((m) => m.metadata.name);
  const serviceAddress = (name: string) => `127.0.1.${serviceNames.indexOf(name) + 1}`;
  const pod = hubPod({ manifests, resources: rendered.resources, namespace, overrides, serviceAddress });
  const hosts: Record<string, string> = {};
  for (const name of serviceNames) {
    const address = options.hairpinDropped && name === "hub" ? DROPPED_HAIRPIN_ADDRESS : serviceAddress(name);
    for (const alias of [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.cluster.local`]) hosts[alias] = address;
  }
  const upgrades = [];
  for (const next of options.upgrades ?? []) {
    const later = await release(next.config, next.mutateValues);
    const keep = { ...overrides, ...keptSecretOverride(manifests, later.manifests) };
    upgrades.push({ pod: hubPod({ manifests: later.manifests, resources: later.rendered.resources, namespace, overrides: keep, serviceAddress }), hubValues: later.rendered.values });
  }

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `realhub-${stack}-${chartVersion}-`));
  const values = rendered.values as Record<string, any>;
  const oauth = values.hub?.config?.GenericOAuthenticator as { authorize_url: string } | undefined;
  const keycloak = oauth ? { host: new URL(oauth.authorize_url).hostname, clientSecret: OAUTH_CLIENT_SECRET } : undefined;
  const spec = {
    scratch,
    pod,
    hosts,
    namespace,
    release: releaseName,
    chartVersion,
    jupyterhubVersion: jupyterhubVersion(chartVersion),
    hubValues: values,
    hubRbac: hubRbac(manifests, rendered.resources, namespace),
    publicUrl: hubUrl(rendered.settings),
    keycloak,
    resources: rendered.resources,
    scenario,
    upgrades,
  };
  const specFile = path.join(scratch, "spec.json");
  fs.writeFileSync(specFile, JSON.stringify(spec));
  // Asynchronous, so that a test file can run several stacks' hubs at once.
  const run = process.env.REALHUB_FRESH_HUB === "1" ? await runFresh(chartVersion, specFile) : await runFromZygote(chartVersion, specFile, scratch);
  let result: Record<string, any>;
  try {
    result = JSON.parse(run.stdout);
  } catch {
    throw new Error(`run_hub.py for ${stack} on chart ${chartVersion} exited with ${run.status} and no result:\n${run.stderr.slice(-4000)}`);
  }
  if (result.error) throw new Error(`the real hub for ${stack} on chart ${chartVersion} failed:\n${result.error}\n--- hub log (tail) ---\n${result.hubLogTail}`);
  // REALHUB_KEEP=1 keeps the pod's files and the hub's log for a look.
  if (!process.env.REALHUB_KEEP) fs.rmSync(scratch, { recursive: true, force: true });
  return { stack, chartVersion, rendered, manifests, result };
}

interface RunHubExit {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How long one run_hub.py may take before it is killed. */
const RUN_HUB_TIMEOUT_MS = 240_000;

/**
 * The zygote of each chart version (hubZygote.ts), in the user namespace where not root: under
 * `npm test` a connection to the one the whole run shares, else one per test file (jest gives each
 * a module registry of its own).
 */
const zygotes = new Map<string, HubZygote>();

/**
 * run_hub.py forked from the chart version's zygote, in namespaces of its own (in_namespaces.py):
 * it and the hubs it forks in turn (run_hub.py's forked_zygote) start with the hub's packages
 * imported, which a new python spends 3-4 s of CPU on.
 */
async function runFromZygote(chartVersion: string, specFile: string, scratch: string): Promise<RunHubExit> {
  let zygote = zygotes.get(chartVersion);
  if (!zygote) {
    zygote = new HubZygote(chartVersion, { prefix: namespacingPrefix(), detached: true });
    zygotes.set(chartVersion, zygote);
  }
  const stdout = path.join(scratch, "run_hub.out");
  const stderr = path.join(scratch, "run_hub.err");
  let pid: number | undefined;
  const timer = setTimeout(() => {
    try {
      if (pid) process.kill(pid, "SIGKILL");
    } catch {
      // It ended just now; its exit is on its way.
    }
  }, RUN_HUB_TIMEOUT_MS);
  try {
    const { status } = await zygote.run({ argv: [path.join(__dirname, "in_namespaces.py"), path.join(__dirname, "run_hub.py"), specFile], stdout, stderr, started: (p) => (pid = p) });
    const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
    return { status, stdout: read(stdout), stderr: read(stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** run_hub.py in a new python under unshare(1) (REALHUB_FRESH_HUB=1: no zygote anywhere). */
async function runFresh(chartVersion: string, specFile: string): Promise<RunHubExit> {
  const [command, ...args] = [...namespacePrefix(), hubPython(chartVersion), path.join(__dirname, "run_hub.py"), specFile];
  return new Promise<RunHubExit>((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_HUB_TIMEOUT_MS);
    child.on("error", (error) => reject(new Error(`could not start the real-hub tier (${command}): ${error.message}`)));
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
  });
}
