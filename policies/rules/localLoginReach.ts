import type { ResourceValidationPolicy } from "@pulumi/policy";
import { HELM_RELEASE } from "../resourceTypes";
import { isObject, releaseValues, type JsonObject } from "./chartValues";

/**
 * JupyterHub's `dummy` authenticator lets anyone in as any user with any password: only on a hub
 * nobody reaches but through `kubectl port-forward` (a ClusterIP proxy Service).
 */
export function localLoginReach(): ResourceValidationPolicy {
  return {
    name: "local-login-reach",
    description: "The dummy authenticator only behind a ClusterIP proxy, which only kubectl port-forward reaches.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== HELM_RELEASE) return;
      const login = localLogin(releaseValues(args.props));
      if (!login) return;
      const { authenticator, serviceType } = login;
      if (/^dummy$|DummyAuthenticator$/.test(authenticator) && serviceType !== "ClusterIP") {
        reportViolation(`hub.config.JupyterHub.authenticator_class is ${authenticator} on a ${serviceType} proxy: anyone who reaches it logs in as anyone`);
      }
    },
  };
}

/**
 * JupyterHub's `firstuse` authenticator lets the first person to log in as a user set that user's
 * password: on a reachable address without HTTPS a race, in clear text. Advisory: the config
 * schema refuses it unless the stack accepts it (auth.firstUseOverPlainHttp).
 */
export function firstUseOverHttps(): ResourceValidationPolicy {
  return {
    name: "first-use-over-https",
    description: "First-use passwords are set over HTTPS when others can reach the hub.",
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) => {
      if (args.type !== HELM_RELEASE) return;
      const login = localLogin(releaseValues(args.props));
      if (!login) return;
      const { authenticator, serviceType, https } = login;
      if (/firstuse|FirstUseAuthenticator$/i.test(authenticator) && serviceType !== "ClusterIP" && !https) {
        reportViolation(`first-use passwords on a ${serviceType} proxy without HTTPS: the first to log in as a user sets the password, in clear`);
      }
    },
  };
}

/** The release's authenticator and how its proxy is reached. */
function localLogin(values: JsonObject | undefined): { authenticator: string; serviceType: string; https: boolean } | undefined {
  if (!values) return undefined;
  const proxy = section(values, "proxy");
  return {
    authenticator: String(section(section(section(values, "hub"), "config"), "JupyterHub").authenticator_class ?? ""),
    serviceType: String(section(proxy, "service").type ?? "LoadBalancer"), // the chart's default
    https: section(proxy, "https").enabled === true,
  };
}

function section(parent: unknown, key: string): JsonObject {
  const child = isObject(parent) ? (parent as JsonObject)[key] : undefined;
  return isObject(child) ? (child as JsonObject) : {};
}
