import type * as pulumi from "@pulumi/pulumi";
import { LifecycleResource } from "./dynamicProvider";

export interface ServerShutdownArgs {
  /** The command that stops every server through the hub (stopServersCommand). */
  readonly command: readonly string[];
  readonly namespace: string;
  /** How long the command may take before `pulumi destroy` gives up on it. */
  readonly timeoutSeconds: number;
}

/**
 * Deleted before the hub's release (it depends on it), and its delete stops every user's server
 * through the hub: KubeSpawner's pods have no owner that goes with the release, and the chart sets
 * cleanup_servers = False, so `pulumi destroy` would otherwise leave them running in the kept
 * namespace, with live Vault tokens. Stopping them through the hub (not by deleting pods) runs
 * each server's post-stop hook, which revokes its Vault token. Its provider is
 * providers/serverShutdown.cjs, kept in the state, so a plain `pulumi destroy` runs it.
 *
 * A dynamic provider rather than a resource hook: a beforeDelete hook runs only under
 * `pulumi destroy --run-program` (the engine refuses a destroy without it), and hooks cannot be
 * registered under the program's mocks (their monitor has no registerResourceHook); rather than a
 * Helm pre-delete hook, which would need a chart release of our own beside the Z2JH one.
 */
export class ServerShutdown extends LifecycleResource {
  constructor(name: string, args: ServerShutdownArgs, opts?: pulumi.CustomResourceOptions) {
    super("ServerShutdown", name, "serverShutdown.cjs", { command: [...args.command], namespace: args.namespace, timeoutSeconds: args.timeoutSeconds }, opts);
  }
}
