import type { ResourceValidationPolicy } from "@pulumi/policy";
import { NAMESPACE } from "../resourceTypes";
import { isObject } from "./chartValues";

const ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";
// Baseline refuses privileged containers, the node's namespaces, hostPath volumes and
// capabilities outside its list, and still admits the sudo profile; restricted admits even less.
const ENFORCED_LEVELS = ["baseline", "restricted"];

/**
 * Every namespace the stack declares (the hub's, where user servers run) enforces Pod Security
 * baseline or stricter (`pod-security.kubernetes.io/enforce`). The other rules check the values
 * the stack hands the chart; this one makes the cluster itself refuse a privileged server however
 * its pod came about (a hub.extraConfig, a KubeSpawner default, the chart's own
 * block-cloud-metadata container, a future feature), as a second line behind them.
 */
export function namespacePodSecurity(): ResourceValidationPolicy {
  return {
    name: "namespace-pod-security",
    description: `Namespaces declared by the stack carry ${ENFORCE_LABEL}: baseline (or restricted), so the cluster refuses privileged pods in them.`,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== NAMESPACE) return;
      const metadata = isObject(args.props.metadata) ? args.props.metadata : {};
      const labels = isObject(metadata.labels) ? metadata.labels : {};
      const level = labels[ENFORCE_LABEL];
      if (level === undefined) {
        reportViolation(`the namespace has no ${ENFORCE_LABEL} label, so nothing refuses a privileged pod in it; set it to baseline`);
      } else if (!ENFORCED_LEVELS.includes(String(level))) {
        reportViolation(`${ENFORCE_LABEL} is '${String(level)}'; it must be baseline (or restricted)`);
      }
    },
  };
}
