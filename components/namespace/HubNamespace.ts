import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface HubNamespaceArgs {
  /** Name of the Kubernetes namespace. */
  readonly namespace: string;
  /** Let `pulumi destroy` delete the namespace and with it the users' home claims. */
  readonly deleteHomesOnDestroy: boolean;
  /** A provider that adopts an object that already exists (see adoptingProviderArgs). */
  readonly adoptingProvider: k8s.Provider;
  /** Labels that mark the namespace as this stack's (components/lifecycle/ownership.ts). */
  readonly ownerLabels?: Readonly<Record<string, string>>;
  /** Refuses, before the namespace is adopted, one that exists without those labels (AdoptionGuard). */
  readonly adoptionGuard?: pulumi.Resource;
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

    const namespace = new k8s.core.v1.Namespace(
      name,
      { metadata: namespaceMetadata(args.namespace, args.ownerLabels) },
      {
        parent: this,
        provider: args.adoptingProvider,
        retainOnDelete: !args.deleteHomesOnDestroy,
        ...(args.adoptionGuard ? { dependsOn: [args.adoptionGuard] } : {}),
      },
    );

    this.name = namespace.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}

/**
 * Pod Security Admission for every pod in the hub's namespace. Enforced: baseline, which refuses
 * privileged containers, the node's namespaces and hostPath volumes, and capabilities outside its
 * short list, and admits the sudo profile (root, escalation, and capabilities all from that list:
 * components/hub/profileList.ts). Restricted would refuse the sudo profile and home-owner (root),
 * so it is only warned about (to whoever applies a pod or workload) and audited (in the API
 * server's audit log), which shows where the servers still stand apart from it. No version label:
 * the cluster's own version of each level applies.
 */
export const POD_SECURITY_LABELS = {
  "pod-security.kubernetes.io/enforce": "baseline",
  "pod-security.kubernetes.io/warn": "restricted",
  "pod-security.kubernetes.io/audit": "restricted",
} as const;

export function namespaceMetadata(namespace: string, ownerLabels: Readonly<Record<string, string>> = {}): k8s.types.input.meta.v1.ObjectMeta {
  return {
    name: namespace,
    labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "jupyterhub", ...ownerLabels, ...POD_SECURITY_LABELS },
  };
}
