// `pulumi destroy` stops every server before the release goes; where it cannot stop them its delete
// fails, so the resource stays in the state for the next destroy, saying what to do: the provider
// driven through the SDK's real dynamic-provider server over gRPC, as the engine drives it, with
// the real kubectl against a fake Kubernetes API server (tests/harness/fakeKubeApi.ts). The one
// stand-in is the hub's side of `kubectl exec deploy/hub -- user_lifecycle.py stop-all`: a script
// that answers as stop-all does (its `main`: "stopped N server(s): …" on stdout and exit 0, or
// "could not stop every server through the hub: …" on stderr and exit 1), stopping the pods
// through the API server as KubeSpawner does.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { providerSource } from "../../components/lifecycle/dynamicProvider";
import { kubectlCommand, stopServersCommand } from "../../components/lifecycle/lifecycleValues";
import { DELETE_UNREACHABLE_VARIABLE, SKIP_STOP_VARIABLE, serverSelector } from "../../components/lifecycle/providers/serverShutdown.cjs";
import { parseSettings } from "../../settings/parseSettings";
import { startFakeKubeApi, type FakeKubeApi, type FakePod } from "../harness/fakeKubeApi";
import { startProviderHost, type ProviderHost } from "../harness/dynamicProviderHost";
import { layerBinary } from "../harness/layerBinary";
import { minimalConfig } from "../fixtures/configs";

jest.setTimeout(60000);

const URN = "urn:pulumi:homelab::jupyterhub-pulumi::pulumi-nodejs:dynamic/lifecycle:ServerShutdown::jupyterhub-servers";
const RENAMED = "urn:pulumi:homelab::jupyterhub-pulumi::jupyterhub:lifecycle:Lifecycle$pulumi-nodejs:dynamic/lifecycle:ServerShutdown::servers";

it("runs stop-all in the hub's container, on the stack's cluster", () => {
  const settings = parseSettings({ ...minimalConfig(), hub: { host: "hub.example.test", namespace: "lab" }, cluster: { context: "homelab", kubeconfig: "/k/config" } });
  expect(stopServersCommand(settings).slice(0, 9)).toEqual(["kubectl", "--context", "homelab", "--kubeconfig", "/k/config", "--namespace", "lab", "exec", "deploy/hub"]);
  expect(kubectlCommand({})).toEqual(["kubectl"]);
});

const server = (name: string, release = "jupyterhub"): FakePod => ({
  name: `jupyter-${name}`,
  labels: { component: "singleuser-server", "app.kubernetes.io/component": "singleuser-server", "app.kubernetes.io/managed-by": "kubespawner", "app.kubernetes.io/instance": release, "hub.jupyter.org/username": name },
});
const hubPod = (ready: boolean): FakePod => ({
  name: "hub-5d8f7c9b4-x2k7q",
  labels: { component: "hub", "app.kubernetes.io/component": "hub", "app.kubernetes.io/instance": "jupyterhub", release: "jupyterhub" },
  containers: { hub: ready },
});

