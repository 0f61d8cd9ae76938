// Built images under mocks: one docker-build Image per folder a profile uses (and the base under
// it), pinned by digest in the chart values, and a pull secret from the read-only 1Password login.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { contextHash, IMAGES_DIR, imageTag } from "../../components/images/imageBuild";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { SECRET_PLACEHOLDER, type RecordedResource } from "../harness/recordedResource";
import { asStackConfig, minimalConfig, profile } from "../fixtures/configs";

const of = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const IMAGE = "docker-build:index:Image";
const DIGEST = /@sha256:[a-f0-9]{64}$/;

function imagesStack() {
  return {
    ...minimalConfig(),
    images: { owner: "maria", credentials: { vault: "vault-uuid", item: "GHCR login" }, pullCredentials: { vault: "vault-uuid", item: "GHCR read-only" } },
    profiles: [
      profile({ slug: "minimal", default: true, image: "quay.io/jupyter/minimal-notebook:2025-10-06" }),
      profile({ slug: "science", image: { build: "datascience" } }),
      profile({ slug: "gpu", gpus: 1, image: { build: "pytorch-cuda" } }),
      profile({ slug: "old", enabled: false, image: { build: "pytorch-cuda" } }),
    ],
  };
}

let rendered: RenderedStack;
beforeAll(async () => {
  rendered = await renderStack(asStackConfig(imagesStack()));
});

it("builds the folders enabled profiles use, and the base they build on, tagged by context hash", () => {
  const images = Object.fromEntries(of(rendered.resources, IMAGE).map((i) => [i.name, i.inputs]));
  expect(Object.keys(images).sort()).toEqual(["jupyterhub-base", "jupyterhub-datascience", "jupyterhub-pytorch-cuda"]);
  const baseHash = contextHash(path.join(IMAGES_DIR, "base"));
  expect(images["jupyterhub-base"]).toEqual({
    tags: [`ghcr.io/maria/jupyter-base:${imageTag(baseHash)}`],
    context: { location: "images/base" },
    platforms: ["linux/amd64"],
    push: true,
    buildOnPreview: true,
    network: "default",
    registries: SECRET_PLACEHOLDER, // the SDK makes the whole list secret, as its password is
  });
  expect(images["jupyterhub-datascience"]).toMatchObject({
    tags: [`ghcr.io/maria/jupyter-datascience:${imageTag(contextHash(path.join(IMAGES_DIR, "datascience")), baseHash)}`],
    context: { location: "images/datascience" },
    buildArgs: { BASE_IMAGE: expect.stringMatching(new RegExp(`^ghcr.io/maria/jupyter-base:ctx-[0-9a-f]{16}${DIGEST.source}`)) },
  });
});

it("leaves pushed images in the registry on destroy: another stack may run the same content-tagged image", () => {
  // docker-build deletes every pushed tag's manifest when an Image is deleted (pulumi-docker-build
  // provider/internal/image.go, Delete); two stacks building the same folder push the same tag.
  const images = of(rendered.resources, IMAGE);
  expect(images.length).toBeGreaterThan(0);
  for (const image of images) expect(image.retainOnDelete).toBe(true);
});

it("in a preview, builds (buildOnPreview) but leaves new digests unknown, as the provider does", async () => {
  // pulumi-go-provider infer (markComputed): during a preview every output of a created or changed
  // resource that does not echo an input is unknown, so docker-build's digest and ref are unknown
  // there although the build runs; the chart values wait for them.
  const preview = await renderStack(asStackConfig(imagesStack()), "test", undefined, { preview: true });
  expect(of(preview.resources, IMAGE).every((i) => i.inputs.buildOnPreview === true)).toBe(true);
  const profiles = (preview.values as Record<string, any>).singleuser.profileList as { slug: string; kubespawner_override: { image: unknown } }[];
  const images = Object.fromEntries(profiles.map((p) => [p.slug, p.kubespawner_override.image]));
  expect(images.minimal).toBe("quay.io/jupyter/minimal-notebook:2025-10-06");
  expect(pulumi.isUnknown(images.science)).toBe(true);
});

