import { HELM_RELEASE, KEYCLOAK_OPENID_CLIENT } from "../../../policies/resourceTypes";
import { oauthRedirectExact } from "../../../policies/rules/oauthRedirectExact";
import { stackViolationsOf, type StackInput } from "../policyHarness";

const policy = oauthRedirectExact();
const HOST = "hub.example.test";
const CLIENT = `${KEYCLOAK_OPENID_CLIENT}::jupyterhub-hub`;

// The Z2JH release as components/hub builds it with HTTPS on: the hub's host is proxy.https.hosts.
const release = (https: Record<string, unknown> = { enabled: true, type: "secret", hosts: [HOST], secret: { name: "tls" } }): StackInput => ({
  type: HELM_RELEASE,
  name: "jupyterhub",
  inputs: { chart: "jupyterhub", values: { proxy: { https } } },
});
const client = (overrides: Record<string, unknown> = {}): StackInput => ({
  type: KEYCLOAK_OPENID_CLIENT,
  name: "jupyterhub-hub",
  inputs: {
    clientId: "jupyterhub",
    accessType: "CONFIDENTIAL",
    rootUrl: `https://${HOST}/`,
    validRedirectUris: [`https://${HOST}/hub/oauth_callback`],
    validPostLogoutRedirectUris: [`https://${HOST}/`],
    webOrigins: [`https://${HOST}`],
    ...overrides,
  },
});
const messages = (...resources: StackInput[]) => stackViolationsOf(policy, resources).map((violation) => violation.message);

it("passes the hub's exact callback, origin and logout redirect on the release's host", () => {
  expect(stackViolationsOf(policy, [release(), client()])).toEqual([]);
  expect(messages(release(), client({ webOrigins: ["+"], validPostLogoutRedirectUris: ["+"] }))).toEqual([]);
});

it("passes a stack without a Keycloak client", () => {
  expect(messages(release({ enabled: false }))).toEqual([]);
});

it("fails a wildcard, plain http or another path as redirect URI", () => {
  expect(
    messages(release(), client({ validRedirectUris: [`https://${HOST}/*`, `http://${HOST}/hub/oauth_callback`, `https://${HOST}/login`] })),
  ).toEqual([
    `validRedirectUris: 'https://${HOST}/*' has a wildcard; list the exact callback`,
    `validRedirectUris: 'http://${HOST}/hub/oauth_callback' is not https`,
    `validRedirectUris: 'https://${HOST}/login' is not the hub's /hub/oauth_callback`,
  ]);
});

it("fails wildcard web origins and post-logout redirects", () => {
  expect(messages(release(), client({ webOrigins: ["*"] }))).toEqual(["webOrigins: '*' has a wildcard; list exact URLs"]);
  expect(messages(release(), client({ validPostLogoutRedirectUris: [`https://${HOST}/*`] }))).toEqual([
    `validPostLogoutRedirectUris: 'https://${HOST}/*' has a wildcard; list exact URLs`,
  ]);
});

describe("the host (issue 12)", () => {
  it("fails a callback on another host, or one that only starts like the hub's", () => {
    const expected = `it must be exactly https://${HOST}/hub/oauth_callback`;
    for (const uri of [
      "https://attacker.example/hub/oauth_callback",
      `https://${HOST}.attacker.example/hub/oauth_callback`,
      `https://${HOST}:8443/hub/oauth_callback`,
      `https://user@${HOST}/hub/oauth_callback`,
      `https://${HOST}/x/hub/oauth_callback`,
    ]) {
      expect(stackViolationsOf(policy, [release(), client({ validRedirectUris: [uri] })])).toEqual([
        { resource: CLIENT, message: `validRedirectUris: '${uri}' is not the hub's callback; ${expected}` },
      ]);
    }
  });

  it("fails post-logout redirects and web origins on another host", () => {
    expect(
      messages(release(), client({ validPostLogoutRedirectUris: ["https://attacker.example/", `http://${HOST}/`], webOrigins: [`https://${HOST}.evil.example`] })),
    ).toEqual([
      `validPostLogoutRedirectUris: 'https://attacker.example/' is not on the hub's host; use https://${HOST}/ (or a path under it)`,
      `validPostLogoutRedirectUris: 'http://${HOST}/' is not on the hub's host; use https://${HOST}/ (or a path under it)`,
      `webOrigins: 'https://${HOST}.evil.example' is not the hub's origin; use https://${HOST}`,
    ]);
  });

  it("fails a client when no release tells the hub's host", () => {
    expect(messages(client())).toEqual([expect.stringContaining("no Zero to JupyterHub release serving HTTPS (proxy.https.hosts)")]);
    expect(messages(release({ enabled: false, hosts: [HOST] }), client())).toHaveLength(1);
  });
});
