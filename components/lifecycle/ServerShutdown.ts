import type * as pulumi from "@pulumi/pulumi";
import { LifecycleResource } from "./dynamicProvider";

export interface ServerShutdownArgs {
  /** kubectl and the flags that reach the stack's cluster (kubectlCommand). */
  readonly kubectl: readonly string[];
  readonly namespace: string;
  /** The hub's release: its server pods carry it as app.kubernetes.io/instance. */
  readonly releaseName: string;
  /** The command that stops every server through the hub (stopServersCommand). */
  readonly command: readonly string[];
  /** How long stopping through the hub may take before the pods are deleted instead. */
  readonly timeoutSeconds: number;
}

/**
 * Deleted before the hub's release (it depends on it), and its delete stops every user's server:
 * KubeSpawner's pods have no owner that goes with the release, and the chart sets
 * cleanup_servers = False, so `pulumi destroy` would otherwise leave them running in the kept
 * namespace, with live Vault tokens. Through the hub when it runs (each server's post-stop hook
 * revokes its Vault token), else by deleting the pods by KubeSpawner's labels, and says what it did
 * (providers/serverShutdown.cjs, kept in the state, so a plain `pulumi destroy` runs it). Where the
 * servers cannot be stopped its delete fails, so it stays in the state for the next destroy.
 * Renaming or re-parenting it stops nothing, with or without an alias (the provider's delete says
 * how); add the alias all the same, as for any resource.
 *
 * A dynamic provider rather than a resource hook: a beforeDelete hook runs only under
 * `pulumi destroy --run-program` (the engine refuses a destroy without it), and hooks cannot be
 * registered under the program's mocks (their monitor has no registerResourceHook); rather than a
 * Helm pre-delete hook, which would need a chart release of our own beside the Z2JH one.
 */
export class ServerShutdown extends LifecycleResource {
  constructor(name: string, args: ServerShutdownArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "ServerShutdown",
      name,
      "serverShutdown.cjs",
      { kubectl: [...args.kubectl], namespace: args.namespace, releaseName: args.releaseName, command: [...args.command], timeoutSeconds: args.timeoutSeconds },
      opts,
    );
  }
}
