// The real-hub tier's checks for one chart version: every committed stack's hub run in the real
// JupyterHub, KubeSpawner and OAuthenticator of that chart's hub image (realHub.ts), people
// logging in and starting every profile they may use at once, and what the hub sent to the
// cluster, the proxy and Vault checked against what the stack's config says (not against what the
// program rendered from it, where the config says it directly).
import type { Settings } from "../../settings";
import { parseBytes, parseCpu } from "../../settings/quantities";
import { profileRunsSshd } from "../../settings/sshChecks";
import { userHomes } from "../../components/storage/homeLocations";
import { BUNDLE_FILE, CA_DIR, CA_FILE, TRUST_DIR } from "../../components/trust/caBundleValues";
import { clusterModel, type ClusterModel } from "../network/clusterModel";
import { evaluateFlow, type PodEndpoint } from "../network/networkPolicy";
import { closedFlows, neededFlows, type NamedFlow } from "../network/productFlows";
import { committedStacks, readStackConfig } from "../harness/stackConfig";
import { renderedStack, runRealHub, type HubRun } from "./realHub";
import { scenarioFor, type Person, type Scenario } from "./scenarios";

type VaultRequest = { method: string; path: string };
type Stop = { status: number; podsLeft: string[]; pipesLeft: string[]; vaultRequests: VaultRequest[] };
type Spawn = { profile: string; server: string; started: boolean; pods: any[]; pipes: any[]; vaultRequests: VaultRequest[]; progress?: string[]; stop: Stop | null };

const notebook = (pod: any) => pod.spec.containers.find((c: any) => c.name === "notebook");
const envOf = (pod: any): Record<string, string> => Object.fromEntries((notebook(pod).env ?? []).map((e: any) => [e.name, e.value]));
const volumeNames = (pod: any): string[] => pod.spec.volumes.map((v: any) => v.name);

export interface CheckContext {
  readonly run: HubRun;
  readonly settings: Settings;
  readonly scenario: Scenario;
}

const seen = (run: HubRun, p: Person) => run.result.people[p.name];
const spawnsOf = (run: HubRun, p: Person): Spawn[] => seen(run, p).spawns ?? [];
const profileOf = (settings: Settings, slug: string) => settings.profiles.find((p) => p.slug === slug)!;
/** Every server started from the spawn form, with who started it and the pod KubeSpawner sent. */
const everySpawn = (run: HubRun, scenario: Scenario) => scenario.people.flatMap((person) => spawnsOf(run, person).map((spawn) => ({ person, spawn, pod: spawn.pods[0] })));

