// scripts/publishImages.ts, which .github/workflows/images.yml runs, against stand-ins: a `docker`
// that records what it is asked and "pushes" into a state file, and a loopback registry that
// answers GHCR's anonymous token and manifest requests from that file (distribution spec: HEAD
// /v2/<name>/manifests/<tag> gives Docker-Content-Digest; a private package answers 401 to anyone
// without credentials). What GitHub and GHCR do for real is not run here.
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { contextHash, imageTag } from "../../components/images/imageBuild";
import { parsePublishedImages, publishedImageProblems } from "../../settings/publishedImages";
import { publishImages, publishOrder, releaseVersion, type PublishOptions } from "../../scripts/publishImages";
import { PROJECT_ROOT } from "../harness/stackConfig";
import { parseSettings } from "../../settings";
import { minimalConfig, profile } from "../fixtures/configs";

interface RegistryState {
  /** "ghcr.io/<owner>/<name>:<tag>" → digest */
  tags: Record<string, string>;
  /** Repositories anyone may read; others answer 401 without credentials. */
  publicRepositories?: string[];
  /** Every repository is public unless listed here. */
  privateRepositories?: string[];
  calls: string[][];
}

const VERSION = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).version as string;
const BASE = "ghcr.io/maria/jupyterhub-pulumi-base";
const SCIENCE = "ghcr.io/maria/jupyterhub-pulumi-datascience";
const baseTag = () => imageTag(contextHash(path.join(PROJECT_ROOT, "images", "base")));
const scienceTag = () => imageTag(contextHash(path.join(PROJECT_ROOT, "images", "datascience")), contextHash(path.join(PROJECT_ROOT, "images", "base")));
const digestOf = (text: string) => `sha256:${crypto.createHash("sha256").update(text).digest("hex")}`;

// A docker that understands the two commands the script runs. In bash, as a node script cost
// ~0.15 CPU-s a call (about 20 calls here), and with no command substitution: each $(...) forks,
// and four of them made a call cost ~30 ms of CPU instead of ~10. It keeps each call it answers
// (its arguments, NUL separated) in a file of its own under calls/, and each tag it pushes as a
// "<tag> <digest>" line in pushes; readState() puts them together with the state the test began
// with. A digest per push, unique in the registry: the number of calls so far, as 64 hex digits.
const fakeDocker = (dir: string) => `#!/usr/bin/env bash
set -eu
calls=${JSON.stringify(path.join(dir, "calls"))}
pushes=${JSON.stringify(path.join(dir, "pushes"))}
shopt -s nullglob
earlier=("$calls"/*)
n=$(( \${#earlier[@]} + 1 ))
# value FLAG ARGS...: sets value to the argument after FLAG.
value() { local flag=$1; shift; value=; while [ $# -gt 1 ]; do if [ "$1" = "$flag" ]; then value=$2; return; fi; shift; done; }
if [ "\${1-}" = buildx ] && [ "\${2-}" = build ]; then
  pushed=; for arg in "$@"; do [ "$arg" = --push ] && pushed=1; done
  [ -n "$pushed" ] || exit 3
  printf -v digest 'sha256:%064x' "$n"
  value --tag "$@"; printf '%s %s\\n' "$value" "$digest" >> "$pushes"
  value --metadata-file "$@"; printf '{"containerimage.digest": "%s"}' "$digest" > "$value"
elif [ "\${1-}" = buildx ] && [ "\${2-}" = imagetools ] && [ "\${3-}" = create ]; then
  last=\${@: -1}
  value --tag "$@"; printf '%s %s\\n' "$value" "\${last#*@}" >> "$pushes"
else
  exit 2
fi
printf -v call '%04d' "$n"
printf '%s\\0' "$@" > "$calls/$call"
`;

let dir: string;
let stateFile: string;
let registry: http.Server;
let registryApi: string;
const requests: { url: string; accept?: string }[] = [];

