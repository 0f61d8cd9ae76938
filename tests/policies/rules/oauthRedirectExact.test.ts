import { KEYCLOAK_OPENID_CLIENT } from "../../../policies/resourceTypes";
import { oauthRedirectExact } from "../../../policies/rules/oauthRedirectExact";
import { assertHasViolation, assertNoViolation, createResourceValidationArgs, violationsOf } from "../policyHarness";

const policy = oauthRedirectExact();
const client = (overrides: Record<string, unknown> = {}) =>
  createResourceValidationArgs(KEYCLOAK_OPENID_CLIENT, {
    clientId: "jupyterhub",
    accessType: "CONFIDENTIAL",
    validRedirectUris: ["https://hub.example.test/hub/oauth_callback"],
    validPostLogoutRedirectUris: ["https://hub.example.test/"],
    webOrigins: ["https://hub.example.test"],
    ...overrides,
  });

it("passes the hub's exact callback, origin and logout redirect", () => {
  assertNoViolation(policy, client());
});

it("fails a wildcard, plain http or another path as redirect URI", () => {
  expect(
    violationsOf(
      policy,
      client({ validRedirectUris: ["https://hub.example.test/*", "http://hub.example.test/hub/oauth_callback", "https://hub.example.test/login"] }),
    ),
  ).toEqual([
    "validRedirectUris: 'https://hub.example.test/*' has a wildcard; list the exact callback",
    "validRedirectUris: 'http://hub.example.test/hub/oauth_callback' is not https",
    "validRedirectUris: 'https://hub.example.test/login' is not the hub's /hub/oauth_callback",
  ]);
});

it("fails wildcard web origins and post-logout redirects", () => {
  assertHasViolation(policy, client({ webOrigins: ["*"] }), "webOrigins: '*' has a wildcard");
  assertHasViolation(policy, client({ validPostLogoutRedirectUris: ["https://hub.example.test/*"] }), "validPostLogoutRedirectUris:");
});
