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
