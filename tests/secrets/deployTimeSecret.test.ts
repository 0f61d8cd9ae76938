import * as pulumi from "@pulumi/pulumi";
import { deployTimeSecret, itemField, missingEnvironment } from "../../components/secrets/deployTimeSecret";
import { parseSettings } from "../../settings";
import { installMocks } from "../harness/mockRuntime";
import { keycloakConfig, type RawConfig } from "../fixtures/configs";

function resolve(output: pulumi.Output<string>): Promise<{ value: string; secret: boolean }> {
  return new Promise((done) =>
    pulumi.all([output, pulumi.isSecret(output)]).apply(([value, secret]) => done({ value, secret })),
  );
}

describe("deployTimeSecret", () => {
  beforeEach(() => installMocks({ stack: "secrets" }));

  it("reads a 1Password item's field through the provider, as a Pulumi secret", async () => {
    const source = { onePassword: { vault: "v", item: "Google OAuth client", field: "credential" } };
    expect(await resolve(deployTimeSecret(source, {}))).toEqual({ value: "fixture-google-oauth-client-credential", secret: true });
  });

  it("reads a section field by its label", async () => {
    const source = { onePassword: { vault: "v", item: "GitHub app", field: "client secret" } };
    expect((await resolve(deployTimeSecret(source, {}))).value).toBe("fixture-github-app-client-secret");
  });

  it("reads an environment variable of `pulumi up`, as a Pulumi secret", async () => {
    expect(await resolve(deployTimeSecret({ env: "TOKEN" }, { TOKEN: "t0ken" }))).toEqual({ value: "t0ken", secret: true });
  });
});

describe("itemField", () => {
  const item = { credential: "", password: "pw", username: "u", noteValue: "-----BEGIN CERTIFICATE-----", sections: [{ id: "s", label: "x", fields: [{ id: "f", label: "api key", purpose: "", type: "CONCEALED", value: "k" }] }] };

  it("names the item, the field and the fields it has when the field is empty or missing", () => {
    expect(itemField(item, "password", "App")).toBe("pw");
    expect(itemField(item, "api key", "App")).toBe("k");
    expect(itemField(item, "notes", "App")).toBe("-----BEGIN CERTIFICATE-----");
    expect(() => itemField(item, "credential", "App")).toThrow("1Password item 'App' has no value in field 'credential' (its section fields: api key)");
  });
});

describe("missingEnvironment", () => {
  it("names the config key of every environment variable that is not set", () => {
    const config = keycloakConfig();
    const settings = parseSettings({
      ...config,
      keycloak: {
        ...(config.keycloak as RawConfig),
        identityProviders: {
          google: { clientId: "g", clientSecret: { env: "GOOGLE_SECRET" } },
          github: { clientId: "h", clientSecret: { env: "GITHUB_SECRET" } },
        },
      },
    });
    expect(missingEnvironment(settings, { GITHUB_SECRET: "set" })).toEqual([
      { key: "jupyterhub:keycloak.identityProviders.google.clientSecret", message: "environment variable GOOGLE_SECRET is not set" },
    ]);
  });
});
