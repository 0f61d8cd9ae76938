// @ts-check
// The server shutdown's dynamic provider (ServerShutdown.ts), as the plain CommonJS module that
// Pulumi's dynamic provider host loads from the resource's `__provider` input
// (@pulumi/pulumi cmd/dynamic-provider: requireFromString(__provider).handler()). The state keeps
// this text, so a plain `pulumi destroy` (which does not run the program) runs the delete below.
//
// delete: stops the users' servers before the hub's release goes, as well as the cluster allows:
// - no server pod (namespace gone, release gone, nothing running): nothing to do;
// - a ready hub: user_lifecycle.py stop-all in its container, which stops each server through
//   the hub, so that each server's stop hook revokes its Vault token;
// - no ready hub, or the stop through it failed: the server pods are deleted by KubeSpawner's
//   labels; their Vault tokens run out at their TTL;
// - the servers cannot be stopped (the cluster does not answer, no kubectl, no permission): the
//   delete fails, naming what to do, so that the resource stays in the state and the next
//   destroy tries again; with PULUMI_K8S_DELETE_UNREACHABLE=true an unreachable cluster is taken
//   as gone, and JUPYTERHUB_DESTROY_WITHOUT_STOPPING_SERVERS=1 skips the stop.
// Every step is bounded and runs asynchronously: the provider host is one process for every
// dynamic resource, and a blocking call would hold its other calls (and Ctrl-C) behind it.
// What it does streams to stderr, which the engine shows as it comes (pkg/resource/plugin/
// plugin.go, runtrace: a dynamic provider's stderr lines become diagnostics).
"use strict";

/**
 * @typedef {{ kubectl: string[], namespace: string, releaseName: string, command: string[], timeoutSeconds: number, __provider?: string }} ShutdownInputs
 * @typedef {{ code: number | null, stdout: string, stderr: string, error?: Error & { code?: string }, timedOut: boolean }} RunResult
 * @typedef {(argv: string[], options: { timeoutMs: number, onLine?: (line: string) => void }) => Promise<RunResult>} Runner
 * @typedef {{ metadata: { name: string, labels?: Record<string, string> }, status?: { phase?: string, containerStatuses?: { name: string, ready?: boolean }[] } }} Pod
 */

/** Set in `pulumi destroy`'s environment to skip stopping the servers altogether. */
const SKIP_STOP_VARIABLE = "JUPYTERHUB_DESTROY_WITHOUT_STOPPING_SERVERS";
/** pulumi-kubernetes forgets, rather than fails on, objects of an unreachable cluster (provider/pkg/provider/provider.go). */
const DELETE_UNREACHABLE_VARIABLE = "PULUMI_K8S_DELETE_UNREACHABLE";
/** How long one kubectl get or delete may take. */
const REQUEST_TIMEOUT_SECONDS = 20;
/** How often the server pods are counted while they stop, and how long deleted pods are waited for. */
const POLL_MS = 2000;
const DELETED_PODS_WAIT_SECONDS = 120;
/** Resources created or updated by this provider process: see `delete`. */
const DECLARED = Symbol.for("jupyterhub-pulumi/server-shutdown/declared");

/**
 * KubeSpawner's own labels on the server pods of this release: component (what KubeSpawner's pod
 * reflector selects on, spawner.py _start_watching_pods), managed-by from its common_labels, and
 * the release the Z2JH chart adds to them (jupyterhub_config.py, common_labels).
 * @param {string} releaseName
 */
function serverSelector(releaseName) {
  return `component=singleuser-server,app.kubernetes.io/managed-by=kubespawner,app.kubernetes.io/instance=${releaseName}`;
}

/** The hub pod of this release (the chart's jupyterhub.matchLabelsModern). @param {string} releaseName */
function hubSelector(releaseName) {
  return `app.kubernetes.io/component=hub,app.kubernetes.io/instance=${releaseName}`;
}

/** @param {ShutdownInputs} props */
const hubKey = (props) => JSON.stringify([props.kubectl, props.namespace, props.releaseName]);

/** @returns {Set<string>} */
function declared() {
  const registry = /** @type {Record<symbol, Set<string>>} */ (/** @type {unknown} */ (globalThis));
  return (registry[DECLARED] = registry[DECLARED] || new Set());
}

