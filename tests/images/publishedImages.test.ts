// `image: { published: <name> }` (issue 19): SSH for a homelab with no image build and no registry
// credentials. The program reads images/published.json; here a stand-in list pins base (as a
// release would) and leaves datascience unpinned, so the tests do not change when real pins land.
import * as fs from "fs";
import * as path from "path";
import { gatewayBanner } from "../../components/ssh/gatewayObjects";
import { unpinnedImageReason } from "../../policies/rules/imagesPinned";
import { parseSettings } from "../../settings";
import { parsePublishedImages, publishedImageReference } from "../../settings/publishedImages";
import { renderStack } from "../harness/renderStack";
import { PROJECT_ROOT } from "../harness/stackConfig";
import { asStackConfig, minimalConfig, profile, type RawConfig } from "../fixtures/configs";
import { problemsOf } from "../fixtures/problemsOf";

// The schema reads the list when it loads (its description names the images), so the stand-in has
// its pin inline: the factory runs before this file's constants exist.
jest.mock("../../settings/publishedImagesFile", () => ({
  PUBLISHED_IMAGES_FILE: "images/published.json",
  publishedImages: () => ({ base: `ghcr.io/jupyter-homelab/jupyterhub-pulumi-base:0.1.0@sha256:${"ab".repeat(32)}`, datascience: null }),
}));
const BASE_PIN = `ghcr.io/jupyter-homelab/jupyterhub-pulumi-base:0.1.0@sha256:${"ab".repeat(32)}`;

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm4lCq0hGqkqz3y2m0d0H6b2Yb1m9Jm1p8x3xk0aDa1 ada@laptop";

/** A homelab's SSH: no jupyterhub:images block, no 1Password, one profile on the published base. */
function publishedSshConfig(image: RawConfig = { published: "base" }, extra: RawConfig = {}): RawConfig {
  return {
    ...minimalConfig(),
    users: [{ name: "ada", admin: true, ssh: { publicKeys: [KEY] } }, { name: "grace" }],
    profiles: [
      profile({ slug: "minimal", displayName: "Minimal", image: "quay.io/jupyter/minimal-notebook:2025-10-06" }),
      profile({ slug: "workbench", displayName: "Workbench", default: true, image }),
    ],
    ssh: { sourceRanges: ["192.168.0.0/16"] },
    ...extra,
  };
}

