import { HELM_CHART_V4 } from "../../../policies/resourceTypes";
import { isSecretKey, noPlainSecretsInValues } from "../../../policies/rules/noPlainSecretsInValues";
import { releaseArgs, values } from "../chartFixtures";
import { assertHasViolation, assertNoViolation, createResourceValidationArgs, violationsOf } from "../policyHarness";

const policy = noPlainSecretsInValues();

it("passes secrets referenced from a Secret, placeholders, names and URLs of secrets", () => {
  const chartValues = values(
    {},
    {
      hub: {
        existingSecret: "hub-secrets",
        cookieSecret: "",
        extraEnv: { OAUTH_CLIENT_SECRET: { valueFrom: { secretKeyRef: { name: "jupyterhub-hub-env", key: "OAUTH_CLIENT_SECRET" } } } },
        config: { GenericOAuthenticator: { client_id: "jupyterhub", token_url: "https://auth.example/token", client_secret: "[secret]" } },
      },
      proxy: { https: { secret: { name: "hub-tls" } } },
      singleuser: { extraEnv: [{ name: "VAULT_TOKEN_PATH", value: "/var/run/vault/token" }] },
    },
  );
  assertNoViolation(policy, releaseArgs(chartValues));
});

it("fails a plain client secret, proxy token, crypt key or API key anywhere in values", () => {
  const chartValues = values(
    {},
    {
      hub: {
        config: { GenericOAuthenticator: { client_secret: "s3cr3t" } },
        extraEnv: { JUPYTERHUB_CRYPT_KEY: "00ff" },
        services: { grafana: { api_token: "abc" } },
      },
      proxy: { secretToken: "f00" },
      singleuser: { extraEnv: [{ name: "OPENAI_API_KEY", value: "sk-123" }] },
    },
  );
  expect(violationsOf(policy, releaseArgs(chartValues)).map((m) => m.split(" ")[0]).sort()).toEqual([
    "values.hub.config.GenericOAuthenticator.client_secret",
    "values.hub.extraEnv.JUPYTERHUB_CRYPT_KEY",
    "values.hub.services.grafana.api_token",
    "values.proxy.secretToken",
    "values.singleuser.extraEnv[0].value",
  ]);
});

it("scans helm v4 Chart values too", () => {
  assertHasViolation(policy, createResourceValidationArgs(HELM_CHART_V4, { values: { auth: { password: "hunter2" } } }), "values.auth.password holds a secret");
});

it.each([
  ["client_secret", true],
  ["CLIENT_SECRET", true],
  ["clientSecret", true],
  ["private-key", true],
  ["secretName", false],
  ["existingSecret", false],
  ["token_url", false],
  ["cookie_secret_file", false],
  ["secretKeyRef", false],
  ["auth_state_groups_key", false],
])("isSecretKey(%s) is %s", (key, expected) => {
  expect(isSecretKey(key)).toBe(expected);
});
