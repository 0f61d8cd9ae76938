// Reading the Kubernetes security settings a Zero to JupyterHub release hands KubeSpawner: pod
// and container security contexts, helper containers, host namespaces, volumes. KubeSpawner
// accepts the top-level keys of extra_pod_config and extra_container_config in camelCase or
// snake_case (hostPID or host_pid), so both are read; deeper keys are read both ways too, which
// costs nothing and never lets a spelling slip past a rule.
import { isObject, type JsonObject } from "./chartValues";

/**
 * Capabilities the Pod Security Standards' baseline level lets a container add
 * (https://kubernetes.io/docs/concepts/security/pod-security-standards/, "Capabilities"); a
 * namespace enforcing baseline refuses a pod that adds any other.
 */
export const PSA_BASELINE_CAPABILITIES: readonly string[] = [
  "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
  "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
];

/**
 * What a helper container (an init container or a sidecar) may add back after dropping ALL: fixing
 * ownership and modes of files, as components/storage/homeVolumes.ts's home-owner does for a new
 * NFS home (chown needs CHOWN, chmod of a file it does not own FOWNER, DAC_OVERRIDE to reach into
 * a directory it does not own). Nothing that changes users, signals others or touches the network.
 */
export const HELPER_CAPABILITIES: readonly string[] = ["CHOWN", "DAC_OVERRIDE", "FOWNER"];

/** `key` in camelCase or its snake_case spelling (runAsUser or run_as_user). */
export function pick(object: JsonObject, key: string): unknown {
  return object[key] ?? object[key.replace(/[A-Z]+/g, (upper) => `_${upper.toLowerCase()}`)];
}

/** `key` (either spelling) when it is an object, else an empty object. */
export function objectAt(object: JsonObject, key: string): JsonObject {
  const value = pick(object, key);
  return isObject(value) ? value : {};
}

/** A container's or pod's securityContext, or an empty object. */
export function securityContextOf(object: JsonObject): JsonObject {
  return objectAt(object, "securityContext");
}

/** Capability names as the runtime reads them: upper case, without a CAP_ prefix. */
export function capabilityNames(list: unknown): string[] {
  return Array.isArray(list) ? list.map((name) => String(name).toUpperCase().replace(/^CAP_/, "")) : [];
}

export function addedCapabilities(securityContext: JsonObject): string[] {
  return capabilityNames(objectAt(securityContext, "capabilities").add);
}

export function dropsAll(securityContext: JsonObject): boolean {
  return capabilityNames(objectAt(securityContext, "capabilities").drop).includes("ALL");
}

/** securityContext.seccompProfile.type, when set. */
export function seccompType(securityContext: JsonObject): string | undefined {
  const type = objectAt(securityContext, "seccompProfile").type;
  return typeof type === "string" ? type : undefined;
}

function containerName(container: JsonObject, index: number): string {
  return typeof container.name === "string" ? container.name : `#${index}`;
}

/**
 * What is wrong with a helper container that runs beside (or before) the notebook: it is never
 * privileged, never escalates (Kubernetes' default is to allow it, so it is set false
 * explicitly: a setuid binary in the image would otherwise be root), drops ALL capabilities and
 * adds back at most HELPER_CAPABILITIES, and never runs seccomp Unconfined. Root is allowed
 * within that: a root without capabilities can only fix file ownership. home-owner (root, CHOWN
 * and FOWNER) and ca-trust (uid 1000, nothing) are both of that kind.
 */
export function helperContainerProblems(containers: unknown, kind: string): string[] {
  if (containers === undefined || containers === null) return [];
  if (!Array.isArray(containers)) return [`${kind} is not a list of containers, so it cannot be checked`];
  return containers.flatMap((container, index) => {
    if (!isObject(container)) return [`${kind}[${index}] is not a container, so it cannot be checked`];
    const where = `${kind} ${containerName(container, index)}`;
    const context = securityContextOf(container);
    const problems: string[] = [];
    if (pick(context, "privileged") === true) problems.push(`${where} is privileged: it would own the node`);
    if (pick(context, "allowPrivilegeEscalation") !== false) problems.push(`${where} does not set allowPrivilegeEscalation: false`);
    if (!dropsAll(context)) problems.push(`${where} does not drop ALL capabilities, so it keeps the runtime's defaults`);
    const beyond = addedCapabilities(context).filter((name) => !HELPER_CAPABILITIES.includes(name));
    if (beyond.length > 0) problems.push(`${where} adds ${beyond.join(", ")}; a helper container may add back only ${HELPER_CAPABILITIES.join(", ")}`);
    if (seccompType(context) === "Unconfined") problems.push(`${where} runs seccomp Unconfined`);
    return problems;
  });
}

/** Names of the hostPath volumes in a list of volumes: the node's own files inside a server. */
export function hostPathVolumes(volumes: unknown): string[] {
  if (!Array.isArray(volumes)) return [];
  return volumes.flatMap((volume, index) => (isObject(volume) && pick(volume, "hostPath") !== undefined ? [containerName(volume, index)] : []));
}

/**
 * What an extra_pod_config (KubeSpawner merges it over the pod's spec, key by key) must not do,
 * for any server: share the node's PID, network or IPC namespace, run seccomp Unconfined, bring
 * containers that break the helper rule, or mount the node's files. Root at pod level is for
 * the caller to judge (a sudo profile may ask for it).
 */
export function podConfigProblems(podConfig: JsonObject, kind: string): string[] {
  const problems: string[] = [];
  for (const key of ["hostPID", "hostNetwork", "hostIPC"]) {
    if (pick(podConfig, key) === true) problems.push(`${kind}.${key} is true: the server would share the node's ${key.slice(4)} namespace`);
  }
  if (seccompType(securityContextOf(podConfig)) === "Unconfined") problems.push(`${kind}.securityContext runs seccomp Unconfined`);
  problems.push(...helperContainerProblems(pick(podConfig, "initContainers"), `${kind}.initContainers`));
  problems.push(...helperContainerProblems(pick(podConfig, "containers"), `${kind}.containers`));
  for (const name of hostPathVolumes(pick(podConfig, "volumes"))) problems.push(`${kind}.volumes ${name} is a hostPath: the node's files in the server`);
  return problems;
}
