// Built images under mocks: one docker Image per folder a profile uses (and the base under it),
// pinned by digest in the chart values, and a pull secret from the read-only 1Password login.
import * as path from "path";
import { contextHash, IMAGES_DIR, imageTag } from "../../components/images/imageBuild";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { SECRET_PLACEHOLDER, type RecordedResource } from "../harness/recordedResource";
import { asStackConfig, minimalConfig, profile } from "../fixtures/configs";

const of = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const DIGEST = /@sha256:[a-f0-9]{64}$/;

let rendered: RenderedStack;
beforeAll(async () => {
  rendered = await renderStack(
    asStackConfig({
      ...minimalConfig(),
      images: { owner: "maria", credentials: { vault: "vault-uuid", item: "GHCR login" }, pullCredentials: { vault: "vault-uuid", item: "GHCR read-only" } },
      profiles: [
        profile({ slug: "minimal", default: true, image: "quay.io/jupyter/minimal-notebook:2025-10-06" }),
        profile({ slug: "science", image: { build: "datascience" } }),
        profile({ slug: "gpu", gpus: 1, image: { build: "pytorch-cuda" } }),
        profile({ slug: "old", enabled: false, image: { build: "pytorch-cuda" } }),
      ],
    }),
  );
});

it("builds the folders enabled profiles use, and the base they build on, tagged by context hash", () => {
  const images = Object.fromEntries(of(rendered.resources, "docker:index/image:Image").map((i) => [i.name, i.inputs]));
  expect(Object.keys(images).sort()).toEqual(["jupyterhub-base", "jupyterhub-datascience", "jupyterhub-pytorch-cuda"]);
  const baseHash = contextHash(path.join(IMAGES_DIR, "base"));
  expect(images["jupyterhub-base"]).toMatchObject({
    imageName: `ghcr.io/maria/jupyter-base:${imageTag(baseHash)}`,
    build: { context: "images/base", platform: "linux/amd64" },
    registry: SECRET_PLACEHOLDER,
  });
  expect(images["jupyterhub-datascience"]).toMatchObject({
    imageName: `ghcr.io/maria/jupyter-datascience:${imageTag(contextHash(path.join(IMAGES_DIR, "datascience")), baseHash)}`,
    build: { context: "images/datascience", args: { BASE_IMAGE: expect.stringMatching(new RegExp(`^ghcr.io/maria/jupyter-base:ctx-[0-9a-f]{16}${DIGEST.source}`)) } },
  });
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
  expect(resources.filter((r) => r.type.startsWith("docker:") || r.type.startsWith("jupyterhub:images"))).toEqual([]);
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
