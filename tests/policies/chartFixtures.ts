// Z2JH release inputs shaped the way components/hub builds them, to vary one field per test.
import { HELM_RELEASE } from "../../policies/resourceTypes";
import { createResourceValidationArgs } from "./policyHarness";

export type Json = Record<string, any>;

export function profile(slug: string, override: Json = {}): Json {
  return {
    slug,
    display_name: slug,
    description: "",
    kubespawner_override: {
      image: "quay.io/jupyter/scipy-notebook:2025-10-06",
      cpu_limit: 2,
      cpu_guarantee: 0.5,
      mem_limit: 4 * 2 ** 30,
      mem_guarantee: 2 ** 30,
      ...override,
    },
  };
}

/** The sudo profile's reduced capabilities (components/hub/profileList.ts). */
export const SUDO_SECURITY = {
  container_security_context: {
    capabilities: { drop: ["ALL"], add: ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETGID", "SETUID", "SYS_CHROOT"] },
  },
  pod_security_context: { seccompProfile: { type: "RuntimeDefault" } },
};

/** The workbench profile as the program builds a sudo profile. */
export function sudoProfile(slug = "workbench", extra: Json = {}): Json {
  return profile(slug, { uid: 0, allow_privilege_escalation: true, environment: { GRANT_SUDO: "yes" }, ...SUDO_SECURITY, ...extra });
}

export function values(singleuser: Json = {}, rest: Json = {}): Json {
  return {
    hub: { config: { JupyterHub: { authenticator_class: "dummy" } } },
    singleuser: {
      image: { name: "quay.io/jupyter/minimal-notebook", tag: "2025-10-06" },
      allowPrivilegeEscalation: false,
      cloudMetadata: { blockWithIptables: false },
      profileList: [profile("minimal"), sudoProfile()],
      ...singleuser,
    },
    ...rest,
  };
}

export function releaseArgs(chartValues: Json = values()) {
  return createResourceValidationArgs(HELM_RELEASE, {
    chart: "jupyterhub",
    version: "4.4.0",
    repositoryOpts: { repo: "https://hub.jupyter.org/helm-chart/" },
    values: chartValues,
  });
}
