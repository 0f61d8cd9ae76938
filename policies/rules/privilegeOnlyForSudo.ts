import type { ResourceValidationPolicy } from "@pulumi/policy";
import { HELM_RELEASE } from "../resourceTypes";
import { hasProfiles, isObject, releaseValues, serverOverrides, singleuserValues, type JsonObject } from "./chartValues";
import {
  addedCapabilities,
  dropsAll,
  helperContainerProblems,
  hostPathVolumes,
  objectAt,
  pick,
  podConfigProblems,
  PSA_BASELINE_CAPABILITIES,
  seccompType,
  securityContextOf,
} from "./podSecurity";

// The Jupyter Docker Stacks' start script grants sudo only when the container starts as root with
// GRANT_SUDO set to "yes" or "1", then drops to the notebook user; sudo is setuid, so it also
// needs privilege escalation. A profile that starts as root or allows escalation without asking
// for sudo gets the risk without the feature.
const GRANT_SUDO_VALUES = ["yes", "1"];

/**
 * The most a sudo profile's container may add back after dropping ALL: what start.sh, its start
 * hooks and sudo itself need as root (components/hub/profileList.ts says why each one), all within
 * the Pod Security baseline list, so a namespace enforcing baseline admits the server. Not
 * NET_RAW (outside baseline: raw packets on the pod network), MKNOD, NET_BIND_SERVICE, SETFCAP,
 * SETPCAP or FSETID: a runtime grants those by default, and nothing here needs them.
 */
export const SUDO_CAPABILITIES: readonly string[] = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID", "SYS_CHROOT"];

const RUNTIME_DEFAULT = "RuntimeDefault";

/**
 * Root and privilege escalation only where a profile asks for sudo, and no more than sudo needs:
 *
 * - A server override (profile or profile option) that starts as root (`uid: 0`, or
 *   `runAsUser: 0` in container_security_context, extra_container_config's securityContext,
 *   pod_security_context or extra_pod_config's securityContext), allows escalation
 *   (`allow_privilege_escalation` or `allowPrivilegeEscalation` there) or adds capabilities needs
 *   `environment.GRANT_SUDO: "yes"` beside them.
 * - Such a sudo override drops ALL capabilities, adds back at most SUDO_CAPABILITIES, and runs
 *   the RuntimeDefault seccomp profile (pod or container level).
 * - Nothing is ever privileged, shares the node's PID, network or IPC namespace, runs seccomp
 *   Unconfined or mounts a hostPath: not a profile, not the chart-wide defaults
 *   (`singleuser.*`, `hub.config.KubeSpawner`), not a helper container.
 * - Init and extra containers never escalate, drop ALL and add back at most CHOWN, DAC_OVERRIDE,
 *   FOWNER (podSecurity.ts); they may run as root within that, as home-owner does.
 * - The chart-wide defaults never start as root or allow escalation, and the chart's own
 *   privileged block-cloud-metadata init container is off for every server that would get it.
 */
export function privilegeOnlyForSudo(): ResourceValidationPolicy {
  return {
    name: "privilege-only-for-sudo",
    description:
      "Only profiles that ask for sudo (GRANT_SUDO) run as root, escalate or add capabilities, and then with capabilities dropped to what sudo needs and seccomp RuntimeDefault; nothing is privileged or shares the node's namespaces; helper containers never escalate.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== HELM_RELEASE) return;
      const values = releaseValues(args.props);
      if (!values) return;
      for (const problem of chartWideProblems(values)) reportViolation(problem);
      for (const { where, level, override, own } of serverOverrides(values)) {
        for (const problem of overrideProblems(override, level === "profile" ? override : own)) reportViolation(`${where}: ${problem}`);
      }
    },
  };
}

