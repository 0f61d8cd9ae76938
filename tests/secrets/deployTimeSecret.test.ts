import * as pulumi from "@pulumi/pulumi";
import { deployTimeSecret, itemField, missingEnvironment } from "../../components/secrets/deployTimeSecret";
import { parseSettings } from "../../settings";
import { SettingsError } from "../../settings/SettingsError";
import { onePasswordItem } from "../harness/invokeFixtures";
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

  it("names the config key and the fields the item has when the field is empty or missing, never the field asked for", () => {
    expect(itemField(item, "password")).toBe("pw");
    expect(itemField(item, "api key")).toBe("k");
    expect(itemField(item, "notes")).toBe("-----BEGIN CERTIFICATE-----");
    const asked = "Zq8vR2mX7kP4wL9tB3nH6cF1yD5gJ0sA8eU2iO4r";
    expect(() => itemField(item, asked, ["images", "pullCredentials", "tokenField"])).toThrow(
      "jupyterhub:images.pullCredentials.tokenField: names a 1Password field that is empty or not in the item; name credential, password, username, notes or one of the item's section fields: api key",
    );
    expect(() => itemField(item, asked)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(asked) }));
  });
});

// An error thrown inside an apply reaches the CLI through the SDK's serialization of resource
// inputs, which prefixes `error serializing property "<input>": ` to its message
// (@pulumi/pulumi runtime/rpc.js serializeFilteredProperties): the config key would come after
// the names of resource inputs. A config error keeps its message. (A rejected promise stands in
// for the failed apply: a failed Output also rejects promises nothing awaits in a test.)
describe("an error raised inside an apply", () => {
  beforeEach(() => installMocks({ stack: "secrets" }));
  const inputs = (value: Promise<string>) => ({ metadata: { name: "pull" }, stringData: { ".dockerconfigjson": value } });
  const item = onePasswordItem({ token: "onepassword:index/getItem:getItem", inputs: { vault: "v", title: "GHCR pull" }, provider: "" });
  const failure = (value: Promise<string>) => pulumi.runtime.serializeProperties("Secret", inputs(value)).then(() => undefined, (e: Error) => e);

  it("is prefixed by the SDK with the resource input's name when it is a plain Error", async () => {
    const error = await failure(Promise.reject(new Error("1Password item has no such field")));
    expect(error?.message).toBe('error serializing property "stringData": 1Password item has no such field');
  });

  it("reaches the CLI as the config problem alone, key first, when a 1Password field is missing", async () => {
    const error = await failure(Promise.resolve(item).then((found) => itemField(found as never, "deploy token", ["images", "pullCredentials", "tokenField"])));
    expect(error).toBeInstanceOf(SettingsError);
    expect(error!.message).toBe(
      "invalid stack config (1 problem):\n  jupyterhub:images.pullCredentials.tokenField: names a 1Password field that is empty or not in the item; name credential, password, username, notes or one of the item's section fields: client secret",
    );
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
