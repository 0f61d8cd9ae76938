// The `jupyterhub:images` block: where images built from images/<folder> are pushed, the 1Password
// item whose login pushes them (write access, used only where `pulumi up` runs), and the separate,
// read-only one the cluster pulls them with.
import { z } from "zod";
import { imageReference } from "./primitives";
import { nameNotSecret } from "./secretShapes";
import { secretSourceSchema } from "./secretSourceSchema";

export const IMAGE_FOLDER = /^[a-z0-9][a-z0-9._-]*$/;

/** A registry login kept in 1Password: which item, and which of its fields hold the username and token. */
const onePasswordLogin = (token: string) =>
  z.strictObject({
    vault: nameNotSecret("a vault UUID").describe("UUID of the 1Password vault."),
    item: nameNotSecret("an item title").describe("Title of the item with the registry login."),
    usernameField: nameNotSecret("a field label").default("username").describe("Field with the registry username."),
    tokenField: nameNotSecret("a field label").default("credential").describe(`Field with the token (${token}).`),
  });

/** A registry login as a username and a token from any secret source ({ env } or { onePassword }). */
const tokenLogin = (token: string) =>
  z.strictObject({
    username: nameNotSecret("a registry username").describe("Registry username (not a secret), e.g. your GitHub user."),
    token: secretSourceSchema.describe(`The token (${token}): { env: VARIABLE } or { onePassword: { vault, item, field } }.`),
  });

const registryLogin = (token: string) =>
  z.union([onePasswordLogin(token), tokenLogin(token)], {
    error:
      "a registry login is a username and a token: { username: <registry user>, token: { env: VARIABLE } or { onePassword: { vault, item, field } } }, or a 1Password item { vault, item, usernameField, tokenField }",
  }).meta({ "x-type": "{ username, token: secret source } or { vault, item, usernameField, tokenField }" });

export type RegistryLogin = z.output<ReturnType<typeof registryLogin>>;

const lowerName = (what: string) =>
  z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, { error: `must be ${what}: lower-case letters, digits and . _ -` });

export const imagesSchema = z
  .strictObject({
    registry: z
      .string()
      .regex(/^[a-z0-9.-]+(:\d+)?$/, { error: "must be a registry host such as ghcr.io or registry.home.arpa:5000" })
      .default("ghcr.io")
      .describe("Registry the images are pushed to and pulled from."),
    owner: lowerName("a registry namespace (user or organisation)").describe("Owner in the registry, e.g. your GitHub user."),
    prefix: lowerName("an image name prefix").default("jupyter").describe("Images are named <registry>/<owner>/<prefix>-<folder>."),
    platform: z.string().default("linux/amd64").describe("Platform the images are built for."),
    buildOnPreview: z
      .boolean()
      .default(true)
      .describe(
        "Build new and changed images during `pulumi preview` too (not pushing them), so a broken image fails the preview. false: a preview builds nothing and its runner needs no Docker engine; a Dockerfile's syntax is still checked, a failing build shows only at `pulumi up`.",
      ),
    credentials: registryLogin("e.g. a GitHub token with write:packages").describe(
      "The login that pushes the images, read at deploy time: a 1Password item, or a username and a token from an environment variable or 1Password. Used only by the image build where `pulumi up` runs; it never goes into the cluster.",
    ),
    pullCredentials: registryLogin("e.g. a GitHub token with only read:packages")
      .optional()
      .describe(
        "A read-only registry login (a separate token from credentials), read at deploy time like credentials: it becomes the cluster's pull secret. Required with a jupyterhub:images block.",
      ),
  })
  .optional()
  .describe("Building the images in images/ and pulling private images. Absent: profiles use external images only.");

export type ImagesSettings = NonNullable<z.output<typeof imagesSchema>>;

/**
 * A profile's image: a pinned external reference, a folder of images/ built by the stack, or an
 * image this project's CI publishes (settings/publishedImages.ts; the name is checked there).
 */
export const profileImageSchema = z
  .union(
    [
      imageReference,
      z.strictObject({ build: z.string().regex(IMAGE_FOLDER, { error: "must be a folder name under images/" }) }),
      z.strictObject({ published: z.string().regex(IMAGE_FOLDER, { error: "must be the name of a published image, e.g. base" }) }),
    ],
    {
      error:
        "must be a pinned image reference (registry/repository:tag), { build: <folder of images/> } or { published: <name in images/published.json> }",
    },
  )
  .meta({ "x-type": "image reference, { build: folder } or { published: name }" });

export type ProfileImage = z.output<typeof profileImageSchema>;

/** The folder of images/ a profile's image is built from, if it is built by the stack. */
export function builtFolder(image: ProfileImage): string | undefined {
  return typeof image === "object" && "build" in image ? image.build : undefined;
}