/** What the chart-wide defaults must never do: they apply to every server. */
function chartWideProblems(values: JsonObject): string[] {
  const singleuser = singleuserValues(values);
  const problems: string[] = [];
  if (singleuser.allowPrivilegeEscalation === true) {
    problems.push("singleuser.allowPrivilegeEscalation is true: every server could escalate; allow it only in sudo profiles");
  }
  if (singleuser.uid === 0) problems.push("singleuser.uid is 0: every server would start as root; start as root only in sudo profiles");
  const podConfig = objectAt(singleuser, "extraPodConfig");
  problems.push(...podConfigProblems(podConfig, "singleuser.extraPodConfig"));
  if (pick(securityContextOf(podConfig), "runAsUser") === 0) problems.push("singleuser.extraPodConfig.securityContext.runAsUser is 0: every server would start as root");
  problems.push(...helperContainerProblems(singleuser.initContainers, "singleuser.initContainers"));
  problems.push(...helperContainerProblems(singleuser.extraContainers, "singleuser.extraContainers"));
  const storage = isObject(singleuser.storage) ? singleuser.storage : {};
  for (const name of hostPathVolumes(storage.extraVolumes)) problems.push(`singleuser.storage.extraVolumes ${name} is a hostPath: the node's files in every server`);
  problems.push(...cloudMetadataProblems(values));
  // hub.config.KubeSpawner sets KubeSpawner's traits for every server, like a profile that
  // everyone gets and nobody chose: it may ask for nothing a sudo profile asks for.
  const hubConfig = isObject(values.hub) && isObject(values.hub.config) ? values.hub.config : {};
  if (isObject(hubConfig.KubeSpawner)) {
    const kubeSpawner = hubConfig.KubeSpawner;
    const asks = notebookAsks(kubeSpawner);
    if (asks.length > 0) problems.push(`hub.config.KubeSpawner: ${asks.join(" and ")} for every server; only sudo profiles may`);
    problems.push(...neverProblems(kubeSpawner, kubeSpawner).map((problem) => `hub.config.KubeSpawner: ${problem}`));
  }
  return problems;
}

/**
 * The chart's hub appends its block-cloud-metadata init container (privileged, root, NET_ADMIN:
 * files/hub/jupyterhub_config.py in Zero to JupyterHub 4) to KubeSpawner's init_containers unless
 * `singleuser.cloudMetadata.blockWithIptables` is false. A server whose override sets its own
 * init_containers (or initContainers in extra_pod_config) replaces that list, KubeSpawner
 * replacing lists; every other server gets the privileged container, which a namespace
 * enforcing Pod Security baseline refuses. The servers' NetworkPolicy closes the metadata address
 * instead (the chart's singleuser.networkPolicy.egressAllowRules.cloudMetadataServer is false).
 */
function cloudMetadataProblems(values: JsonObject): string[] {
  const singleuser = singleuserValues(values);
  const cloudMetadata = objectAt(singleuser, "cloudMetadata");
  if (cloudMetadata.blockWithIptables === false) {
    // Then the NetworkPolicy is what keeps the metadata address closed, so it must stay on.
    const networkPolicy = objectAt(singleuser, "networkPolicy");
    const opened = networkPolicy.enabled === false || objectAt(networkPolicy, "egressAllowRules").cloudMetadataServer === true;
    return opened
      ? ["singleuser.cloudMetadata.blockWithIptables is false and the servers' NetworkPolicy does not close the cloud metadata address (networkPolicy.enabled false or egressAllowRules.cloudMetadataServer true)"]
      : [];
  }
  const servers = hasProfiles(values)
    ? serverOverrides(values)
        .filter(({ level, override }) => level === "profile" && !setsInitContainers(override))
        .map(({ where }) => where)
    : ["the default server"];
  if (servers.length === 0) return [];
  return [
    `singleuser.cloudMetadata.blockWithIptables is not false, so the chart adds its privileged block-cloud-metadata init container to ${servers.join(", ")}; ` +
      "set it to false (the servers' NetworkPolicy keeps the cloud metadata address closed): Pod Security baseline refuses privileged containers",
  ];
}

function setsInitContainers(override: JsonObject): boolean {
  return Array.isArray(override.init_containers) || Array.isArray(pick(objectAt(override, "extra_pod_config"), "initContainers"));
}

/**
 * What one server override (a profile's, or a profile option's merged over it) gets wrong.
 * `own` is what this place sets itself: helper containers and pod config are checked where they
 * are written, not again for every choice that inherits them.
 */
function overrideProblems(override: JsonObject, own: JsonObject): string[] {
  const problems = neverProblems(override, own);
  const asks = notebookAsks(override);
  if (asks.length === 0) return problems;
  if (!grantsSudo(override.environment)) return [...problems, `${asks.join(" and ")} without environment.GRANT_SUDO: "yes"; only sudo profiles may`];
  return [...problems, ...sudoHardeningProblems(override)];
}

/**
 * The notebook container's security context as KubeSpawner 7 builds it: uid, privileged and
 * allow_privilege_escalation first, container_security_context over them key by key, and
 * extra_container_config's securityContext, when set, in place of all of it.
 */
function notebookSecurityContext(override: JsonObject): JsonObject {
  const fromExtra = securityContextOf(objectAt(override, "extra_container_config"));
  if (Object.keys(fromExtra).length > 0) return fromExtra;
  return {
    ...(override.uid !== undefined ? { runAsUser: override.uid } : {}),
    ...(override.privileged === true ? { privileged: true } : {}),
    ...(override.allow_privilege_escalation !== undefined ? { allowPrivilegeEscalation: override.allow_privilege_escalation } : {}),
    ...objectAt(override, "container_security_context"),
  };
}

