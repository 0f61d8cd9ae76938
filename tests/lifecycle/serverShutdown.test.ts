// `pulumi destroy` stops every server through the hub before the release goes: the command, and
// the provider's delete as the dynamic provider host calls it (with stand-in commands).
import { provider as shutdownProvider, SKIP_STOP_VARIABLE, stopFailureMessage } from "../../components/lifecycle/providers/serverShutdown.cjs";
import { kubectlCommand, stopServersCommand } from "../../components/lifecycle/lifecycleValues";
import { parseSettings } from "../../settings/parseSettings";
import { minimalConfig } from "../fixtures/configs";

it("runs stop-all in the hub's container, on the stack's cluster", () => {
  const settings = parseSettings({ ...minimalConfig(), hub: { host: "hub.example.test", namespace: "lab" }, cluster: { context: "homelab", kubeconfig: "/k/config" } });
  expect(stopServersCommand(settings)).toEqual([
    "kubectl",
    "--context",
    "homelab",
    "--kubeconfig",
    "/k/config",
    "--namespace",
    "lab",
    "exec",
    "deploy/hub",
    "--container",
    "hub",
    "--",
    "python3",
    "/usr/local/etc/jupyterhub-pulumi/user_lifecycle.py",
    "stop-all",
    "--timeout",
    "600",
  ]);
  expect(kubectlCommand({})).toEqual(["kubectl"]);
});

describe("the provider", () => {
  const inputs = (command: string[]) => ({ command, namespace: "lab", timeoutSeconds: 5 });
  afterEach(() => delete process.env[SKIP_STOP_VARIABLE]);

  it("stops the servers when it is deleted, and only then", async () => {
    await expect(shutdownProvider.create(inputs(["false"]))).resolves.toEqual({ id: "stop-servers-on-delete", outs: inputs(["false"]) });
    await expect(shutdownProvider.update("x", inputs(["false"]), inputs(["true"]))).resolves.toEqual({ outs: inputs(["true"]) });
    await expect(shutdownProvider.delete("x", inputs([process.execPath, "-e", "process.exit(0)"]))).resolves.toBeUndefined();
  });

  it("is never replaced: a replacement would stop everyone's servers", async () => {
    expect(await shutdownProvider.diff("x", inputs(["a"]), inputs(["b"]))).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("stops the destroy, saying what went wrong and the way out, when the servers could not be stopped", async () => {
    const failing = [process.execPath, "-e", "console.error('could not stop every server through the hub: servers of ada were still running after 600s'); process.exit(1)"];
    await expect(shutdownProvider.delete("x", inputs(failing))).rejects.toThrow(
      stopFailureMessage("lab", "could not stop every server through the hub: servers of ada were still running after 600s"),
    );
    await expect(shutdownProvider.delete("x", inputs(["/no/such/kubectl"]))).rejects.toThrow(/ENOENT/);
    process.env[SKIP_STOP_VARIABLE] = "1";
    await expect(shutdownProvider.delete("x", inputs(failing))).resolves.toBeUndefined();
  });

  it("says how to go on without the hub", () => {
    expect(stopFailureMessage("lab", "Error from server (NotFound): deployments.apps \"hub\" not found\n")).toBe(
      "could not stop the users' servers through the hub before uninstalling it (Error from server (NotFound): deployments.apps \"hub\" not found). " +
        "Nothing was deleted. Fix what the message says and run `pulumi destroy` again, or, if the hub cannot come back, " +
        "stop the servers yourself (kubectl -n lab delete pods -l component=singleuser-server) and run " +
        "`JUPYTERHUB_DESTROY_WITHOUT_STOPPING_SERVERS=1 pulumi destroy`.",
    );
  });
});
