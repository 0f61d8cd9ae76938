import type { ResourceValidationPolicy } from "@pulumi/policy";
import { SERVICE } from "../resourceTypes";
import { isSshService, serviceSpec } from "./sshService";

const OPEN_RANGES = ["0.0.0.0/0", "::/0"];

/**
 * An SSH LoadBalancer lists the networks allowed in (`spec.loadBalancerSourceRanges`).
 *
 * Advisory, not mandatory: on the homelab the LoadBalancer is a MetalLB address on a private LAN
 * that nothing outside reaches, sshd takes keys only (no passwords), and the allowed ranges are
 * the stack's choice (config), which this rule cannot see. It reminds rather than blocks; the SSH
 * component's own tests check that configured ranges reach the Service.
 */
export function sshServiceSourceRanges(): ResourceValidationPolicy {
  return {
    name: "ssh-service-source-ranges",
    description: "SSH LoadBalancer Services restrict who may connect with spec.loadBalancerSourceRanges.",
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) => {
      if (args.type !== SERVICE || !isSshService(args.props)) return;
      const spec = serviceSpec(args.props);
      if (spec.type !== "LoadBalancer") return;
      const ranges = Array.isArray(spec.loadBalancerSourceRanges) ? spec.loadBalancerSourceRanges : [];
      if (ranges.length === 0) {
        reportViolation("an SSH LoadBalancer without spec.loadBalancerSourceRanges accepts connections from anywhere its address is reachable");
      } else if (ranges.some((range) => OPEN_RANGES.includes(String(range)))) {
        reportViolation(`spec.loadBalancerSourceRanges opens SSH to every address (${OPEN_RANGES.join(" or ")})`);
      }
    },
  };
}