/** The pod's security context: pod_security_context, or extra_pod_config's securityContext in its place. */
function podSecurityContext(override: JsonObject): JsonObject {
  const fromExtra = securityContextOf(objectAt(override, "extra_pod_config"));
  return Object.keys(fromExtra).length > 0 ? fromExtra : objectAt(override, "pod_security_context");
}

/** What only a sudo profile may ask for: root, escalation, added capabilities. */
function notebookAsks(override: JsonObject): string[] {
  const asks: string[] = [];
  const sources: [string, JsonObject][] = [
    ["", { ...(override.uid !== undefined ? { runAsUser: override.uid } : {}), ...(override.allow_privilege_escalation !== undefined ? { allowPrivilegeEscalation: override.allow_privilege_escalation } : {}) }],
    ["container_security_context.", objectAt(override, "container_security_context")],
    ["extra_container_config.securityContext.", securityContextOf(objectAt(override, "extra_container_config"))],
    ["pod_security_context.", objectAt(override, "pod_security_context")],
    ["extra_pod_config.securityContext.", securityContextOf(objectAt(override, "extra_pod_config"))],
  ];
  for (const [prefix, context] of sources) {
    const direct = prefix === "";
    if (pick(context, "runAsUser") === 0) asks.push(direct ? "uid: 0" : `${prefix}runAsUser: 0`);
    if (pick(context, "allowPrivilegeEscalation") === true) asks.push(direct ? "allow_privilege_escalation: true" : `${prefix}allowPrivilegeEscalation: true`);
    const added = addedCapabilities(context);
    if (added.length > 0) asks.push(`${prefix}capabilities.add ${added.join(", ")}`);
  }
  return asks;
}

/** What no server may do, sudo or not. */
function neverProblems(override: JsonObject, own: JsonObject): string[] {
  const problems: string[] = [];
  const container = notebookSecurityContext(override);
  if (override.privileged === true || pick(objectAt(override, "container_security_context"), "privileged") === true || pick(container, "privileged") === true) {
    problems.push("privileged containers are never needed, not even for sudo");
  }
  if (seccompType(container) === "Unconfined" || seccompType(podSecurityContext(override)) === "Unconfined") {
    problems.push("seccomp Unconfined is never needed, not even for sudo");
  }
  const beyondBaseline = addedCapabilities(container).filter((name) => !PSA_BASELINE_CAPABILITIES.includes(name));
  if (beyondBaseline.length > 0) problems.push(`adds ${beyondBaseline.join(", ")}, outside the Pod Security baseline set; never needed, not even for sudo`);
  problems.push(...podConfigProblems(objectAt(own, "extra_pod_config"), "extra_pod_config"));
  problems.push(...helperContainerProblems(own.init_containers, "init_containers"));
  problems.push(...helperContainerProblems(own.extra_containers, "extra_containers"));
  for (const name of hostPathVolumes(own.volumes)) problems.push(`volumes ${name} is a hostPath: the node's files in the server`);
  return problems;
}

/**
 * A sudo profile is root with sudo, not root with everything: the notebook container drops ALL
 * capabilities and adds back at most SUDO_CAPABILITIES, under the RuntimeDefault seccomp profile
 * (the container's, or the pod's when the container sets none).
 */
function sudoHardeningProblems(override: JsonObject): string[] {
  const container = notebookSecurityContext(override);
  const problems: string[] = [];
  if (!dropsAll(container)) {
    problems.push(`the sudo profile keeps the runtime's default capabilities; drop ALL and add back only ${SUDO_CAPABILITIES.join(", ")} (container_security_context.capabilities)`);
  }
  const beyond = addedCapabilities(container).filter((name) => !SUDO_CAPABILITIES.includes(name));
  if (beyond.length > 0) problems.push(`the sudo profile adds ${beyond.join(", ")}, beyond what sudo needs (${SUDO_CAPABILITIES.join(", ")})`);
  const seccomp = seccompType(container) ?? seccompType(podSecurityContext(override));
  if (seccomp !== RUNTIME_DEFAULT) {
    problems.push(`the sudo profile runs ${seccomp === undefined ? "without a seccomp profile" : `seccomp ${seccomp}`}; set pod_security_context.seccompProfile.type: ${RUNTIME_DEFAULT}`);
  }
  return problems;
}

function grantsSudo(environment: unknown): boolean {
  return isObject(environment) && GRANT_SUDO_VALUES.includes(String(environment.GRANT_SUDO));
}
