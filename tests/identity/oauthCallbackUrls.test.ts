// The callback URLs to register in the Google and GitHub OAuth apps are stack outputs: Keycloak's
// broker endpoint of each provider the stack configures.
import { oauthCallbackUrls } from "../../program";
import { renderStack } from "../harness/renderStack";
import { readStackConfig } from "../harness/stackConfig";

it("exports the homelab's Google callback URL, as Keycloak builds it", async () => {
  const { outputs } = await renderStack(readStackConfig("homelab"), "homelab");
  // services/Urls.java identityProviderAuthnResponse: /realms/{realm}/broker/{provider_alias}/endpoint
  expect(outputs.oauthCallbackUrls).toEqual({ google: "https://auth.home.arpa/realms/homelab/broker/google/endpoint" });
});

it("gives one per configured provider, with the realm encoded, and none without Keycloak", async () => {
  const { settings } = await renderStack(readStackConfig("homelab"), "homelab");
  const github = { clientId: "Iv1.abc", clientSecret: { env: "GITHUB_OAUTH_SECRET" } };
  const keycloak = { ...settings.keycloak!, url: "https://sso.lab.test/auth", realm: "lab hub", identityProviders: { ...settings.keycloak!.identityProviders, github } };
  expect(oauthCallbackUrls(keycloak)).toEqual({
    google: "https://sso.lab.test/auth/realms/lab%20hub/broker/google/endpoint",
    github: "https://sso.lab.test/auth/realms/lab%20hub/broker/github/endpoint",
  });
  expect(oauthCallbackUrls(undefined)).toEqual({});
});