it("hands the chart each built image as repository:tag@digest, and external ones as they are", () => {
  const profiles = (rendered.values as Record<string, any>).singleuser.profileList as { slug: string; kubespawner_override: { image: string } }[];
  const images = Object.fromEntries(profiles.map((p) => [p.slug, p.kubespawner_override.image]));
  expect(images.minimal).toBe("quay.io/jupyter/minimal-notebook:2025-10-06");
  expect(images.science).toMatch(new RegExp(`^ghcr\\.io/maria/jupyter-datascience:ctx-[0-9a-f]{16}${DIGEST.source}`));
  expect(images.gpu).toMatch(new RegExp(`^ghcr\\.io/maria/jupyter-pytorch-cuda:ctx-[0-9a-f]{16}${DIGEST.source}`));
});

it("makes a dockerconfigjson pull secret from the pull login and has every pod use it", () => {
  const pull = of(rendered.resources, "kubernetes:core/v1:Secret").find((s) => (s.inputs.metadata as { name: string }).name === "jupyterhub-image-pull")!;
  expect(pull.parent).toBe("jupyterhub:images:PullSecret::jupyterhub-image-pull");
  expect(pull.inputs).toMatchObject({ type: "kubernetes.io/dockerconfigjson", stringData: SECRET_PLACEHOLDER });
  expect((rendered.values as Record<string, unknown>).imagePullSecrets).toEqual(["jupyterhub-image-pull"]);
});

it("builds nothing and needs no registry for external images", async () => {
  const { resources, values } = await renderStack(asStackConfig(minimalConfig()));
  expect(resources.filter((r) => r.type.startsWith("docker") || r.type.startsWith("jupyterhub:images"))).toEqual([]);
  expect((values as Record<string, unknown>).imagePullSecrets).toBeUndefined();
});

it("fails before declaring anything when a profile builds a folder that does not exist", async () => {
  const config = {
    ...minimalConfig(),
    images: { owner: "maria", credentials: { vault: "v", item: "GHCR" }, pullCredentials: { vault: "v", item: "GHCR pull" } },
    profiles: [profile({ default: true, image: { build: "nosuch" } })],
  };
  await expect(renderStack(asStackConfig(config))).rejects.toThrow("jupyterhub:profiles[0].image.build: images/nosuch/Dockerfile does not exist");
});

// pulumi-docker-build v0.0.22 provider/internal/image.go: Create (and Update, through it) returns
// before the build in a preview when buildOnPreview is false, so a preview runner needs no Docker
// engine to get through; the default, true, builds there (without pushing) to catch a broken image.
describe("images.buildOnPreview", () => {
  it("is on unless the stack says otherwise", () => {
    expect(of(rendered.resources, IMAGE).map((i) => i.inputs.buildOnPreview)).toEqual([true, true, true]);
  });

  it("off, reaches every image, and a preview leaves the new digests unknown as before", async () => {
    const config = imagesStack();
    const preview = await renderStack(asStackConfig({ ...config, images: { ...config.images, buildOnPreview: false } }), "test", undefined, { preview: true });
    expect(of(preview.resources, IMAGE).map((i) => i.inputs.buildOnPreview)).toEqual([false, false, false]);
    const profiles = (preview.values as Record<string, any>).singleuser.profileList as { slug: string; kubespawner_override: { image: unknown } }[];
    expect(pulumi.isUnknown(profiles.find((p) => p.slug === "science")!.kubespawner_override.image)).toBe(true);
  });

  it("takes a boolean only, naming the key", async () => {
    const config = imagesStack();
    await expect(renderStack(asStackConfig({ ...config, images: { ...config.images, buildOnPreview: "no" } }))).rejects.toThrow("jupyterhub:images.buildOnPreview: ");
  });
});