/** The state the test began with, then what the docker stand-in did since, in order. */
const readState = (): RegistryState => {
  const state = JSON.parse(fs.readFileSync(stateFile, "utf8")) as RegistryState;
  const pushes = fs.existsSync(path.join(dir, "pushes")) ? fs.readFileSync(path.join(dir, "pushes"), "utf8").split("\n").filter(Boolean) : [];
  for (const line of pushes) {
    const [tag, digest] = line.split(" ");
    state.tags[tag] = digest;
  }
  for (const call of fs.readdirSync(path.join(dir, "calls")).sort()) state.calls.push(fs.readFileSync(path.join(dir, "calls", call), "utf8").split("\0").slice(0, -1));
  return state;
};
const writeState = (state: Partial<RegistryState>) => {
  fs.rmSync(path.join(dir, "calls"), { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "calls"));
  fs.rmSync(path.join(dir, "pushes"), { force: true });
  fs.writeFileSync(stateFile, JSON.stringify({ tags: {}, calls: [], ...state }));
};
const builds = () => readState().calls.filter((c) => c[1] === "build");

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "publish-images-"));
  stateFile = path.join(dir, "state.json");
  fs.writeFileSync(path.join(dir, "docker"), fakeDocker(dir), { mode: 0o755 });
  registry = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://registry");
    requests.push({ url: url.pathname + url.search, accept: request.headers.accept });
    const state = readState();
    if (url.pathname === "/token") {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "anonymous" }));
      return;
    }
    const match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
    const repository = match && `ghcr.io/${match[1]}`;
    if (!match || request.method !== "HEAD" || request.headers.authorization !== "Bearer anonymous") response.writeHead(400).end();
    else if (state.privateRepositories?.includes(repository!)) response.writeHead(401).end();
    else if (state.tags[`${repository}:${match[2]}`]) response.writeHead(200, { "docker-content-digest": state.tags[`${repository}:${match[2]}`] }).end();
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", resolve));
  registryApi = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => registry.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  writeState({});
  requests.length = 0;
});

const options = (overrides: Partial<PublishOptions> = {}): PublishOptions => ({
  owner: "maria",
  ref: `refs/tags/v${VERSION}`,
  source: "https://github.com/maria/jupyterhub-pulumi",
  pins: path.join(dir, "published.json"),
  summary: path.join(dir, "summary.md"),
  registryApi,
  docker: path.join(dir, "docker"),
  ...overrides,
});

describe("a release tag", () => {
  it("builds base, then datascience on the base by digest, tags both with the version and pins them", async () => {
    const results = await publishImages(options());
    const state = readState();
    const [base, science] = builds();
    expect(base).toEqual(expect.arrayContaining(["--platform", "linux/amd64", "--provenance", "mode=max", "--push", "--tag", `${BASE}:${baseTag()}`]));
    expect(base).toContain("--label");
    expect(base).toContain("org.opencontainers.image.source=https://github.com/maria/jupyterhub-pulumi");
    expect(base.at(-1)).toBe(path.join(PROJECT_ROOT, "images", "base"));
    expect(base).not.toContain("--build-arg");
    const baseDigest = state.tags[`${BASE}:${baseTag()}`];
    expect(science).toEqual(expect.arrayContaining(["--build-arg", `BASE_IMAGE=${BASE}:${baseTag()}@${baseDigest}`, "--tag", `${SCIENCE}:${scienceTag()}`]));
    // The version tag is the content tag's image, and that is what gets pinned.
    expect(state.tags[`${BASE}:${VERSION}`]).toBe(baseDigest);
    const pins = parsePublishedImages(fs.readFileSync(options().pins!, "utf8"), "pins");
    expect(pins).toEqual({ base: `${BASE}:${VERSION}@${baseDigest}`, datascience: `${SCIENCE}:${VERSION}@${state.tags[`${SCIENCE}:${scienceTag()}`]}` });
    expect(results.map((r) => [r.name, r.built])).toEqual([["base", true], ["datascience", true]]);
    // Read as anyone reads it: no credentials, every manifest type a pin may be.
    expect(requests.find((r) => r.url.startsWith("/v2/"))?.accept).toContain("application/vnd.oci.image.index.v1+json");
    expect(fs.readFileSync(options().summary!, "utf8")).toContain(`"base": "${BASE}:${VERSION}@${baseDigest}"`);
  });

  it("gives pins the program takes: a profile may then name them", async () => {
    await publishImages(options());
    const pins = parsePublishedImages(fs.readFileSync(options().pins!, "utf8"), "pins");
    expect(publishedImageProblems([profileOf({ published: "base" }), profileOf({ published: "datascience" })], pins)).toEqual([]);
    // The control: the committed list's own names, unpinned, are refused.
    expect(publishedImageProblems([profileOf({ published: "base" })], { base: null })).toHaveLength(1);
  });

  it("builds nothing again on a re-run, and pins the same images", async () => {
    await publishImages(options());
    const first = fs.readFileSync(options().pins!, "utf8");
    const callsBefore = readState().calls.length;
    const results = await publishImages(options());
    expect(readState().calls.length).toBe(callsBefore);
    expect(results.map((r) => r.built)).toEqual([false, false]);
    expect(fs.readFileSync(options().pins!, "utf8")).toBe(first);
  });

  it("builds only what is missing: datascience on the base already published", async () => {
    const baseDigest = digestOf("earlier base");
    writeState({ tags: { [`${BASE}:${baseTag()}`]: baseDigest } });
    await publishImages(options());
    expect(builds().map((c) => c[c.indexOf("--tag") + 1])).toEqual([`${SCIENCE}:${scienceTag()}`]);
    expect(builds()[0]).toContain(`BASE_IMAGE=${BASE}:${baseTag()}@${baseDigest}`);
    expect(readState().tags[`${BASE}:${VERSION}`]).toBe(baseDigest);
  });

  it("refuses a tag that is not package.json's version, before building anything", async () => {
    await expect(publishImages(options({ ref: "refs/tags/v99.0.0" }))).rejects.toThrow(
      `release tag v99.0.0 is not v${VERSION}, package.json's version: set the version in package.json first, then tag that commit v<version>`,
    );
    expect(readState().calls).toEqual([]);
  });

  it("refuses to move a version that is already published as another image", async () => {
    writeState({ tags: { [`${BASE}:${VERSION}`]: digestOf("another base") } });
    await expect(publishImages(options())).rejects.toThrow(`${BASE}:${VERSION} is ${digestOf("another base")}, not ${baseTag()}`);
  });

  it("fails, naming the package to make public, when GHCR keeps it private", async () => {
    writeState({ privateRepositories: [BASE] });
    fs.rmSync(options().pins!, { force: true });
    await expect(publishImages(options())).rejects.toThrow(
      `${BASE}:${baseTag()} cannot be pulled without credentials, which stacks rely on. GHCR makes a new package private: make jupyterhub-pulumi-base public once`,
    );
    expect(fs.existsSync(options().pins!)).toBe(false);
  });
});