/** Runs a command without blocking the provider host; kills it after the timeout. @type {Runner} */
function run(argv, options) {
  const { spawn } = require("child_process");
  return new Promise((resolve) => {
    const [command, ...args] = argv;
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    let partial = "";
    const lines = (/** @type {string} */ chunk) => {
      if (!options.onLine) return;
      const text = partial + chunk;
      const complete = text.split("\n");
      partial = complete.pop() || "";
      for (const line of complete) if (line.trim()) options.onLine(line.trim());
    };
    child.stdout.setEncoding("utf8").on("data", (chunk) => ((stdout += chunk), lines(chunk)));
    child.stderr.setEncoding("utf8").on("data", (chunk) => ((stderr += chunk), lines(chunk)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    }, options.timeoutMs);
    /** @type {(Error & { code?: string }) | undefined} */
    let failure;
    child.on("error", (error) => (failure = error));
    child.on("close", (code) => {
      clearTimeout(timer);
      if (partial.trim() && options.onLine) options.onLine(partial.trim());
      resolve({ code, stdout, stderr, timedOut, ...(failure ? { error: failure } : {}) });
    });
  });
}

/** The gist of a failed kubectl run, for messages. @param {RunResult} result */
function failureText(result) {
  if (result.error) return result.error.message;
  if (result.timedOut) return "no answer in time";
  const text = `${result.stderr}\n${result.stdout}`.trim().split("\n").filter(Boolean).slice(-3).join(" / ");
  return text || `exit code ${result.code}`;
}

/**
 * Whether kubectl reached an API server that answered, from what it printed: the API server's
 * errors read "Error from server (Reason): …" (kubectl's cmd/util/helpers.go), an expired login
 * "You must be logged in to the server"; anything else (refused, DNS, TLS, timeouts, a context
 * missing from the kubeconfig, no kubectl) did not reach it.
 * @param {RunResult} result
 */
const reachedServer = (result) => !result.error && !result.timedOut && /Error from server|must be logged in to the server/.test(result.stderr);

/** @param {ShutdownInputs} props @param {string} what */
function manualStop(props, what) {
  return `${what}: kubectl -n ${props.namespace} delete pods -l ${serverSelector(props.releaseName)}`;
}

/**
 * The servers could not be stopped: the Delete fails, so the engine keeps this resource in the
 * state and a later `pulumi destroy` tries again. Succeeding instead would drop it from the state
 * for good, and the chart's hub leaves servers running (cleanup_servers = False), with their
 * Vault tokens live, however often the destroy is run again.
 * @param {ShutdownInputs} props @param {string} what
 */
function notStopped(props, what) {
  return new Error(
    `${what} Run \`pulumi destroy\` again once that is mended, or set ${SKIP_STOP_VARIABLE}=1 to destroy without stopping them. ${manualStop(props, "Or stop them by hand")}.`,
  );
}

/** @param {ShutdownInputs} props @param {string} why */
function unreachableMessage(props, why) {
  return [
    `The cluster could not be reached (${why}), so the users' servers in ${props.namespace} were not stopped, and nothing in the cluster can be deleted by this destroy.`,
    `If the cluster comes back, run \`pulumi destroy\` again. If it is gone for good, finish with \`${DELETE_UNREACHABLE_VARIABLE}=true pulumi destroy --refresh\`:`,
    "with that variable this step takes the cluster as gone, and the Kubernetes provider removes the objects of an unreachable cluster from the state instead of failing;",
    "--refresh is needed because its delete still refuses a Helm release on an unreachable cluster while its refresh removes it;",
    "what lives outside the cluster (Keycloak, Vault) is deleted once the hub's release is gone from the state.",
    `${manualStop(props, "Servers left running can be stopped by hand")}.`,
  ].join(" ");
}

/**
 * The unreachable cluster: taken as gone where the Kubernetes provider is told so too, else the Delete fails.
 * @param {ShutdownInputs} props @param {string} why @returns {string}
 */
function unreachable(props, why) {
  const message = unreachableMessage(props, why);
  if (process.env[DELETE_UNREACHABLE_VARIABLE] === "true") return `${DELETE_UNREACHABLE_VARIABLE}=true: the cluster is taken as gone. ${message}`;
  throw new Error(message); // as notStopped: the Delete fails, so a later destroy tries again
}

