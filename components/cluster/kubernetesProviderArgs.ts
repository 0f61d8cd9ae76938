import type * as k8s from "@pulumi/kubernetes";
import type { Settings } from "../../settings";

/**
 * Arguments of the stack's Kubernetes providers. Every provider the program makes is built from
 * these, so all resources land in the same cluster whatever the ambient kubeconfig says later.
 */
export function kubernetesProviderArgs(cluster: Settings["cluster"]): k8s.ProviderArgs {
  return {
    ...(cluster.context ? { context: cluster.context } : {}),
    ...(cluster.kubeconfig ? { kubeconfig: cluster.kubeconfig } : {}),
  };
}

/**
 * The provider for what `pulumi destroy` keeps (the namespace, the NFS homes volume and claim):
 * the next `pulumi up` adopts the kept object instead of failing with AlreadyExists. Only those
 * resources use it: a stack-wide upsert would let a rename without an alias create-then-delete
 * live objects.
 */
export function adoptingProviderArgs(cluster: Settings["cluster"]): k8s.ProviderArgs {
  return { ...kubernetesProviderArgs(cluster), upsertExistingObjects: true };
}