describe("the provider under the dynamic-provider server", () => {
  /**
   * The engine starts one provider process per `pulumi up` or `pulumi destroy`, and it serves every
   * dynamic resource of that run, each request carrying its provider in `__provider`. The delete
   * keeps no state of its own but what the same process created or updated (a rename: see the
   * provider) and the environment, so the tests share two processes: `up` creates every test's
   * resource (each against its own fake API server, so under its own kubectl flags), and `destroy`,
   * which never creates anything, deletes them with the default environment. A test that needs
   * another environment, or ends its process, starts its own.
   */
  let up: ProviderHost;
  let destroy: ProviderHost;
  /** The process whose report the test reads, and where its lines start. */
  let host: ProviderHost;
  let from = 0;
  let own: ProviderHost | undefined;
  let api: FakeKubeApi;
  let scratch: string;
  const environment = (env: NodeJS.ProcessEnv = {}) => ({ ...process.env, [SKIP_STOP_VARIABLE]: "", ...env });
  const startedHost = async (env?: NodeJS.ProcessEnv) => {
    const started = await startProviderHost(environment(env));
    await started.configure({ "jupyterhub-pulumi:hub": "{}" });
    return started;
  };
  const reading = (which: ProviderHost) => {
    host = which;
    from = which.stderr.length;
  };
  beforeAll(async () => {
    [up, destroy] = await Promise.all([startedHost(), startedHost()]);
  });
  afterAll(async () => {
    await Promise.all([up?.close(), destroy?.close()]);
  });
  beforeEach(async () => {
    api = await startFakeKubeApi();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "shutdown-"));
    reading(up);
  });
  afterEach(async () => {
    await own?.close();
    own = undefined;
    await api.close();
    fs.rmSync(scratch, { recursive: true, force: true });
    // What the shared processes wrote for this test has arrived before the next test reads theirs
    // (their lines are written before each answer; see reported()).
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  /** A stand-in for the hub's stop-all: stops each server through the API as KubeSpawner does, then answers as stop-all. */
  const hubStopAll = (behaviour: "stops" | "fails" | "hangs") => {
    const script = path.join(scratch, "stop-all.cjs");
    fs.writeFileSync(
      script,
      `
      const http = require("http");
      const [api, namespace] = process.argv.slice(2);
      const call = (method, p) => new Promise((resolve) => http.request(api + p, { method }, (res) => { let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => resolve(JSON.parse(b))); }).end());
      (async () => {
        if (${JSON.stringify(behaviour)} === "hangs") { require("fs").writeFileSync(${JSON.stringify(path.join(scratch, "pid"))}, String(process.pid)); setInterval(() => {}, 1000); return; }
        if (${JSON.stringify(behaviour)} === "fails") { console.error("could not stop every server through the hub: HTTP 503 from GET /users?state=active"); process.exit(1); }
        const list = await call("GET", "/api/v1/namespaces/" + namespace + "/pods?labelSelector=component%3Dsingleuser-server");
        for (const pod of list.items) await call("DELETE", "/api/v1/namespaces/" + namespace + "/pods/" + pod.metadata.name);
        console.log("stopped " + list.items.length + " server(s): " + list.items.map((p) => p.metadata.labels["hub.jupyter.org/username"]).join(", "));
      })();`,
    );
    return [process.execPath, script, api.url, "lab"];
  };
  const inputs = (command: string[] = hubStopAll("stops"), kubectl = [layerBinary("kubectl"), ...api.kubectlFlags]) => ({
    __provider: providerSource("serverShutdown.cjs"),
    kubectl,
    namespace: "lab",
    releaseName: "jupyterhub",
    command,
    timeoutSeconds: 5,
  });
  /** What was asked of the cluster's objects (kubectl's discovery requests aside). */
  const asked = () => api.requests.filter((r) => r.includes("/namespaces/")).map((r) => r.replace(/[?&](limit=500|timeout=20s)/g, "").replace(/^([^?]*)&/, "$1?"));
  /** What the process the test reads reported since the test began. */
  const said = () =>
    host.stderr
      .slice(from)
      .filter((line) => line.startsWith("jupyterhub servers: "))
      .map((line) => line.slice("jupyterhub servers: ".length));
  /**
   * said() once the provider's report has arrived. The provider writes it (synchronously, a pipe
   * on Linux) before it answers, but this process may handle the answer before the pipe's data:
   * a turn of the event loop takes it in, and under load it is waited for.
   */
  const reported = async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (const deadline = Date.now() + 5000; said().length === 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    return said();
  };
  /**
   * A `pulumi up` that creates the resource, then a `pulumi destroy`: another engine run, so
   * another provider process (the shared one, or one of the test's own with `env`), which deletes
   * it with the outputs the state kept.
   */
  const upThenDestroy = async (props: ReturnType<typeof inputs>, env?: NodeJS.ProcessEnv) => {
    const created = await up.create(URN, (await up.check(URN, {}, props)).inputs);
    if (env) own = await startedHost(env);
    reading(own ?? destroy);
    return { created, destroying: host.delete(URN, created.id, created.properties) };
  };
  const createThenDestroy = async (props: ReturnType<typeof inputs>, env?: NodeJS.ProcessEnv) => {
    await (await upThenDestroy(props, env)).destroying;
    return reported();
  };

  it("succeeds and says so when the namespace is gone", async () => {
    expect(await createThenDestroy(inputs())).toEqual(["No servers to stop: namespace lab does not exist."]);
    expect(asked()).toEqual([`GET /api/v1/namespaces/lab/pods?labelSelector=${encodeURIComponent(serverSelector("jupyterhub"))}`, "GET /api/v1/namespaces/lab"]);
  });

  it("succeeds and says so when the release is gone and no server runs", async () => {
    api.namespaces.add("lab");
    api.pods.set("lab", [server("carol", "other-hub")]);
    expect(await createThenDestroy(inputs())).toEqual(["No servers to stop: no user server runs in lab."]);
    expect(api.pods.get("lab")).toHaveLength(1); // another release's server is not ours
  });

  it("stops the servers through the hub when it runs, streaming what happens", async () => {
    api.namespaces.add("lab");
    // The pods terminate (their containers exit) once the provider has reported them still running after the hub's stop.
    api.graceMs = Infinity;
    api.pods.set("lab", [hubPod(true), server("ada"), server("bob")]);
    const { destroying } = await upThenDestroy(inputs());
    let settled = false;
    destroying.then(
      () => (settled = true),
      () => (settled = true),
    );
    const seenTerminating = () => {
      const lines = said();
      const stopped = lines.indexOf("hub: stopped 2 server(s): ada, bob");
      return stopped >= 0 && lines.slice(stopped + 1).some((line) => line.startsWith("2 server pod(s) still running"));
    };
    while (!settled && !seenTerminating()) await new Promise((resolve) => setTimeout(resolve, 20));
    api.endTerminating();
    await destroying;
    const lines = await reported();
    expect(lines[0]).toBe("stopping 2 server(s) in lab: jupyter-ada, jupyter-bob");
    expect(lines).toContain("stopping them through the hub, which revokes each server's Vault token");
    expect(lines).toContain("hub: stopped 2 server(s): ada, bob");
    expect(lines).toContain("2 server pod(s) still running: jupyter-ada, jupyter-bob");
    expect(lines.at(-2)).toBe("no server pod is left");
    expect(lines.at(-1)).toBe("Stopped the users' servers through the hub (stopped 2 server(s): ada, bob); their Vault tokens were revoked.");
    expect(api.pods.get("lab")!.map((p) => p.name)).toEqual([hubPod(true).name]);
  });

  it.each([
    ["the hub is not running (no ready hub pod)", [hubPod(false)], "stops"],
    ["the hub could not stop them (could not stop every server through the hub: HTTP 503 from GET /users?state=active)", [hubPod(true)], "fails"],
  ] as const)("deletes the server pods by KubeSpawner's labels when %s", async (why, hub, behaviour) => {
    api.namespaces.add("lab");
    api.pods.set("lab", [...hub, server("ada"), server("carol", "other-hub")]);
    const lines = await createThenDestroy(inputs(hubStopAll(behaviour)));
    expect(lines).toContain(`${why}; deleting the server pods by KubeSpawner's labels`);
    expect(lines.at(-1)).toBe(
      `Stopped 1 server(s) by deleting their pods (${serverSelector("jupyterhub")}), since ${why}. ` +
        "Their Vault tokens were not revoked: each runs out at its TTL (jupyterhub:vault userTokens.ttl).",
    );
    expect(api.pods.get("lab")!.map((p) => p.name).sort()).toEqual([hub[0].name, "jupyter-carol"]);
    expect(asked().filter((r) => r.startsWith("DELETE"))).toEqual(["DELETE /api/v1/namespaces/lab/pods/jupyter-ada"]);
  });

  it("fails when the cluster cannot be reached, keeping itself in the state and naming what finishes the destroy", async () => {
    const unreachable = [layerBinary("kubectl"), "--server", "http://127.0.0.1:9", "--request-timeout=5s"];
    const { destroying } = await upThenDestroy(inputs(hubStopAll("stops"), unreachable));
    // A failed Delete keeps the resource in the state: the next destroy can still stop the servers.
    const error = await destroying.then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/The cluster could not be reached \(.*127\.0\.0\.1:9.*refused.*\), so the users' servers in lab were not stopped/);
    expect(error?.message).toContain("If the cluster comes back, run `pulumi destroy` again");
    expect(error?.message).toContain(`finish with \`${DELETE_UNREACHABLE_VARIABLE}=true pulumi destroy --refresh\``);
    expect(error?.message).toContain(`kubectl -n lab delete pods -l ${serverSelector("jupyterhub")}`);
  });

  it("completes on an unreachable cluster when the Kubernetes provider is told it is gone", async () => {
    const unreachable = [layerBinary("kubectl"), "--server", "http://127.0.0.1:9", "--request-timeout=5s"];
    const lines = await createThenDestroy(inputs(hubStopAll("stops"), unreachable), { [DELETE_UNREACHABLE_VARIABLE]: "true" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${DELETE_UNREACHABLE_VARIABLE}=true: the cluster is taken as gone\\. The cluster could not be reached`));
  });

  it("fails without kubectl, saying how to stop the servers or skip stopping them", async () => {
    const { destroying } = await upThenDestroy(inputs(hubStopAll("stops"), [path.join(scratch, "no-kubectl")]));
    const error = await destroying.then(() => undefined, (e: Error) => e);
    expect(error?.message).toContain(
      `${path.join(scratch, "no-kubectl")} was not found, so the users' servers were not stopped. Run \`pulumi destroy\` again once that is mended, or set ${SKIP_STOP_VARIABLE}=1 to destroy without stopping them. Or stop them by hand: kubectl -n lab delete pods -l ${serverSelector("jupyterhub")}.`,
    );
  });

  it("leaves the servers alone when told to", async () => {
    api.namespaces.add("lab");
    api.pods.set("lab", [server("ada")]);
    expect(await createThenDestroy(inputs(), { [SKIP_STOP_VARIABLE]: "1" })).toEqual([`${SKIP_STOP_VARIABLE} is set: the users' servers in lab were left as they are`]);
    expect(api.requests).toEqual([]);
  });

  it("stops nothing when the resource is renamed or re-parented without an alias, and is never replaced", async () => {
    api.namespaces.add("lab");
    api.pods.set("lab", [hubPod(true), server("ada")]);
    const props = inputs();
    const old = await host.create(URN, (await host.check(URN, {}, props)).inputs);
    // The next `pulumi up` under a new name: the engine creates the new one during the program's
    // run, and deletes the old one after it, in the same provider process.
    const renamed = await host.create(RENAMED, (await host.check(RENAMED, {}, props)).inputs);
    await host.delete(URN, old.id, old.properties);
    expect(await reported()).toEqual(["this update moved the shutdown of lab's servers to a new name or parent; no server was stopped"]);
    expect(asked()).toEqual([]);
    expect(api.pods.get("lab")).toHaveLength(2);
    expect((await host.diff(RENAMED, renamed.id, renamed.properties, { ...props, timeoutSeconds: 9 })).replaces).toEqual([]);
  });

  it("keeps answering while servers stop, and ends with its process group when the engine terminates it", async () => {
    api.namespaces.add("lab");
    api.pods.set("lab", [hubPod(true), server("ada")]);
    const props = inputs(hubStopAll("hangs"));
    const deleting = (await upThenDestroy(props, {})).destroying.catch((error: Error) => error);
    const pidFile = path.join(scratch, "pid");
    while (!fs.existsSync(pidFile)) await new Promise((resolve) => setTimeout(resolve, 100));
    // Ctrl-C: the engine's Cancel, and other resources' calls, are answered while the stop runs.
    const started = Date.now();
    await host.cancel();
    await host.check("urn:pulumi:homelab::jupyterhub-pulumi::pulumi-nodejs:dynamic/lifecycle:ServerShutdown::other", {}, props);
    expect(Date.now() - started).toBeLessThan(2000);
    while (!said().some((line) => line.startsWith("1 server pod(s) still running"))) await new Promise((resolve) => setTimeout(resolve, 100));
    // A second Ctrl-C: the engine kills the plugin's process group, the hung stop with it.
    const stopPid = Number(fs.readFileSync(pidFile, "utf8"));
    await host.close();
    expect(await deleting).toBeInstanceOf(Error);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Gone, or a zombie waiting for whoever inherited it to reap it: either way no longer running.
    const stat = `/proc/${stopPid}/stat`;
    expect(fs.existsSync(stat) ? fs.readFileSync(stat, "utf8").split(") ")[1][0] : "gone").toMatch(/^(gone|Z)$/);
  });
});
