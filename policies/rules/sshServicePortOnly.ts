import type { ResourceValidationPolicy } from "@pulumi/policy";
import { SERVICE } from "../resourceTypes";
import { isObject } from "./chartValues";
import { isSshService, serviceSpec, SSH_PORT, SSHD_PORT, SSHD_PORT_NAME } from "./sshService";

/**
 * An SSH Service exposes one port, 22, and forwards it to sshd (targetPort 2222, or the port
 * named `ssh`), and to nothing else: it selects pods that also run a Jupyter server (a user's
 * server) or reach them (the SSH gateway), and the Jupyter server must stay behind the hub's
 * proxy and its login. What a Service exposes is `port`; what it reaches is `targetPort`, so both
 * are checked. A missing targetPort means the same as `port` (22), where nothing of ours listens.
 */
export function sshServicePortOnly(): ResourceValidationPolicy {
  return {
    name: "ssh-service-port-22-only",
    description: `Services labelled app.kubernetes.io/component: ssh expose exactly one port, ${SSH_PORT}, forwarded to sshd (targetPort ${SSHD_PORT} or '${SSHD_PORT_NAME}').`,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== SERVICE || !isSshService(args.props)) return;
      const ports = serviceSpec(args.props).ports;
      const list = Array.isArray(ports) ? ports : [];
      if (list.length !== 1) {
        reportViolation(`an SSH Service must expose exactly one port (${SSH_PORT}); it exposes ${list.length}`);
        return;
      }
      const entry = isObject(list[0]) ? list[0] : {};
      if (entry.port !== SSH_PORT) reportViolation(`an SSH Service must expose port ${SSH_PORT}; it exposes ${String(entry.port)}`);
      const target = entry.targetPort;
      if (target === undefined) {
        reportViolation(`an SSH Service must set targetPort ${SSHD_PORT} (sshd); without it Kubernetes forwards to port ${String(entry.port)}`);
      } else if (target !== SSHD_PORT && target !== SSHD_PORT_NAME) {
        reportViolation(`an SSH Service must forward to sshd (targetPort ${SSHD_PORT} or '${SSHD_PORT_NAME}'); it forwards to ${JSON.stringify(target)}`);
      }
    },
  };
}
