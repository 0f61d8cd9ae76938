// The committed list of published images (images/published.json), read once. On its own so tests
// can stand in another list (jest.mock) while everything else reads it through publishedImages().
import * as fs from "fs";
import * as path from "path";
import { parsePublishedImages, type PublishedImages } from "./publishedImages";

export const PUBLISHED_IMAGES_FILE = path.join(__dirname, "..", "images", "published.json");

let published: PublishedImages | undefined;

/** images/published.json, checked (parsePublishedImages): name → pinned reference, or null. */
export function publishedImages(): PublishedImages {
  published ??= parsePublishedImages(fs.readFileSync(PUBLISHED_IMAGES_FILE, "utf8"), "images/published.json");
  return published;
}
