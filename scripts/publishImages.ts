// Publishes the kernel images named in images/published.json to GHCR, public, for
// .github/workflows/images.yml, so that a stack can run them with `image: { published: <name> }`:
// nothing to build, no registry credentials.
//
//   node -r ./scripts/registerTypeScript.cjs scripts/publishImages.ts --owner <GitHub owner> --ref <git ref> \
//     --source <repository URL> [--pins <file>] [--summary <file>]
//
// Docker with a BuildKit builder that can push (docker-container driver) and a `docker login ghcr.io`
// that may write the owner's packages. For each image, the base first:
// - ghcr.io/<owner>/jupyterhub-pulumi-<name>:ctx-<hash> is the folder's content tag, the tag a stack
//   building the folder itself gives (components/images/imageBuild.ts). It is built, with BuildKit's
//   provenance attached, and pushed only when the registry does not have it yet: a push to main that
//   leaves images/ alone builds nothing. An image built on the base gets the base by digest.
// - What was pushed must be pullable by anyone: read back without credentials, the tag has to give
//   the digest just pushed (GHCR makes a new package private; make it public once and re-run).
// - At a release tag v<version> (package.json's version) each image is also tagged <version>, and
//   --pins gets images/published.json with each image pinned as ...-<name>:<version>@sha256:<digest>,
//   which is what stacks run after it is committed (Renovate proposes it for later releases).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BASE_FOLDER, contextHash, imageTag, usesBaseImage } from "../components/images/imageBuild";
import { parsePublishedImages, PUBLISHED_PREFIX, PUBLISHED_REGISTRY, type PublishedImages } from "../settings/publishedImages";

const ROOT = path.join(__dirname, "..");
const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

export interface PublishOptions {
  /** The GitHub owner the packages belong to (github.repository_owner). */
  readonly owner: string;
  /** The pushed ref: refs/tags/v<version> publishes a release, refs/heads/<branch> content tags only. */
  readonly ref: string;
  /** The repository's URL, the images' org.opencontainers.image.source (GHCR links the package to it). */
  readonly source: string;
  /** Where images/published.json with this release's pins goes (releases only). */
  readonly pins?: string;
  /** A Markdown file the report is appended to (the job summary). */
  readonly summary?: string;
  /** The registry's HTTP API, read without credentials; another only in tests. */
  readonly registryApi?: string;
  /** The project, its images/ and package.json; another only in tests. */
  readonly root?: string;
  /** The docker command; a stand-in only in tests. */
  readonly docker?: string;
}

export interface PublishedImage {
  readonly name: string;
  /** ghcr.io/<owner>/jupyterhub-pulumi-<name> */
  readonly repository: string;
  readonly contentTag: string;
  readonly digest: string;
  readonly built: boolean;
  /** repository:<version>@<digest>, at a release. */
  readonly pin?: string;
}

/** The release version a ref publishes, undefined for a branch; refuses a tag that is not package.json's version. */
export function releaseVersion(ref: string, packageVersion: string): string | undefined {
  if (ref.startsWith("refs/heads/")) return undefined;
  const tag = /^refs\/tags\/(.+)$/.exec(ref)?.[1];
  if (!tag) throw new Error(`${ref} is neither a branch nor a tag; images are published from a branch (content tags) or a release tag v<version>`);
  if (tag !== `v${packageVersion}`) {
    throw new Error(`release tag ${tag} is not v${packageVersion}, package.json's version: set the version in package.json first, then tag that commit v<version>`);
  }
  return packageVersion;
}

/** The images to publish, the base first: the others may build on it. */
export function publishOrder(published: PublishedImages, imagesDir: string): { name: string; onBase: boolean }[] {
  const names = Object.keys(published);
  const images = names.map((name) => {
    const dockerfile = path.join(imagesDir, name, "Dockerfile");
    if (!fs.existsSync(dockerfile)) throw new Error(`images/published.json names ${name}, but images/${name}/Dockerfile does not exist`);
    return { name, onBase: name !== BASE_FOLDER && usesBaseImage(fs.readFileSync(dockerfile, "utf8")) };
  });
  if (images.some((image) => image.onBase) && !names.includes(BASE_FOLDER)) {
    throw new Error(`images/published.json names images built on ${BASE_FOLDER} (ARG BASE_IMAGE), but not ${BASE_FOLDER} itself`);
  }
  return [...images.filter((image) => image.name === BASE_FOLDER), ...images.filter((image) => image.name !== BASE_FOLDER)];
}

