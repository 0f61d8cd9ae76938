import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  contextHash,
  dockerConfigJson,
  foldersToBuild,
  imageRepository,
  imageTag,
  missingImageFolders,
  pinnedReference,
  profileImageReference,
  usesBaseImage,
} from "../../components/images/imageBuild";
import { parseSettings } from "../../settings";
import { minimalConfig, profile } from "../fixtures/configs";

let imagesDir: string;
beforeEach(() => {
  imagesDir = fs.mkdtempSync(path.join(os.tmpdir(), "images-"));
  const write = (file: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(imagesDir, file)), { recursive: true });
    fs.writeFileSync(path.join(imagesDir, file), text);
  };
  write("base/Dockerfile", "FROM quay.io/jupyter/minimal-notebook:2025-10-06\nUSER ${NB_UID}\n");
  write("base/hooks/10-keys.sh", "echo keys\n");
  write("science/Dockerfile", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n");
  write("standalone/Dockerfile", "FROM quay.io/jupyter/r-notebook:2025-10-06\n");
});
afterEach(() => fs.rmSync(imagesDir, { recursive: true, force: true }));

const profilesOf = (...images: unknown[]) =>
  parseSettings({
    ...minimalConfig(),
    images: { owner: "maria", credentials: { vault: "v", item: "GHCR" }, pullCredentials: { vault: "v", item: "GHCR pull" } },
    profiles: images.map((image, index) => profile({ slug: `p${index}`, default: index === 0, image })),
  }).profiles;

describe("foldersToBuild", () => {
  it("builds what enabled profiles use, the base first when an image builds on it", () => {
    expect(foldersToBuild(profilesOf({ build: "science" }, "quay.io/x/y:1", { build: "science" }), imagesDir)).toEqual(["base", "science"]);
    expect(foldersToBuild(profilesOf({ build: "standalone" }), imagesDir)).toEqual(["standalone"]);
    expect(foldersToBuild(profilesOf("quay.io/x/y:1"), imagesDir)).toEqual([]);
  });

  it("names profiles whose folder has no Dockerfile", () => {
    expect(missingImageFolders(profilesOf({ build: "science" }, { build: "nosuch" }), imagesDir)).toEqual([
      { key: "jupyterhub:profiles[1].image.build", message: "images/nosuch/Dockerfile does not exist" },
    ]);
  });
});

describe("contextHash and tags", () => {
  it("changes when any file of the folder changes, and only then", () => {
    const before = contextHash(path.join(imagesDir, "base"));
    expect(contextHash(path.join(imagesDir, "base"))).toBe(before);
    fs.writeFileSync(path.join(imagesDir, "base/hooks/10-keys.sh"), "echo other keys\n");
    expect(contextHash(path.join(imagesDir, "base"))).not.toBe(before);
  });

  it("tags by the context hash, mixing in the base's for images built on it", () => {
    expect(imageTag("a".repeat(64))).toBe(`ctx-${"a".repeat(16)}`);
    expect(imageTag("a".repeat(64), "b".repeat(64))).not.toBe(imageTag("a".repeat(64), "c".repeat(64)));
  });
});

it("names images <registry>/<owner>/<prefix>-<folder> and pins the pushed digest", () => {
  const images = parseSettings({ ...minimalConfig(), images: { owner: "maria", credentials: { vault: "v", item: "GHCR" }, pullCredentials: { vault: "v", item: "GHCR pull" } } }).images!;
  expect(imageRepository(images, "base")).toBe("ghcr.io/maria/jupyter-base");
  const digest = `sha256:${"ab".repeat(32)}`;
  expect(pinnedReference("ghcr.io/maria/jupyter-base:ctx-1", digest)).toBe(`ghcr.io/maria/jupyter-base:ctx-1@${digest}`);
  expect(() => pinnedReference("ghcr.io/maria/jupyter-base:ctx-1", "")).toThrow("ghcr.io/maria/jupyter-base:ctx-1 was built but not pushed");
  expect(profileImageReference({ build: "base" }, { base: "r:t@sha256:abc" })).toBe("r:t@sha256:abc");
  expect(profileImageReference("quay.io/x/y:1", {})).toBe("quay.io/x/y:1");
  expect(() => profileImageReference({ build: "other" }, {})).toThrow("images/other was not built");
});

it("knows an image that builds on the base by its BASE_IMAGE argument", () => {
  expect(usesBaseImage("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n")).toBe(true);
  expect(usesBaseImage("FROM quay.io/jupyter/base-notebook:2025-10-06\n")).toBe(false);
});

it("writes a dockerconfigjson with the login for the registry", () => {
  expect(JSON.parse(dockerConfigJson("ghcr.io", "maria", "tok"))).toEqual({
    auths: { "ghcr.io": { username: "maria", password: "tok", auth: Buffer.from("maria:tok").toString("base64") } },
  });
});

it("rejects a built image without a registry block", () => {
  expect(() => parseSettings({ ...minimalConfig(), profiles: [profile({ default: true, image: { build: "base" } })] })).toThrow(
    "jupyterhub:profiles[0].image: builds images/base, which needs a jupyterhub:images block (registry and credentials)",
  );
});
