// Images this project's CI publishes (.github/workflows/images.yml): public on GHCR, so a profile
// can run one with `image: { published: <name> }` without building anything and without registry
// credentials. images/published.json names them and pins the release of each that profiles get
// (name → "ghcr.io/<owner>/jupyterhub-pulumi-<name>:<version>@sha256:<digest>", or null until a
// release is pinned); Renovate proposes each new release's pins (renovate.json).
import type { CrossCheckProblem } from "./crossChecks";
import { closestName } from "./closestName";
import { IMAGE_FOLDER } from "./imagesSchema";
import type { Settings } from "./schema";

export type PublishedImages = Readonly<Record<string, string | null>>;

/** What the workflow publishes images/<name> as: ghcr.io/<owner>/<PUBLISHED_PREFIX>-<name>. */
export const PUBLISHED_PREFIX = "jupyterhub-pulumi";
export const PUBLISHED_REGISTRY = "ghcr.io";

// A release tag (the package version) and the digest of what the workflow pushed: nothing floats.
const PIN = new RegExp(
  `^${PUBLISHED_REGISTRY.replace(/\./g, "\\.")}/([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)/${PUBLISHED_PREFIX}-(${IMAGE_FOLDER.source.slice(1, -1)}):(\\d+\\.\\d+\\.\\d+)@sha256:[a-f0-9]{64}$`,
);

/** The text of images/published.json, checked; throws naming the file and the entry that is wrong. */
export function parsePublishedImages(text: string, file: string): PublishedImages {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`);
  }
  const images = (parsed as { images?: unknown } | null)?.images;
  if (!images || typeof images !== "object" || Array.isArray(images)) throw new Error(`${file}: "images" must be a map of image name → pinned reference or null`);
  for (const [name, pin] of Object.entries(images)) {
    if (!IMAGE_FOLDER.test(name)) throw new Error(`${file}: "${name}" is not a folder name of images/`);
    if (pin === null) continue;
    const match = typeof pin === "string" ? PIN.exec(pin) : null;
    if (!match || match[2] !== name) {
      throw new Error(
        `${file}: images.${name} must be null or ${PUBLISHED_REGISTRY}/<owner>/${PUBLISHED_PREFIX}-${name}:<version>@sha256:<digest>, not ${JSON.stringify(pin)}`,
      );
    }
  }
  return images as PublishedImages;
}

/** The names with a release pinned: the ones a message may offer (the others are refused until then). */
export function pinnedNames(published: PublishedImages): string[] {
  return Object.keys(published).filter((name) => published[name] !== null);
}

/**
 * Profiles naming an image this project does not publish (any profile: a misspelt name is wrong
 * whether or not it is offered), or one with no release pinned yet (enabled profiles: only they are
 * deployed).
 */
export function publishedImageProblems(profiles: Settings["profiles"], published: PublishedImages): CrossCheckProblem[] {
  const names = Object.keys(published);
  return profiles.flatMap((profile, index): CrossCheckProblem[] => {
    if (typeof profile.image === "string" || !("published" in profile.image)) return [];
    const name = profile.image.published;
    const path = ["profiles", index, "image", "published"];
    if (!names.includes(name)) {
      const suggestion = closestName(name, names);
      return [
        {
          path,
          message: `'${name}' is not an image this project publishes${suggestion ? `; did you mean '${suggestion}'?` : "."} Published: ${names.join(", ")} (images/published.json)`,
        },
      ];
    }
    if (profile.enabled && published[name] === null) {
      return [
        {
          path,
          message: `'${name}' has no release pinned in images/published.json yet: the images workflow (.github/workflows/images.yml) publishes it at a release tag, and its pin is committed after that (images/README.md, "Published images"). Until then build it (image: { build: ${name} } with a jupyterhub:images block) or name an image with sshd of your own (image: <reference>, sshd: true)`,
        },
      ];
    }
    return [];
  });
}

/** The pinned reference of a published image; the settings checks refuse names without one. */
export function publishedImageReference(name: string, published: PublishedImages): string {
  const pin = published[name];
  if (!pin) throw new Error(`images/published.json pins no release of '${name}'; the settings checks should have refused this stack`);
  return pin;
}
