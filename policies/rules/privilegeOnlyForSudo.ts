import type { ResourceValidationPolicy } from "@pulumi/policy";
import { HELM_RELEASE } from "../resourceTypes";
import { isObject, releaseValues, serverOverrides, singleuserValues } from "./chartValues";

// The Jupyter Docker Stacks' start script grants sudo only when the container starts as root with
// GRANT_SUDO set to "yes" or "1", then drops to the notebook user; sudo is setuid, so it also
// needs privilege escalation. A profile that starts as root or allows escalation without asking
// for sudo gets the risk without the feature.
const GRANT_SUDO_VALUES = ["yes", "1"];

/**
 * Root and privilege escalation only where a profile asks for sudo: `uid: 0` or
 * `allow_privilege_escalation: true` need `environment.GRANT_SUDO: "yes"` beside them; the
 * chart-wide defaults never grant either; no server is `privileged`.
 */
export function privilegeOnlyForSudo(): ResourceValidationPolicy {
  return {
    name: "privilege-only-for-sudo",
    description:
      "Only profiles that ask for sudo (GRANT_SUDO) run as root or allow privilege escalation; the chart-wide defaults allow neither.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== HELM_RELEASE) return;
      const values = releaseValues(args.props);
      if (!values) return;
      const singleuser = singleuserValues(values);
      if (singleuser.allowPrivilegeEscalation === true) {
        reportViolation("singleuser.allowPrivilegeEscalation is true: every server could escalate; allow it only in sudo profiles");
      }
      if (singleuser.uid === 0) {
        reportViolation("singleuser.uid is 0: every server would start as root; start as root only in sudo profiles");
      }
      for (const { where, override } of serverOverrides(values)) {
        if (override.privileged === true) reportViolation(`${where}: privileged containers are never needed, not even for sudo`);
        const asks = [
          ...(override.uid === 0 ? ["uid: 0"] : []),
          ...(override.allow_privilege_escalation === true ? ["allow_privilege_escalation: true"] : []),
        ];
        if (asks.length > 0 && !grantsSudo(override.environment)) {
          reportViolation(`${where}: ${asks.join(" and ")} without environment.GRANT_SUDO: "yes"; only sudo profiles may`);
        }
      }
    },
  };
}

function grantsSudo(environment: unknown): boolean {
  return isObject(environment) && GRANT_SUDO_VALUES.includes(String(environment.GRANT_SUDO));
}