/**
 * Lists the server pods (or the hub's): the pods, or why not.
 * @param {Runner} runner @param {ShutdownInputs} props @param {string} selector
 * @returns {Promise<{ pods: Pod[] } | { failed: RunResult }>}
 */
async function listPods(runner, props, selector) {
  const argv = [...props.kubectl, "--namespace", props.namespace, "get", "pods", "-l", selector, "--output", "json", `--request-timeout=${REQUEST_TIMEOUT_SECONDS}s`];
  const result = await runner(argv, { timeoutMs: (REQUEST_TIMEOUT_SECONDS + 10) * 1000 });
  if (result.error || result.code !== 0) return { failed: result };
  try {
    return { pods: JSON.parse(result.stdout).items || [] };
  } catch {
    return { failed: { ...result, stderr: `kubectl printed no pod list: ${result.stdout.slice(0, 200)}` } };
  }
}

const podNames = (/** @type {Pod[]} */ pods) => pods.map((pod) => pod.metadata.name).sort();

/** @param {Pod} pod */
const readyHub = (pod) => pod.status?.phase === "Running" && (pod.status.containerStatuses || []).some((c) => c.name === "hub" && c.ready);

/**
 * Waits until no server pod is left, reporting each change, until the deadline. Returns those left.
 * @param {Runner} runner @param {ShutdownInputs} props @param {(line: string) => void} report
 * @param {number} deadline Date.now() based @param {() => boolean} [stopWhen] ends the wait early
 * @param {Promise<unknown>} [wakeOn] ends a pause between two counts when it settles (then stopWhen decides)
 */
async function watchServers(runner, props, report, deadline, stopWhen = () => false, wakeOn) {
  let last = "";
  let left = /** @type {string[]} */ ([]);
  while (!stopWhen()) {
    const listed = await listPods(runner, props, serverSelector(props.releaseName));
    if ("pods" in listed) {
      left = podNames(listed.pods);
      const now = left.length ? `${left.length} server pod(s) still running: ${left.join(", ")}` : "no server pod is left";
      if (now !== last) report(now);
      last = now;
      if (left.length === 0) return left;
    }
    if (Date.now() >= deadline || stopWhen()) break;
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, POLL_MS);
      const wake = () => (clearTimeout(timer), resolve(undefined));
      if (wakeOn) wakeOn.then(wake, wake);
    });
  }
  return left;
}

/**
 * Stops every server of the release as well as the cluster allows. Returns the one message that
 * says what was done; `report` gets the progress on the way.
 * @param {ShutdownInputs} props @param {(line: string) => void} report @param {Runner} [runner]
 * @returns {Promise<string>}
 */
