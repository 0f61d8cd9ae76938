// @ts-check
// The server shutdown's dynamic provider (ServerShutdown.ts), as the plain CommonJS module that
// Pulumi's dynamic provider host loads from the resource's `__provider` input
// (@pulumi/pulumi cmd/dynamic-provider: requireFromString(__provider).handler()). The state keeps
// this text, so a plain `pulumi destroy` (which does not run the program) runs the delete below.
//
// delete: runs the command that stops every server through the hub (user_lifecycle.py
// stop-all in the hub's container) and fails the destroy, saying what to do, when it could not.
"use strict";

/** @typedef {{ command: string[], namespace: string, timeoutSeconds: number, __provider?: string }} ShutdownInputs */

/** Set in `pulumi destroy`'s environment to skip the stop, when the hub cannot come back. */
const SKIP_STOP_VARIABLE = "JUPYTERHUB_DESTROY_WITHOUT_STOPPING_SERVERS";

/** @param {string} namespace @param {string} output */
function stopFailureMessage(namespace, output) {
  const last = output.trim().split("\n").filter(Boolean).slice(-3).join(" / ");
  return [
    `could not stop the users' servers through the hub before uninstalling it (${last || "no output"}).`,
    "Nothing was deleted. Fix what the message says and run `pulumi destroy` again, or, if the hub cannot come back,",
    `stop the servers yourself (kubectl -n ${namespace} delete pods -l component=singleuser-server) and run`,
    `\`${SKIP_STOP_VARIABLE}=1 pulumi destroy\`.`,
  ].join(" ");
}

const provider = {
  /** @param {ShutdownInputs} inputs */
  async create(inputs) {
    return { id: "stop-servers-on-delete", outs: inputs };
  },
  // Never replaced: a replacement would delete, which stops everyone's servers.
  /** @param {string} _id @param {ShutdownInputs} olds @param {ShutdownInputs} news */
  async diff(_id, olds, news) {
    // __provider too: the state keeps this file's text, which the delete at destroy runs.
    const keys = /** @type {const} */ (["command", "namespace", "timeoutSeconds", "__provider"]);
    return { changes: keys.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k])), replaces: [], deleteBeforeReplace: false };
  },
  /** @param {string} _id @param {ShutdownInputs} _olds @param {ShutdownInputs} news */
  async update(_id, _olds, news) {
    return { outs: news };
  },
  /** @param {string} _id @param {ShutdownInputs} props */
  async delete(_id, props) {
    if (process.env[SKIP_STOP_VARIABLE]) return;
    const { spawnSync } = require("child_process");
    const [command, ...args] = props.command;
    const result = spawnSync(command, args, { encoding: "utf8", timeout: (props.timeoutSeconds + 60) * 1000 });
    if (result.error || result.status !== 0) {
      throw new Error(stopFailureMessage(props.namespace, result.error ? result.error.message : `${result.stderr || ""}\n${result.stdout || ""}`));
    }
  },
};

module.exports = { handler: () => provider, provider, SKIP_STOP_VARIABLE, stopFailureMessage };