/** Each check of a hub run, by what it proves; they throw (jest's expect) when the hub did otherwise. */
export const checks: Record<string, (ctx: CheckContext) => void> = {
  "lets every configured person log in through the stack's authenticator": ({ run, scenario }) => {
    for (const p of scenario.people) {
      expect({ name: p.name, error: seen(run, p).error }).toEqual({ name: p.name, error: undefined });
      expect({ name: p.name, loggedIn: seen(run, p).login.loggedIn }).toEqual({ name: p.name, loggedIn: true });
    }
  },
  "offers each person exactly the profiles the config lets them use": ({ run, scenario }) => {
    for (const p of scenario.people) expect({ name: p.name, offered: seen(run, p).offered }).toEqual({ name: p.name, offered: p.mayUse });
  },
  "starts every profile each person may use, through the real KubeSpawner, one pod each": ({ run, scenario }) => {
    for (const p of scenario.people) {
      expect({ name: p.name, started: spawnsOf(run, p).map((s) => s.profile) }).toEqual({ name: p.name, started: p.mayUse });
      for (const s of spawnsOf(run, p)) {
        expect({ who: p.name, profile: s.profile, started: s.started, progress: s.progress }).toEqual({ who: p.name, profile: s.profile, started: true, progress: undefined });
        expect(s.pods).toHaveLength(1);
      }
    }
  },
  "sends each pod with its profile's image, CPU, memory and GPUs": ({ run, settings, scenario }) => {
    for (const { spawn, pod } of everySpawn(run, scenario)) {
      const configured = profileOf(settings, spawn.profile);
      const { limits, requests } = notebook(pod).resources;
      // The image reference the program resolved (a built image's digest) is what the chart got.
      const image = ((run.rendered.values as any).singleuser.profileList as any[]).find((p) => p.slug === spawn.profile).kubespawner_override.image;
      expect({ profile: spawn.profile, image: notebook(pod).image }).toEqual({ profile: spawn.profile, image });
      expect([limits.cpu, requests.cpu]).toEqual([parseCpu(String(configured.cpu.limit)), parseCpu(String(configured.cpu.guarantee))]);
      expect([limits.memory, requests.memory]).toEqual([parseBytes(String(configured.memory.limit)), parseBytes(String(configured.memory.guarantee))]);
      expect({ profile: spawn.profile, gpus: limits["nvidia.com/gpu"] }).toEqual({ profile: spawn.profile, gpus: configured.gpus ? String(configured.gpus) : undefined });
    }
  },
  "runs only sudo profiles as root, with the reduced capability set": ({ run, settings, scenario }) => {
    for (const { spawn, pod } of everySpawn(run, scenario)) {
      const context = notebook(pod).securityContext ?? {};
      if (profileOf(settings, spawn.profile).sudo) {
        expect(context).toMatchObject({ runAsUser: 0, capabilities: { drop: ["ALL"] } });
        expect(envOf(pod).GRANT_SUDO).toBe("yes");
      } else {
        expect({ profile: spawn.profile, runAsUser: context.runAsUser, escalation: context.allowPrivilegeEscalation }).toEqual({ profile: spawn.profile, runAsUser: 1000, escalation: false });
      }
    }
  },
  "mounts each person's own home, where the stack's homes output says it is, and shared volumes only for their groups": ({ run, settings, scenario }) => {
    const homes = userHomes(settings, {});
    for (const { person, pod } of everySpawn(run, scenario)) {
      const home = notebook(pod).volumeMounts.find((m: any) => m.mountPath === "/home/jovyan");
      expect(home).toBeDefined();
      const claim = pod.spec.volumes.find((v: any) => v.name === home.name).persistentVolumeClaim?.claimName;
      if (settings.storage.type === "nfs") expect({ who: person.name, claim, subPath: home.subPath }).toEqual({ who: person.name, claim: "homes", subPath: homes[person.name].subPath });
      else expect({ who: person.name, claim }).toEqual({ who: person.name, claim: homes[person.name].claim });
      for (const shared of settings.sharedVolumes) {
        const allowed = person.admin || shared.groups.length === 0 || shared.groups.some((g) => person.groups.includes(g));
        expect({ who: person.name, volume: shared.name, mounted: volumeNames(pod).includes(`shared-${shared.name}`) }).toEqual({ who: person.name, volume: shared.name, mounted: allowed });
      }
    }
  },
  "gives every server the stack's CA bundle where the stack has one": ({ run, settings, scenario }) => {
    for (const { pod } of everySpawn(run, scenario)) {
      if (!settings.caBundle) {
        expect(envOf(pod).SSL_CERT_FILE).toBeUndefined();
        continue;
      }
      expect(envOf(pod)).toMatchObject({ SSL_CERT_FILE: BUNDLE_FILE, REQUESTS_CA_BUNDLE: BUNDLE_FILE, VAULT_CACERT: CA_FILE });
      // The notebook container itself mounts the CA and the bundle the init container writes.
      const mounted = notebook(pod).volumeMounts.map((m: any) => m.mountPath);
      expect(mounted).toEqual(expect.arrayContaining([CA_DIR, TRUST_DIR]));
      expect((pod.spec.initContainers ?? []).map((c: any) => c.name)).toContain("ca-trust");
    }
  },
  "puts a single-use Vault wrapping token in the pod, never a Vault token": ({ run, settings, scenario }) => {
    for (const { person, pod } of everySpawn(run, scenario)) {
      const text = JSON.stringify(pod);
      if (!settings.vault) {
        expect(text).not.toMatch(/VAULT/);
        continue;
      }
      for (const token of run.result.vault.userTokens) expect(text).not.toContain(token);
      expect(run.result.vault.wrappingTokens).toContain(envOf(pod).NOTEBOOK_VAULT_WRAPPING_TOKEN);
      expect(envOf(pod).VAULT_USER_PATH).toMatch(new RegExp(`/users/${person.name.replace(".", "\\.")}$`));
    }
  },
  "labels sshd profiles, and routes SSH with a host key only to servers of people with keys": ({ run, settings, scenario }) => {
    for (const { person, spawn, pod } of everySpawn(run, scenario)) {
      const sshd = profileRunsSshd(profileOf(settings, spawn.profile));
      expect({ profile: spawn.profile, label: pod.metadata.labels["jupyterhub-pulumi/sshd"] }).toEqual({ profile: spawn.profile, label: sshd ? "true" : undefined });
      const user = settings.users.find((u) => u.name === person.name)!;
      const hasKeys = (user.ssh?.publicKeys.length ?? 0) + (user.ssh?.onePasswordKeys.length ?? 0) > 0;
      const routed = !!settings.ssh && sshd && hasKeys;
      expect({ who: person.name, profile: spawn.profile, pipes: spawn.pipes.length }).toEqual({ who: person.name, profile: spawn.profile, pipes: routed ? 1 : 0 });
      for (const pipe of spawn.pipes) {
        expect(pipe.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: "Pod", name: pod.metadata.name })]);
        expect(pipe.spec.from).toEqual([expect.objectContaining({ username: person.name })]);
        expect(Buffer.from(pipe.spec.to.known_hosts_data, "base64").toString()).toMatch(/^\[127\.0\.3\.\d+\]:2222 ssh-ed25519 /);
      }
    }
  },
  "stops every server: the pod and its Pipes go, and its Vault token is revoked": ({ run, settings, scenario }) => {
    for (const { person, spawn } of everySpawn(run, scenario)) {
      expect({ who: person.name, profile: spawn.profile, podsLeft: spawn.stop!.podsLeft, pipesLeft: spawn.stop!.pipesLeft }).toEqual({ who: person.name, profile: spawn.profile, podsLeft: [], pipesLeft: [] });
      const revoked = spawn.stop!.vaultRequests.filter((r) => r.path === "/v1/auth/token/revoke-accessor").length;
      expect({ who: person.name, profile: spawn.profile, revoked }).toEqual({ who: person.name, profile: spawn.profile, revoked: settings.vault ? 1 : 0 });
    }
  },
  "refuses a forged profile: no pod, no Vault token minted": ({ run, scenario }) => {
    for (const p of scenario.people) {
      const forged = seen(run, p).forged as Spawn;
      expect({ who: p.name, profile: forged.profile, started: forged.started, pods: forged.pods.length, vault: forged.vaultRequests }).toEqual({ who: p.name, profile: p.forge, started: false, pods: 0, vault: [] });
      expect(forged.progress?.join(" ")).toMatch(/not available to|No such profile/);
    }
  },
  "starts a named server beside the default one where the stack allows them": ({ run, settings, scenario }) => {
    const owner = scenario.people.find((p) => p.namedServer);
    if (!owner) return expect(settings.namedServers.enabled).toBe(false);
    const named = seen(run, owner).named as Spawn;
    expect({ started: named.started, progress: named.progress }).toEqual({ started: true, progress: undefined });
    expect(named.pods[0].metadata.labels["hub.jupyter.org/servername"]).toBe(owner.namedServer!.name);
    expect(named.stop!.podsLeft).toEqual([]);
  },
  "hands the hub and each server to the proxy, and takes the servers' routes away again": ({ run, scenario }) => {
    const added = run.result.proxyHistory.filter((h: string[]) => h[0] === "add").map((h: string[]) => h[1]);
    expect(added).toContain("/");
    // JupyterHub hands CHP routespecs without their trailing slash (proxy.py, _routespec_to_chp_path).
    for (const p of scenario.people) expect(added).toContain(`/user/${p.name}`);
    expect(Object.keys(run.result.routes)).toEqual(["/"]);
  },
  "lets each pod KubeSpawner sent reach what it needs through the stack's NetworkPolicies, and nothing that must stay closed": ({ run, settings, scenario }) => {
    const model = clusterModel(run.rendered, run.manifests);
    for (const { person, spawn, pod } of everySpawn(run, scenario)) {
      // The cluster model's first server, with the labels and ports the real KubeSpawner gave it.
      const server: PodEndpoint = {
        kind: "pod",
        name: pod.metadata.name,
        namespace: settings.hub.namespace,
        labels: pod.metadata.labels,
        ip: model.servers[0].ip,
        ports: [...notebook(pod).ports, ...(pod.metadata.labels["jupyterhub-pulumi/sshd"] ? [{ name: "ssh", containerPort: 2222, protocol: "TCP" as const }] : [])],
      };
      const real: ClusterModel = { ...model, servers: [server, model.servers[1]] };
      const verdict = (flow: NamedFlow) => evaluateFlow(flow, real.policies, real.namespaces, real.namespace).allowed;
      const about = (flows: NamedFlow[]) => flows.filter((f) => f.from === server || f.to === server);
      for (const flow of about(neededFlows(run.rendered, real))) expect({ who: person.name, profile: spawn.profile, flow: flow.name, allowed: verdict(flow) }).toEqual({ who: person.name, profile: spawn.profile, flow: flow.name, allowed: true });
      for (const flow of about(closedFlows(run.rendered, real))) expect({ who: person.name, profile: spawn.profile, flow: flow.name, allowed: verdict(flow) }).toEqual({ who: person.name, profile: spawn.profile, flow: flow.name, allowed: false });
    }
  },
};

