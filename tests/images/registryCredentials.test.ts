// Pull and push credentials apart (issue 12): the cluster's pull secret holds the read-only login
// of images.pullCredentials; the push token (images.credentials, write:packages) reaches only the
// Docker build and no resource in the cluster. Secrets are revealed here (and only here) so the
// test can see which 1Password item ended where.
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { asStackConfig, minimalConfig, profile } from "../fixtures/configs";
import { problemsOf } from "../fixtures/problemsOf";

jest.mock("../../offline/recordedResource", () => {
  const actual = jest.requireActual("../../offline/recordedResource");
  const pulumi = jest.requireActual("@pulumi/pulumi");
  const reveal = (value: unknown): unknown => {
    if (pulumi.runtime.isRpcSecret(value)) return { secret: reveal((value as { value: unknown }).value) };
    if (Array.isArray(value)) return value.map(reveal);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, reveal(inner)]));
    return value;
  };
  return { ...actual, redact: reveal };
});

const PUSH = { vault: "vault-uuid", item: "GHCR push" };
const PULL = { vault: "vault-uuid", item: "GHCR pull" };

function imagesConfig(images: Record<string, unknown>) {
  return {
    ...minimalConfig(),
    images: { owner: "maria", ...images },
    profiles: [profile({ slug: "science", default: true, image: { build: "datascience" } })],
  };
}

let rendered: RenderedStack;
beforeAll(async () => {
  rendered = await renderStack(asStackConfig(imagesConfig({ credentials: PUSH, pullCredentials: PULL })));
});

it("makes the cluster's pull secret from the read-only login alone", () => {
  const pull = rendered.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs.metadata as { name: string }).name === "jupyterhub-image-pull")!;
  // The Secret's stringData is a Pulumi secret as a whole (the k8s provider marks it so).
  const config = JSON.parse((pull.inputs.stringData as { secret: Record<string, string> }).secret[".dockerconfigjson"]);
  expect(config.auths["ghcr.io"]).toMatchObject({ username: "fixture-ghcr-pull-username", password: "fixture-ghcr-pull-credential" });
});

it("gives the push login to the image build only, and to nothing in the cluster", () => {
  const images = rendered.resources.filter((r) => r.type === "docker-build:index:Image");
  expect(images.length).toBeGreaterThan(0);
  for (const image of images) {
    expect(image.inputs.registries).toEqual({
      secret: [{ address: "ghcr.io", username: "fixture-ghcr-push-username", password: "fixture-ghcr-push-credential" }],
    });
  }
  const inCluster = rendered.resources.filter((r) => r.type.startsWith("kubernetes:"));
  expect(JSON.stringify(inCluster)).not.toContain("fixture-ghcr-push");
});

it("refuses a stack without a pull login, rather than putting the push token into the cluster", () => {
  expect(problemsOf(imagesConfig({ credentials: PUSH }))).toEqual([
    "jupyterhub:images.pullCredentials: is required: a 1Password item with a read-only registry login (e.g. a GitHub token with only read:packages) for the cluster's pull secret; images.credentials (write:packages) only pushes and never goes into the cluster",
  ]);
});

it("refuses the push item as the pull item", () => {
  expect(problemsOf(imagesConfig({ credentials: PUSH, pullCredentials: PUSH }))).toEqual([
    "jupyterhub:images.pullCredentials.item: 'GHCR push' is images.credentials' item; the pull login must be a separate, read-only token",
  ]);
});

// Issue 19: registry logins take { env } like every other secret, and a wrong login names what is wrong.
describe("a registry login from the environment", () => {
  const envLogins = { credentials: { username: "maria", token: { env: "GHCR_PUSH_TOKEN" } }, pullCredentials: { username: "maria", token: { env: "GHCR_PULL_TOKEN" } } };

  it("is accepted, the pull secret made from the pull variable and the build given the push one", async () => {
    const environment = { GHCR_PUSH_TOKEN: "push-from-env", GHCR_PULL_TOKEN: "pull-from-env" };
    const stack = await renderStack(asStackConfig(imagesConfig(envLogins)), "test", environment);
    const pull = stack.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && (r.inputs.metadata as { name: string }).name === "jupyterhub-image-pull")!;
    const config = JSON.parse((pull.inputs.stringData as { secret: Record<string, string> }).secret[".dockerconfigjson"]);
    expect(config.auths["ghcr.io"]).toMatchObject({ username: "maria", password: "pull-from-env" });
    expect(JSON.stringify(stack.resources.filter((r) => r.type.startsWith("kubernetes:")))).not.toContain("push-from-env");
    expect(JSON.stringify(stack.resources.filter((r) => r.type.startsWith("docker-build:")))).toContain("push-from-env");
  });

  it("fails before anything is declared when a variable is not set", async () => {
    await expect(renderStack(asStackConfig(imagesConfig(envLogins)), "test", { GHCR_PUSH_TOKEN: "x" })).rejects.toThrow(
      "jupyterhub:images.pullCredentials.token: environment variable GHCR_PULL_TOKEN is not set",
    );
  });

  it("refuses one variable for both logins, as it refuses one 1Password item", () => {
    expect(problemsOf(imagesConfig({ ...envLogins, pullCredentials: envLogins.credentials }))).toEqual([
      "jupyterhub:images.pullCredentials.token: GHCR_PUSH_TOKEN is images.credentials' token; the pull login must be a separate, read-only token",
    ]);
  });

  it("says what a login needs when given { env } alone, and no more than that", () => {
    // Before: "unknown key; did you mean 'env'?" for `env`, and "needs a jupyterhub:images block"
    // on a profile while the block was there.
    expect(problemsOf(imagesConfig({ credentials: { env: "GHCR_TOKEN" }, pullCredentials: envLogins.pullCredentials }))).toEqual([
      "jupyterhub:images.credentials: a registry login is a username and a token: { username: <registry user>, token: { env: VARIABLE } or { onePassword: { vault, item, field } } }, or a 1Password item { vault, item, usernameField, tokenField }",
    ]);
  });
});

it("does not suggest a key as its own spelling when it belongs to other blocks", () => {
  expect(problemsOf({ ...minimalConfig(), hub: { host: "hub.example.test", env: "HUB" } })).toEqual([
    "jupyterhub:hub.env: unknown key here (it is a key of other blocks, not of this one)",
  ]);
});
