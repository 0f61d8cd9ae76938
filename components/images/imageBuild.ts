// Which images a stack builds from images/, what they are called and tagged, and how profiles
// refer to them. Pure apart from reading the images/ folders.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Settings } from "../../settings";
import { builtFolder, type ImagesSettings, type ProfileImage } from "../../settings/imagesSchema";
import { publishedImageReference } from "../../settings/publishedImages";
import { publishedImages } from "../../settings/publishedImagesFile";
import { configKey, type SettingsProblem } from "../../settings/SettingsError";

export const IMAGES_DIR = path.join(__dirname, "..", "..", "images");
/** The image the others build on, passed to them as the BASE_IMAGE build argument. */
export const BASE_FOLDER = "base";

/** Folder of images/ → the pushed image's pinned reference, "repository:tag@sha256:…". */
export type BuiltImages = Readonly<Record<string, string>>;

/** The reference a profile's server runs: its own, the stack's build, or the published release's pin. */
export function profileImageReference(image: ProfileImage, built: BuiltImages): string {
  if (typeof image === "string") return image;
  if ("published" in image) return publishedImageReference(image.published, publishedImages());
  const reference = built[image.build];
  if (!reference) throw new Error(`images/${image.build} was not built`);
  return reference;
}

export function usesBaseImage(dockerfile: string): boolean {
  return /^\s*ARG\s+BASE_IMAGE\b/m.test(dockerfile);
}

function dockerfileOf(folder: string, imagesDir: string): string {
  return fs.readFileSync(path.join(imagesDir, folder, "Dockerfile"), "utf8");
}

/** Folders the enabled profiles build, each after the base when it builds on it; base first. */
export function foldersToBuild(profiles: Settings["profiles"], imagesDir = IMAGES_DIR): string[] {
  const used = [...new Set(profiles.filter((p) => p.enabled).flatMap((p) => builtFolder(p.image) ?? []))];
  const needsBase = used.some((folder) => folder !== BASE_FOLDER && usesBaseImage(dockerfileOf(folder, imagesDir)));
  const ordered = used.filter((folder) => folder !== BASE_FOLDER).sort();
  return needsBase || used.includes(BASE_FOLDER) ? [BASE_FOLDER, ...ordered] : ordered;
}

/** Profiles that build a folder with no Dockerfile, as config problems. */
export function missingImageFolders(profiles: Settings["profiles"], imagesDir = IMAGES_DIR): SettingsProblem[] {
  return profiles.flatMap((profile, index) => {
    const folder = builtFolder(profile.image);
    return folder !== undefined && !fs.existsSync(path.join(imagesDir, folder, "Dockerfile"))
      ? [{ key: configKey(["profiles", index, "image", "build"]), message: `images/${folder}/Dockerfile does not exist` }]
      : [];
  });
}

/** Hash of every file in a build context (paths and contents), so only a changed folder rebuilds. */
export function contextHash(directory: string): string {
  const hash = crypto.createHash("sha256");
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(directory, relative), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) hash.update(child).update("\0").update(fs.readFileSync(path.join(directory, child))).update("\0");
    }
  };
  walk("");
  return hash.digest("hex");
}

export function imageRepository(images: ImagesSettings, folder: string): string {
  return `${images.registry}/${images.owner}/${images.prefix}-${folder}`;
}

/** Tag of a build: the context's hash, and the base's for images built on it. */
export function imageTag(folderHash: string, baseHash?: string): string {
  const hash = baseHash ? crypto.createHash("sha256").update(folderHash).update(baseHash).digest("hex") : folderHash;
  return `ctx-${hash.slice(0, 16)}`;
}

/**
 * "repo:tag" and the pushed manifest's digest ("sha256:…", docker-build's `digest` output) →
 * "repo:tag@sha256:…". The provider leaves the digest empty when nothing was exported; that
 * must not reach the chart as a reference that floats.
 */
export function pinnedReference(imageName: string, digest: string): string {
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`${imageName} was built but not pushed: docker-build gave no digest ('${digest}')`);
  return `${imageName}@${digest}`;
}

/** The `.dockerconfigjson` of a pull secret. */
export function dockerConfigJson(server: string, username: string, token: string): string {
  const auth = Buffer.from(`${username}:${token}`).toString("base64");
  return JSON.stringify({ auths: { [server]: { username, password: token, auth } } });
}
