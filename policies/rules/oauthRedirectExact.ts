import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { HELM_RELEASE, KEYCLOAK_OPENID_CLIENT } from "../resourceTypes";
import { isObject, releaseValues } from "./chartValues";

const CALLBACK_PATH = "/hub/oauth_callback";
// Keycloak's "+" in web origins and post-logout redirect URIs stands for "the same as the valid
// redirect URIs", which this rule pins to the hub's own callback.
const SAME_AS_REDIRECTS = "+";

/**
 * The hub's Keycloak client accepts exactly this stack's hub: every valid redirect URI is
 * `https://<hub host>/hub/oauth_callback`, character for character, and every web origin and
 * post-logout redirect is on that host over https; nothing has a wildcard. A redirect URI on
 * another host, or a wildcard, lets a crafted login link send the user's authorization code to
 * a page that is not the hub (open redirect, code theft); a post-logout redirect elsewhere turns
 * logout into an open redirect.
 *
 * The hub's host is where the stack's Zero to JupyterHub release serves HTTPS
 * (`proxy.https.hosts`, made from hub.host; Keycloak login needs HTTPS, settings/crossChecks.ts),
 * so this is a stack rule: it reads the release and the clients together. A client in a stack
 * without such a release is reported, since its host cannot be checked.
 *
 * Assumes the only Keycloak clients the stack declares are hub logins (docs/explanation/login.md).
 */
export function oauthRedirectExact(): StackValidationPolicy {
  return {
    name: "oauth-redirect-exact",
    description:
      "Keycloak OpenID clients redirect only to https://<hub host>/hub/oauth_callback, with the host the release serves (proxy.https.hosts); web origins and post-logout redirects are on that host; no wildcard.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const clients = args.resources.filter((resource) => resource.type === KEYCLOAK_OPENID_CLIENT);
      if (clients.length === 0) return;
      const hosts = hubHosts(args.resources);
      for (const client of clients) {
        for (const problem of clientProblems(client.props, hosts)) reportViolation(problem, client.urn);
      }
    },
  };
}

/** The hosts the Zero to JupyterHub release serves the hub on over HTTPS (proxy.https.hosts). */
export function hubHosts(resources: readonly Pick<PolicyResource, "type" | "props">[]): string[] {
  const hosts = new Set<string>();
  for (const resource of resources) {
    if (resource.type !== HELM_RELEASE) continue;
    const values = releaseValues(resource.props);
    const proxy = values && isObject(values.proxy) ? values.proxy : {};
    const https = isObject(proxy.https) ? proxy.https : {};
    if (https.enabled !== true || !Array.isArray(https.hosts)) continue;
    for (const host of https.hosts) if (typeof host === "string" && host !== "") hosts.add(host);
  }
  return [...hosts];
}

/** What is wrong with one client's inputs, given the hub's hosts. */
export function clientProblems(props: Record<string, unknown>, hosts: readonly string[]): string[] {
  const problems: string[] = [];
  const callbacks = hosts.map((host) => `https://${host}${CALLBACK_PATH}`);
  const redirectUris = strings(props.validRedirectUris);
  if (hosts.length === 0 && (redirectUris.length > 0 || strings(props.validPostLogoutRedirectUris).length > 0)) {
    problems.push(
      "the stack has no Zero to JupyterHub release serving HTTPS (proxy.https.hosts), so the hub's host, and with it this client's redirects, cannot be checked",
    );
  }
  for (const uri of redirectUris) {
    if (uri.includes("*")) problems.push(`validRedirectUris: '${uri}' has a wildcard; list the exact callback`);
    else if (!uri.startsWith("https://")) problems.push(`validRedirectUris: '${uri}' is not https`);
    else if (!uri.endsWith(CALLBACK_PATH)) problems.push(`validRedirectUris: '${uri}' is not the hub's ${CALLBACK_PATH}`);
    else if (hosts.length > 0 && !callbacks.includes(uri)) {
      problems.push(`validRedirectUris: '${uri}' is not the hub's callback; it must be exactly ${callbacks.join(" or ")}`);
    }
  }
  for (const uri of strings(props.validPostLogoutRedirectUris)) {
    if (uri.includes("*")) problems.push(`validPostLogoutRedirectUris: '${uri}' has a wildcard; list exact URLs`);
    else if (uri !== SAME_AS_REDIRECTS && hosts.length > 0 && !isOnHost(uri, hosts, "url")) {
      problems.push(`validPostLogoutRedirectUris: '${uri}' is not on the hub's host; use https://${hosts[0]}/ (or a path under it)`);
    }
  }
  for (const origin of strings(props.webOrigins)) {
    if (origin.includes("*")) problems.push(`webOrigins: '${origin}' has a wildcard; list exact URLs`);
    else if (origin !== SAME_AS_REDIRECTS && hosts.length > 0 && !isOnHost(origin, hosts, "origin")) {
      problems.push(`webOrigins: '${origin}' is not the hub's origin; use https://${hosts[0]}`);
    }
  }
  return problems;
}

/**
 * True for `https://<one of hosts>` followed by nothing (an origin) or by a path (a URL): no
 * other scheme, port, user info, or host that merely starts with the hub's.
 */
function isOnHost(uri: string, hosts: readonly string[], kind: "origin" | "url"): boolean {
  return hosts.some((host) => {
    const origin = `https://${host}`;
    if (uri === origin) return true;
    return kind === "url" && uri.startsWith(`${origin}/`);
  });
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
