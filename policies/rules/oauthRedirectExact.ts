import type { ResourceValidationPolicy } from "@pulumi/policy";
import { KEYCLOAK_OPENID_CLIENT } from "../resourceTypes";

const CALLBACK_PATH = "/hub/oauth_callback";

/**
 * The hub's Keycloak client accepts exactly the hub's callback: every valid redirect URI is
 * https, has no wildcard and ends with /hub/oauth_callback; web origins and post-logout
 * redirects have no wildcard. A wildcard redirect lets a crafted login link send the user's
 * authorization code to another page (open redirect, code theft).
 *
 * Assumes the only Keycloak clients the stack declares are hub logins (DESIGN.md, "Login").
 */
export function oauthRedirectExact(): ResourceValidationPolicy {
  return {
    name: "oauth-redirect-exact",
    description:
      "Keycloak OpenID clients redirect only to https://<host>/hub/oauth_callback (no wildcard), with no wildcard web origin or post-logout redirect.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== KEYCLOAK_OPENID_CLIENT) return;
      for (const uri of strings(args.props.validRedirectUris)) {
        if (uri.includes("*")) reportViolation(`validRedirectUris: '${uri}' has a wildcard; list the exact callback`);
        else if (!uri.startsWith("https://")) reportViolation(`validRedirectUris: '${uri}' is not https`);
        else if (!uri.endsWith(CALLBACK_PATH)) reportViolation(`validRedirectUris: '${uri}' is not the hub's ${CALLBACK_PATH}`);
      }
      for (const key of ["webOrigins", "validPostLogoutRedirectUris"] as const) {
        for (const uri of strings(args.props[key])) {
          if (uri.includes("*")) reportViolation(`${key}: '${uri}' has a wildcard; list exact URLs`);
        }
      }
    },
  };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