it("publishes content tags only from a branch, and pins nothing", async () => {
  fs.rmSync(options().pins!, { force: true });
  fs.rmSync(options().summary!, { force: true });
  const results = await publishImages(options({ ref: "refs/heads/main", owner: "Maria" }));
  expect(Object.keys(readState().tags).sort()).toEqual([`${BASE}:${baseTag()}`, `${SCIENCE}:${scienceTag()}`]);
  expect(readState().calls.filter((c) => c[1] === "imagetools")).toEqual([]);
  expect(results.every((r) => r.pin === undefined)).toBe(true);
  expect(fs.existsSync(options().pins!)).toBe(false);
  expect(fs.readFileSync(options().summary!, "utf8")).toContain("A branch build: content tags only");
});

it("reads the version from release tags only", () => {
  expect(releaseVersion("refs/heads/main", "1.2.3")).toBeUndefined();
  expect(releaseVersion("refs/tags/v1.2.3", "1.2.3")).toBe("1.2.3");
  expect(() => releaseVersion("refs/pull/4/merge", "1.2.3")).toThrow("is neither a branch nor a tag");
});

it("publishes the base first and refuses a list whose images cannot be built", () => {
  const images = path.join(dir, "images");
  fs.mkdirSync(path.join(images, "base"), { recursive: true });
  fs.mkdirSync(path.join(images, "science"), { recursive: true });
  fs.writeFileSync(path.join(images, "base", "Dockerfile"), "FROM quay.io/jupyter/minimal-notebook:2025-10-06\n");
  fs.writeFileSync(path.join(images, "science", "Dockerfile"), "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n");
  expect(publishOrder({ science: null, base: null }, images)).toEqual([{ name: "base", onBase: false }, { name: "science", onBase: true }]);
  expect(() => publishOrder({ science: null }, images)).toThrow("names images built on base (ARG BASE_IMAGE), but not base itself");
  expect(() => publishOrder({ base: null, gone: null }, images)).toThrow("images/published.json names gone, but images/gone/Dockerfile does not exist");
});

it("lets Renovate find the pins it writes: image, version and digest", async () => {
  await publishImages(options());
  const renovate = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "renovate.json"), "utf8"));
  const manager = renovate.customManagers.find((m: { managerFilePatterns: string[] }) => m.managerFilePatterns.some((p) => new RegExp(p.slice(1, -1)).test("images/published.json")));
  expect(manager).toMatchObject({ datasourceTemplate: "docker", versioningTemplate: "semver" });
  const text = fs.readFileSync(options().pins!, "utf8");
  const found = manager.matchStrings.flatMap((source: string) => [...text.matchAll(new RegExp(source, "g"))].map((m) => m.groups));
  const state = readState();
  expect(found).toEqual([
    { depName: BASE, currentValue: VERSION, currentDigest: state.tags[`${BASE}:${VERSION}`] },
    { depName: SCIENCE, currentValue: VERSION, currentDigest: state.tags[`${SCIENCE}:${VERSION}`] },
  ]);
  // The committed list, with no release pinned, gives Renovate nothing to mistake for a pin.
  const committed = fs.readFileSync(path.join(PROJECT_ROOT, "images", "published.json"), "utf8");
  const committedPins = Object.values(parsePublishedImages(committed, "images/published.json")).filter((pin) => pin !== null);
  expect(manager.matchStrings.flatMap((source: string) => [...committed.matchAll(new RegExp(source, "g"))]).length).toBe(committedPins.length);
});

function profileOf(image: { published: string }) {
  return parseSettings({ ...minimalConfig(), profiles: [profile({ default: true, image: "quay.io/jupyter/scipy-notebook:2025-10-06" })] }).profiles.map((p) => ({ ...p, image }))[0];
}
