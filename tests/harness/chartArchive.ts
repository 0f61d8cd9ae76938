// The real Zero to JupyterHub chart of each supported version, fetched from the JupyterHub chart
// repository into the test cache when no offline copy is at hand (helmTemplate.ts looks there
// first), and verified against a pinned sha256 before anything reads it.
//
// As `helm pull --repo` does (helm pkg/repo/v1/chartrepo.go FindChartInRepoURL): read
// <repository>/index.yaml, take the version's first URL, resolved against the repository
// (ResolveReferenceURL: an absolute URL is used as it is). The pins are the index's own `digest`s
// (the archive's sha256, helm pkg/repo/v1/index.go) for jupyterhub 4.2.0 and 4.4.0, as
// jupyterhub/helm-chart's gh-pages index.yaml lists them.
//
// The pin is of the archive, not of its unpacked files: the published chart is not the chart's
// git sources (what ../shared/z2jh/<version>/chart holds). The release job (zero-to-jupyterhub-k8s
// .github/workflows/publish.yml) generates values.schema.json, lets chartpress set the image tags
// in values.yaml and adds artifacthub annotations to Chart.yaml, so no hash of the sources can
// match it.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as jsYaml from "js-yaml";
import { testInputCacheDir } from "./testInputCache";

export const CHART_REPOSITORY = "https://hub.jupyter.org/helm-chart/";

/** sha256 of jupyterhub-<version>.tgz, from the chart repository's index.yaml. */
export const CHART_ARCHIVE_SHA256: Readonly<Record<string, string>> = {
  "4.2.0": "46d4d49e5ae051f88c0e7418cb03067ed398849ee0584099ed92b09935e9513c",
  "4.4.0": "99e429ca8205bf21468eaed978da7b425b94ead966db1875211dc310c6ebf228",
};

/** The repository to fetch from: Z2JH_CHART_REPOSITORY (a mirror, or a test's loopback server), else upstream's. */
export function chartRepository(): string {
  return process.env.Z2JH_CHART_REPOSITORY ?? CHART_REPOSITORY;
}

export function pinnedChartSha256(version: string): string {
  const pin = CHART_ARCHIVE_SHA256[version];
  if (!pin) throw new Error(`no pinned sha256 for the Z2JH chart ${version}: add its index.yaml digest to CHART_ARCHIVE_SHA256 in tests/harness/chartArchive.ts`);
  return pin;
}

/** Where a verified archive of this version unpacks to: one directory per pin, so a new pin fetches again. */
function cachedChartPath(version: string, sha256: string, cacheDir: string): string {
  return path.join(cacheDir, "z2jh", `${version}-${sha256.slice(0, 16)}`, "chart");
}

/** The chart from an earlier fetch, when the cache has it. */
export function cachedChartDirectory(version: string, cacheDir = testInputCacheDir(), sha256 = pinnedChartSha256(version)): string | undefined {
  const dir = cachedChartPath(version, sha256, cacheDir);
  return fs.existsSync(path.join(dir, "Chart.yaml")) ? dir : undefined;
}

/** helm's ResolveReferenceURL: an absolute URL as it is, a relative one against the repository with a trailing slash. */
export function resolveChartUrl(repository: string, reference: string): string {
  return new URL(reference, repository.endsWith("/") ? repository : `${repository}/`).toString();
}

async function download(url: string): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: "follow", signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${url} (${cause?.code ?? cause?.message ?? (error as Error).message})`);
  }
  if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`);
  return Buffer.from(await response.arrayBuffer());
}

interface IndexEntry {
  version?: string;
  urls?: string[];
  digest?: string;
}

export interface FetchChartOptions {
  readonly repository?: string;
  readonly sha256?: string;
  readonly cacheDir?: string;
}

/**
 * Fetches jupyterhub <version> from the repository, refuses it unless its sha256 is the pinned one,
 * and unpacks it into the cache (atomically: a concurrent fetch of the same archive is harmless).
 * Returns the chart directory (the one holding Chart.yaml).
 */
export async function fetchChart(version: string, options: FetchChartOptions = {}): Promise<string> {
  const repository = options.repository ?? chartRepository();
  const sha256 = options.sha256 ?? pinnedChartSha256(version);
  const cacheDir = options.cacheDir ?? testInputCacheDir();
  const cached = cachedChartDirectory(version, cacheDir, sha256);
  if (cached) return cached;

  const indexUrl = resolveChartUrl(repository, "index.yaml");
  const index = jsYaml.load((await download(indexUrl)).toString("utf8")) as { entries?: Record<string, IndexEntry[]> } | null;
  const entry = index?.entries?.jupyterhub?.find((e) => String(e.version) === version);
  if (!entry?.urls?.length) throw new Error(`${indexUrl} lists no jupyterhub ${version}`);
  // The index's digest is the archive's sha256 too: a different one means another archive than the pinned one.
  if (entry.digest && entry.digest !== sha256) throw new Error(`${indexUrl} lists jupyterhub ${version} with sha256 ${entry.digest}, not the pinned ${sha256}: refused`);
  const archiveUrl = resolveChartUrl(repository, entry.urls[0]);
  const archive = await download(archiveUrl);
  const actual = crypto.createHash("sha256").update(archive).digest("hex");
  if (actual !== sha256) throw new Error(`${archiveUrl} has sha256 ${actual}, not the pinned ${sha256}: refused`);

  const target = cachedChartPath(version, sha256, cacheDir);
  fs.mkdirSync(path.dirname(path.dirname(target)), { recursive: true });
  const scratch = fs.mkdtempSync(path.join(path.dirname(path.dirname(target)), `.${version}-unpacking-`));
  try {
    const file = path.join(scratch, `jupyterhub-${version}.tgz`);
    fs.writeFileSync(file, archive);
    // Unpacked only once the hash matched, so the archive's paths are upstream's.
    execFileSync("tar", ["-xzf", file, "-C", scratch], { stdio: ["ignore", "ignore", "pipe"] });
    const chartYaml = path.join(scratch, "jupyterhub", "Chart.yaml");
    if (!fs.existsSync(chartYaml)) throw new Error(`${archiveUrl} holds no jupyterhub/Chart.yaml`);
    const chart = jsYaml.load(fs.readFileSync(chartYaml, "utf8")) as { version?: unknown };
    if (String(chart.version) !== version) throw new Error(`${archiveUrl} holds chart version ${String(chart.version)}, not ${version}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    try {
      fs.renameSync(path.join(scratch, "jupyterhub"), target);
    } catch (error) {
      if (!cachedChartDirectory(version, cacheDir, sha256)) throw error; // another process won the race otherwise
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return target;
}