let hubRuns = 0;

/** Runs each committed stack's hub once for this chart version, and every check on what people got. */
export function describeRealHub(chartVersion: string): void {
  // Every stack's hub starts at once (they wait on their fakes far more than they compute).
  let started: Map<string, Promise<CheckContext>> | undefined;
  const start = () =>
    (started ??= new Map(
      committedStacks().map((stack) => [
        stack,
        (async () => {
          const settings = (await renderedStack(readStackConfig(stack), stack)).settings;
          const scenario = scenarioFor(settings);
          const run = await runRealHub(stack, chartVersion, scenario as unknown as Record<string, unknown>);
          hubRuns += 1;
          return { run, settings, scenario };
        })(),
      ]),
    ));
  // A failed run is reported by its own stack's checks; until they await it, it is not unhandled.
  const handled = () => {
    for (const run of start().values()) run.catch(() => undefined);
    return started!;
  };

  describe.each(committedStacks())(`the real hub of stack %s on chart ${chartVersion}`, (stack) => {
    let ctx: CheckContext;
    beforeAll(async () => {
      ctx = await handled().get(stack)!;
    }, 300_000);

    it.each(Object.keys(checks))("%s", (name) => checks[name](ctx));
  });

  afterAll(() => {
    // npm test's output says how much of the real hub ran (issue 17: "prints how many hub checks ran").
    process.stdout.write(`real-hub tier, chart ${chartVersion}: ${hubRuns} hub runs, ${hubRuns * Object.keys(checks).length} hub checks\n`);
  });
}