async function stopServers(props, report, runner = run) {
  const servers = await listPods(runner, props, serverSelector(props.releaseName));
  if ("failed" in servers) {
    if (servers.failed.error && servers.failed.error.code === "ENOENT") {
      throw notStopped(props, `${props.kubectl[0]} was not found, so the users' servers were not stopped.`);
    }
    if (!reachedServer(servers.failed)) return unreachable(props, failureText(servers.failed));
    throw notStopped(props, `Could not list the users' servers (${failureText(servers.failed)}); they were not stopped.`);
  }
  if (servers.pods.length === 0) {
    const namespace = await runner([...props.kubectl, "get", "namespace", props.namespace, "--output", "name", `--request-timeout=${REQUEST_TIMEOUT_SECONDS}s`], {
      timeoutMs: (REQUEST_TIMEOUT_SECONDS + 10) * 1000,
    });
    const gone = namespace.code !== 0 && /\(NotFound\)/.test(namespace.stderr);
    return gone ? `No servers to stop: namespace ${props.namespace} does not exist.` : `No servers to stop: no user server runs in ${props.namespace}.`;
  }
  report(`stopping ${servers.pods.length} server(s) in ${props.namespace}: ${podNames(servers.pods).join(", ")}`);

  const hub = await listPods(runner, props, hubSelector(props.releaseName));
  let why = "the hub is not running (no ready hub pod)";
  if ("pods" in hub && hub.pods.some(readyHub)) {
    report("stopping them through the hub, which revokes each server's Vault token");
    let finished = false;
    const exec = runner(props.command, { timeoutMs: (props.timeoutSeconds + 60) * 1000, onLine: (line) => report(`hub: ${line}`) }).finally(() => (finished = true));
    // Counting until the stop through the hub ends, and not a pause longer.
    await watchServers(runner, props, report, Date.now() + (props.timeoutSeconds + 60) * 1000, () => finished, exec);
    const result = await exec;
    if (!result.error && result.code === 0) {
      const left = await watchServers(runner, props, report, Date.now() + DELETED_PODS_WAIT_SECONDS * 1000);
      const said = result.stdout.trim().split("\n").filter(Boolean).pop() || "done";
      return `Stopped the users' servers through the hub (${said}); their Vault tokens were revoked.${left.length ? ` Pods still terminating: ${left.join(", ")}.` : ""}`;
    }
    why = `the hub could not stop them (${failureText(result)})`;
  } else if ("failed" in hub) {
    why = `the hub's pod could not be read (${failureText(hub.failed)})`;
  }

  report(`${why}; deleting the server pods by KubeSpawner's labels`);
  const selector = serverSelector(props.releaseName);
  const deleted = await runner(
    [...props.kubectl, "--namespace", props.namespace, "delete", "pods", "-l", selector, "--wait=false", "--ignore-not-found", `--request-timeout=${REQUEST_TIMEOUT_SECONDS}s`],
    { timeoutMs: (REQUEST_TIMEOUT_SECONDS + 10) * 1000 },
  );
  if (deleted.error || deleted.code !== 0) {
    if (!reachedServer(deleted)) return unreachable(props, failureText(deleted));
    throw notStopped(props, `${why}, and deleting the server pods failed (${failureText(deleted)}); they were not stopped.`);
  }
  const left = await watchServers(runner, props, report, Date.now() + DELETED_PODS_WAIT_SECONDS * 1000);
  return [
    `Stopped ${servers.pods.length} server(s) by deleting their pods (${selector}), since ${why}.`,
    "Their Vault tokens were not revoked: each runs out at its TTL (jupyterhub:vault userTokens.ttl).",
    left.length ? `Pods still terminating: ${left.join(", ")}.` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

/** @param {string} line */
function report(line) {
  process.stderr.write(`jupyterhub servers: ${line}\n`);
}

const provider = {
  /** @param {ShutdownInputs} inputs */
  async create(inputs) {
    declared().add(hubKey(inputs));
    return { id: "stop-servers-on-delete", outs: inputs };
  },
  // Never replaced: a replacement would delete, which stops everyone's servers.
  /** @param {string} _id @param {ShutdownInputs} olds @param {ShutdownInputs} news */
  async diff(_id, olds, news) {
    // __provider too: the state keeps this file's text, which the delete at destroy runs.
    const keys = /** @type {const} */ (["kubectl", "namespace", "releaseName", "command", "timeoutSeconds", "__provider"]);
    return { changes: keys.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])), replaces: [], deleteBeforeReplace: false };
  },
  /** @param {string} _id @param {ShutdownInputs} _olds @param {ShutdownInputs} news */
  async update(_id, _olds, news) {
    declared().add(hubKey(news));
    return { outs: news };
  },
  /**
   * A rename or re-parent without an alias is, to the engine, a create of the new resource during
   * the program's run and a delete of the old one after it, in this same provider process (one
   * default pulumi-nodejs provider for both): a delete of a hub that this process has just created
   * or updated a shutdown for is such a move, and stops nothing. A destroy creates nothing.
   * @param {string} _id @param {ShutdownInputs} props
   */
  async delete(_id, props) {
    if (declared().has(hubKey(props))) {
      report(`this update moved the shutdown of ${props.namespace}'s servers to a new name or parent; no server was stopped`);
      return;
    }
    if (process.env[SKIP_STOP_VARIABLE]) {
      report(`${SKIP_STOP_VARIABLE} is set: the users' servers in ${props.namespace} were left as they are`);
      return;
    }
    report(await stopServers(props, report));
  },
};

module.exports = {
  handler: () => provider,
  provider,
  SKIP_STOP_VARIABLE,
  DELETE_UNREACHABLE_VARIABLE,
  serverSelector,
};
