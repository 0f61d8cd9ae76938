import type { ResourceValidationPolicy } from "@pulumi/policy";
import { HELM_RELEASE } from "../resourceTypes";
import { hasProfiles, isObject, releaseValues, serverOverrides, singleuserValues, type JsonObject } from "./chartValues";

/**
 * Every profile runs with a CPU and a memory limit (`cpu_limit`, `mem_limit` in its
 * kubespawner_override, or the chart-wide `singleuser.cpu.limit` / `singleuser.memory.limit` it
 * falls back to). One unlimited server can starve the hub and everyone else on a small cluster.
 */
export function profileLimits(): ResourceValidationPolicy {
  return {
    name: "profile-resource-limits",
    description: "Every profile of the Zero to JupyterHub release sets a CPU limit and a memory limit.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== HELM_RELEASE) return;
      const values = releaseValues(args.props);
      if (!values) return;
      const singleuser = singleuserValues(values);
      const chartCpu = isLimit(limitOf(singleuser.cpu));
      const chartMemory = isLimit(limitOf(singleuser.memory));
      if (!hasProfiles(values)) {
        if (!chartCpu) reportViolation("singleuser.cpu.limit: the default server has no CPU limit");
        if (!chartMemory) reportViolation("singleuser.memory.limit: the default server has no memory limit");
        return;
      }
      for (const { where, level, override } of serverOverrides(values)) {
        if (level !== "profile") continue;
        if (!chartCpu && !isLimit(override.cpu_limit)) reportViolation(`${where}: no CPU limit (kubespawner_override.cpu_limit)`);
        if (!chartMemory && !isLimit(override.mem_limit)) reportViolation(`${where}: no memory limit (kubespawner_override.mem_limit)`);
      }
    },
  };
}

function limitOf(section: unknown): unknown {
  return isObject(section) ? (section as JsonObject).limit : undefined;
}

/** A positive number (cores, bytes) or a quantity string such as "2" or "4G". */
function isLimit(value: unknown): boolean {
  if (typeof value === "number") return Number.isFinite(value) && value > 0;
  return typeof value === "string" && /^\d*\.?\d+\s*[A-Za-z]*$/.test(value.trim()) && parseFloat(value) > 0;
}