describe("a stack whose SSH profile runs the published base", () => {
  let rendered: Awaited<ReturnType<typeof renderStack>>;
  beforeAll(async () => {
    rendered = await renderStack(asStackConfig(publishedSshConfig()));
  });
  const values = () => rendered.values as Record<string, any>;
  const workbench = () => values().singleuser.profileList.find((p: { slug: string }) => p.slug === "workbench");

  it("runs the pinned release: the profile's image and, as the default profile, the chart's", () => {
    expect(workbench().kubespawner_override.image).toBe(BASE_PIN);
    expect(values().singleuser.image).toEqual({ name: "ghcr.io/jupyter-homelab/jupyterhub-pulumi-base", tag: `0.1.0@sha256:${"ab".repeat(32)}` });
    expect(unpinnedImageReason(workbench().kubespawner_override.image)).toBeUndefined();
  });

  it("runs sshd there, and marks its servers for the hub's SSH routes; the other profile gets neither", () => {
    expect(workbench().kubespawner_override.extra_labels).toEqual({ "jupyterhub-pulumi/sshd": "true" });
    expect(workbench().kubespawner_override.environment).toBeUndefined();
    const minimal = values().singleuser.profileList.find((p: { slug: string }) => p.slug === "minimal");
    expect(minimal.kubespawner_override.extra_labels).toBeUndefined();
    expect(minimal.kubespawner_override.environment).toEqual({ JUPYTERHUB_SSH_DISABLED: "1" });
    expect(values().custom.ssh.users).toEqual({ ada: "user-ada" });
    expect(rendered.resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap").map((r) => r.name)).toContain("jupyterhub-ssh-server-sshd");
  });

  it("builds nothing and needs no pull secret: GHCR serves the published images to anyone", () => {
    expect(rendered.resources.filter((r) => r.type.startsWith("docker-build:"))).toEqual([]);
    expect(rendered.resources.filter((r) => r.type === "kubernetes:core/v1:Secret" && /image-pull/.test(JSON.stringify(r.inputs.metadata)))).toEqual([]);
    expect(values()).not.toHaveProperty("imagePullSecrets");
    expect(JSON.stringify(values())).not.toContain("imagePullSecrets");
  });

  it("tells SSH users which profiles have no SSH, and not this one", () => {
    const banner = gatewayBanner(parseSettings(publishedSshConfig()));
    expect(banner).toContain("Servers of these profiles have no SSH: Minimal.");
  });
});

describe("refusals", () => {
  it("refuses a name this project does not publish, naming the key and the names it does", () => {
    expect(problemsOf(publishedSshConfig({ published: "bsae" }))).toEqual([
      "jupyterhub:profiles[1].image.published: 'bsae' is not an image this project publishes; did you mean 'base'? Published: base, datascience (images/published.json)",
    ]);
    expect(problemsOf(publishedSshConfig({ published: "pytorch-cuda" }))).toEqual([
      "jupyterhub:profiles[1].image.published: 'pytorch-cuda' is not an image this project publishes. Published: base, datascience (images/published.json)",
    ]);
  });

  it("refuses a published image with no release pinned yet, and says what to do until then", () => {
    expect(problemsOf(publishedSshConfig({ published: "datascience" }))).toEqual([
      "jupyterhub:profiles[1].image.published: 'datascience' has no release pinned in images/published.json yet: the images workflow (.github/workflows/images.yml) publishes it at a release tag, and its pin is committed after that (images/README.md, \"Published images\"). Until then build it (image: { build: datascience } with a jupyterhub:images block) or name an image with sshd of your own (image: <reference>, sshd: true)",
    ]);
    // Not offered, not deployed: a disabled profile may keep it.
    const disabled = publishedSshConfig();
    disabled.profiles = [...(disabled.profiles as RawConfig[]), profile({ slug: "later", image: { published: "datascience" }, enabled: false })];
    expect(problemsOf(disabled)).toEqual([]);
  });

  it("refuses a malformed image, naming all three shapes", () => {
    expect(problemsOf(publishedSshConfig({ published: "base", build: "base" }))).toEqual([
      "jupyterhub:profiles[1].image: must be a pinned image reference (registry/repository:tag), { build: <folder of images/> } or { published: <name in images/published.json> }",
    ]);
  });

  it("points a build without a jupyterhub:images block to the published image", () => {
    expect(problemsOf(publishedSshConfig({ build: "base" }))).toEqual([
      "jupyterhub:profiles[1].image: builds images/base, which needs a jupyterhub:images block (registry and credentials), or run the image this project publishes: image: { published: base }",
    ]);
    expect(problemsOf(publishedSshConfig({ build: "pytorch-cuda" }))).toEqual([
      "jupyterhub:profiles[1].image: builds images/pytorch-cuda, which needs a jupyterhub:images block (registry and credentials)",
    ]);
    // datascience is published but has no release pinned: offering it would be refused in turn.
    expect(problemsOf(publishedSshConfig({ build: "datascience" }))).toEqual([
      "jupyterhub:profiles[1].image: builds images/datascience, which needs a jupyterhub:images block (registry and credentials)",
    ]);
  });

  it("lets sshd: false turn sshd off on a published image", async () => {
    const config = publishedSshConfig();
    config.profiles = (config.profiles as RawConfig[]).map((p) => (p.slug === "workbench" ? { ...p, sshd: false } : p));
    expect(problemsOf(config)[0]).toMatch(/^jupyterhub:profiles: users have SSH keys, but no enabled profile runs sshd: give a profile the image this project publishes \(image: \{ published: base \}\)/);
  });
});

describe("images/published.json", () => {
  const committed = () => fs.readFileSync(path.join(PROJECT_ROOT, "images", "published.json"), "utf8");

  it("names folders of images/ with a Dockerfile, each unpinned or pinned to a release by digest", () => {
    const published = parsePublishedImages(committed(), "images/published.json");
    expect(Object.keys(published)).toEqual(expect.arrayContaining(["base"]));
    for (const [name, pin] of Object.entries(published)) {
      expect(fs.existsSync(path.join(PROJECT_ROOT, "images", name, "Dockerfile"))).toBe(true);
      if (pin !== null) expect(pin).toMatch(new RegExp(`^ghcr\\.io/[a-z0-9-]+/jupyterhub-pulumi-${name}:\\d+\\.\\d+\\.\\d+@sha256:[a-f0-9]{64}$`));
    }
  });

  it.each<[string, string]>([
    [`{ "images": { "base": "ghcr.io/a/jupyterhub-pulumi-base:0.1.0" } }`, "images.base must be null or ghcr.io/<owner>/jupyterhub-pulumi-base:<version>@sha256:<digest>"],
    [`{ "images": { "base": "ghcr.io/a/jupyterhub-pulumi-base:latest@sha256:${"a".repeat(64)}" } }`, "images.base must be null or"],
    [`{ "images": { "base": "ghcr.io/a/jupyterhub-pulumi-datascience:0.1.0@sha256:${"a".repeat(64)}" } }`, "images.base must be null or"],
    [`{ "images": { "Base": null } }`, `"Base" is not a folder name of images/`],
    [`{ "images": [] }`, `"images" must be a map`],
    [`not json`, "is not JSON"],
  ])("refuses %s", (text, message) => {
    expect(() => parsePublishedImages(text, "images/published.json")).toThrow(message);
  });

  it("gives the pin of a published image, and refuses one without", () => {
    expect(publishedImageReference("base", { base: BASE_PIN })).toBe(BASE_PIN);
    expect(() => publishedImageReference("base", { base: null })).toThrow("images/published.json pins no release of 'base'");
  });
});