/** The digest a tag has for anyone (no credentials), undefined when it cannot be read that way. */
export async function publicDigest(api: string, repository: string, tag: string): Promise<string | undefined> {
  const name = repository.slice(`${PUBLISHED_REGISTRY}/`.length);
  const token = await fetch(`${api}/token?scope=repository:${name}:pull&service=${PUBLISHED_REGISTRY}`);
  if (!token.ok) return undefined;
  const { token: bearer } = (await token.json()) as { token?: string };
  const manifest = await fetch(`${api}/v2/${name}/manifests/${tag}`, {
    method: "HEAD",
    headers: { Accept: MANIFEST_TYPES.join(", "), ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
  });
  const digest = manifest.headers.get("docker-content-digest") ?? "";
  return manifest.ok && /^sha256:[a-f0-9]{64}$/.test(digest) ? digest : undefined;
}

function run(docker: string, args: string[]): void {
  const result = spawnSync(docker, args, { stdio: "inherit" });
  if (result.error) throw new Error(`docker ${args.slice(0, 2).join(" ")} could not run: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`docker ${args.slice(0, 2).join(" ")} failed (exit ${result.status})`);
}

/** Builds and pushes one image; the digest BuildKit pushed. */
function buildAndPush(docker: string, reference: string, context: string, labels: Record<string, string>, baseImage?: string): string {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "publish-"));
  const metadata = path.join(scratch, "metadata.json");
  try {
    run(docker, [
      "buildx",
      "build",
      "--platform",
      "linux/amd64",
      // SLSA provenance in the pushed index: the digest a stack pins covers it.
      "--provenance",
      "mode=max",
      "--push",
      "--metadata-file",
      metadata,
      ...Object.entries(labels).flatMap(([key, value]) => ["--label", `${key}=${value}`]),
      ...(baseImage ? ["--build-arg", `BASE_IMAGE=${baseImage}`] : []),
      "--tag",
      reference,
      context,
    ]);
    const digest = (JSON.parse(fs.readFileSync(metadata, "utf8")) as Record<string, unknown>)["containerimage.digest"];
    if (typeof digest !== "string" || !/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`${reference} was built, but BuildKit reported no pushed digest`);
    return digest;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function notPublic(repository: string, tag: string, owner: string): Error {
  const name = repository.split("/").pop();
  return new Error(
    `${repository}:${tag} cannot be pulled without credentials, which stacks rely on. GHCR makes a new package private: make ${name} public once (https://github.com/${owner}?tab=packages → ${name} → Package settings → Change visibility), then re-run this workflow; what was pushed is not built again`,
  );
}

export async function publishImages(options: PublishOptions): Promise<PublishedImage[]> {
  const root = options.root ?? ROOT;
  const api = options.registryApi ?? `https://${PUBLISHED_REGISTRY}`;
  const docker = options.docker ?? "docker";
  const owner = options.owner.toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(owner)) throw new Error(`'${options.owner}' is not a GitHub owner name`);
  const packageVersion = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  const version = releaseVersion(options.ref, packageVersion);
  const manifestFile = path.join(root, "images", "published.json");
  const manifestText = fs.readFileSync(manifestFile, "utf8");
  const order = publishOrder(parsePublishedImages(manifestText, "images/published.json"), path.join(root, "images"));

  const hashes = new Map<string, string>();
  const hashOf = (name: string) => hashes.get(name) ?? hashes.set(name, contextHash(path.join(root, "images", name))).get(name)!;
  const results: PublishedImage[] = [];
  let base: string | undefined;
  for (const { name, onBase } of order) {
    const repository = `${PUBLISHED_REGISTRY}/${owner}/${PUBLISHED_PREFIX}-${name}`;
    const contentTag = imageTag(hashOf(name), onBase ? hashOf(BASE_FOLDER) : undefined);
    let digest = await publicDigest(api, repository, contentTag);
    const built = digest === undefined;
    if (built) {
      const labels = {
        "org.opencontainers.image.source": options.source,
        "org.opencontainers.image.title": `${PUBLISHED_PREFIX}-${name}`,
        "org.opencontainers.image.description": `images/${name} of ${options.source}`,
      };
      const pushed = buildAndPush(docker, `${repository}:${contentTag}`, path.join(root, "images", name), labels, onBase ? base : undefined);
      digest = await publicDigest(api, repository, contentTag);
      if (digest === undefined) throw notPublic(repository, contentTag, owner);
      // Another run (main and a release tag of one commit run side by side) pushed the same content
      // meanwhile: either build will do, and the tag's is the one everything else sees.
      if (digest !== pushed) console.log(`::warning::${repository}:${contentTag} is ${digest}, pushed meanwhile by another run; using it rather than ${pushed}`);
    }
    if (name === BASE_FOLDER) base = `${repository}:${contentTag}@${digest}`;
    let pin: string | undefined;
    if (version) {
      let released = await publicDigest(api, repository, version);
      if (released === undefined) {
        // One source that is an index is pushed as its own bytes (buildx util/imagetools/create.go,
        // "on single source, return original bytes"): the version tag gets the content tag's digest.
        run(docker, ["buildx", "imagetools", "create", "--tag", `${repository}:${version}`, `${repository}@${digest}`]);
        released = await publicDigest(api, repository, version);
        if (released === undefined) throw notPublic(repository, version, owner);
      }
      if (released !== digest) {
        throw new Error(`${repository}:${version} is ${released}, not ${contentTag} (${digest}), this commit's images/${name}: a version is published once; release a new one`);
      }
      pin = `${repository}:${version}@${released}`;
    }
    results.push({ name, repository, contentTag, digest: digest!, built, ...(pin ? { pin } : {}) });
  }

  if (version && options.pins) fs.writeFileSync(options.pins, pinnedManifest(manifestText, results));
  if (options.summary) fs.appendFileSync(options.summary, summary(results, version));
  return results;
}

/** images/published.json with this release's pins, everything else as it was. */
export function pinnedManifest(manifestText: string, results: readonly PublishedImage[]): string {
  const manifest = JSON.parse(manifestText) as { images: Record<string, string | null> };
  for (const { name, pin } of results) if (pin) manifest.images[name] = pin;
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  parsePublishedImages(text, "the pinned images/published.json");
  return text;
}

function summary(results: readonly PublishedImage[], version: string | undefined): string {
  const rows = results.map((r) => `| ${r.name} | \`${r.repository}:${r.contentTag}\` | \`${r.digest}\` | ${r.built ? "built and pushed" : "already published"} |`);
  const lines = ["## Published images", "", "| image | content tag | digest | |", "| --- | --- | --- | --- |", ...rows, ""];
  if (version) {
    const pins = Object.fromEntries(results.map((r) => [r.name, r.pin]));
    lines.push(
      `Release ${version}: stacks run these once images/published.json pins them (Renovate proposes it; the first time, commit this):`,
      "",
      "```json",
      JSON.stringify({ images: pins }, null, 2),
      "```",
      "",
    );
  } else {
    lines.push("A branch build: content tags only, which no stack pins. A release tag v<version> publishes the pinned ones.", "");
  }
  return `${lines.join("\n")}\n`;
}

function argument(args: string[], name: string, required: boolean): string | undefined {
  const index = args.indexOf(`--${name}`);
  const value = index >= 0 ? args[index + 1] : undefined;
  if (required && !value) throw new Error(`--${name} is required`);
  return value;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  try {
    const results = await publishImages({
      owner: argument(args, "owner", true)!,
      ref: argument(args, "ref", true)!,
      source: argument(args, "source", true)!,
      pins: argument(args, "pins", false),
      summary: argument(args, "summary", false),
      registryApi: argument(args, "registry-api", false),
    });
    for (const r of results) console.log(`${r.name}: ${r.pin ?? `${r.repository}:${r.contentTag}@${r.digest}`}${r.built ? "" : " (already published)"}`);
    return 0;
  } catch (error) {
    console.error(`::error::${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (require.main === module) main().then((code) => (process.exitCode = code));
