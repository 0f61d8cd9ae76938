import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Settings } from "../../settings";
import { kubernetesProviderArgs } from "../cluster/kubernetesProviderArgs";

export interface HubNamespaceArgs {
  /** Name of the Kubernetes namespace. */
  readonly namespace: string;
  readonly cluster: Settings["cluster"];
  /** Let `pulumi destroy` delete the namespace and with it the users' home claims. */
  readonly deleteHomesOnDestroy: boolean;
}

/**
 * The hub's namespace. With dynamic storage the users' home claims live in it, so unless the
 * stack opts in to deleting homes, `pulumi destroy` leaves it (retainOnDelete) and the next
 * `pulumi up` adopts the kept namespace instead of failing with AlreadyExists.
 */
export class HubNamespace extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: HubNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:core:HubNamespace", name, {}, opts);

    // Adopting an existing object is limited to this provider, i.e. to the namespace: a
    // stack-wide upsert would let a rename without an alias create-then-delete live objects.
    const adoptingProvider = new k8s.Provider(
      `${name}-adopting`,
      { ...kubernetesProviderArgs(args.cluster), upsertExistingObjects: true },
      { parent: this },
    );
    const namespace = new k8s.core.v1.Namespace(
      name,
      { metadata: namespaceMetadata(args.namespace) },
      { parent: this, provider: adoptingProvider, retainOnDelete: !args.deleteHomesOnDestroy },
    );

    this.name = namespace.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}

export function namespaceMetadata(namespace: string): k8s.types.input.meta.v1.ObjectMeta {
  return {
    name: namespace,
    labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "jupyterhub" },
  };
}
