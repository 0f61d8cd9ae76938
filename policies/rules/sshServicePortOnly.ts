import type { ResourceValidationPolicy } from "@pulumi/policy";
import { SERVICE } from "../resourceTypes";
import { isObject } from "./chartValues";
import { isSshService, serviceSpec, SSH_PORT } from "./sshService";

/**
 * An SSH Service exposes one port, 22, and nothing else: it selects a user's server pod, whose
 * Jupyter server must stay behind the hub's proxy and its login.
 */
export function sshServicePortOnly(): ResourceValidationPolicy {
  return {
    name: "ssh-service-port-22-only",
    description: "Services labelled app.kubernetes.io/component: ssh expose exactly one port, port 22.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== SERVICE || !isSshService(args.props)) return;
      const ports = serviceSpec(args.props).ports;
      const list = Array.isArray(ports) ? ports : [];
      if (list.length !== 1) {
        reportViolation(`an SSH Service must expose exactly one port (${SSH_PORT}); it exposes ${list.length}`);
        return;
      }
      const port = isObject(list[0]) ? list[0].port : undefined;
      if (port !== SSH_PORT) reportViolation(`an SSH Service must expose port ${SSH_PORT}; it exposes ${String(port)}`);
    },
  };
}
