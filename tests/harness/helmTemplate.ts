// `helm template` over the real Zero to JupyterHub chart: what the cluster would get from a
// stack's values, rendered the way Helm renders it.
//
// The chart comes from an offline copy when there is one (Z2JH_CHARTS, else ../shared/z2jh beside
// the project: <root>/<version>/chart), else from the chart repository, fetched once per run by
// jest's global setup into the test cache (chartArchive.ts). The helm binary comes from the npm
// registry (layerBinary.ts). What helm rendered is kept, by everything it read (keptTemplate).
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import * as jsYaml from "js-yaml";
import { PROJECT_ROOT } from "./stackConfig";
import { layerBinary } from "./layerBinary";
import { cachedChartDirectory, chartRepository } from "./chartArchive";
import { testInputCacheDir } from "./testInputCache";

/** The Kubernetes version the chart's capability checks see (a current k3s). */
export const KUBE_VERSION = "1.32.0";

/** The offline copy of this chart version, when there is one: Z2JH_CHARTS, else ../shared/z2jh. */
export function offlineChartDirectory(version: string): string | undefined {
  const root = process.env.Z2JH_CHARTS ?? path.join(PROJECT_ROOT, "..", "shared", "z2jh");
  const dir = path.join(root, version, "chart");
  return fs.existsSync(path.join(dir, "Chart.yaml")) ? dir : undefined;
}

/** The chart sources of this version: the offline copy, else the verified fetch in the test cache. */
export function chartDirectory(version: string): string {
  const found = offlineChartDirectory(version) ?? cachedChartDirectory(version);
  // Never a silent skip: without the real chart these tests would prove nothing.
  if (!found) {
    throw new Error(
      `the real Z2JH chart ${version} is neither in an offline copy (Z2JH_CHARTS or ../shared/z2jh) nor in the test cache ` +
        `${testInputCacheDir()}: run the tests with jest, whose global setup fetches it from ${chartRepository()}`,
    );
  }
  return found;
}

/** The helm binary from the npm registry (layerBinary.ts). */
export function helmBinary(): string {
  return layerBinary("helm");
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: any;
}

export interface TemplateOptions {
  readonly release: string;
  readonly namespace: string;
  readonly chartVersion: string;
}

/**
 * What each `helm template` of this process gave, by everything it read: the same values of the
 * same stack are often rendered again by another test of a file. Each caller gets a copy of its own
 * to change.
 */
const rendered = new Map<string, Manifest[]>();

/** Renders the chart with these values, exactly as `helm template` does, and parses the manifests. */
export function helmTemplate(values: Record<string, unknown>, options: TemplateOptions): Manifest[] {
  const valuesYaml = jsYaml.dump(values, { lineWidth: -1, noRefs: true });
  const helm = process.env.HELM ?? helmBinary();
  const chart = chartDirectory(options.chartVersion);
  const args = ["template", options.release, chart, "--namespace", options.namespace, "--kube-version", KUBE_VERSION];
  const key = JSON.stringify([helm, args, valuesYaml]);
  let manifests = rendered.get(key);
  if (!manifests) {
    manifests = keptTemplate(helm, args, chart, valuesYaml);
    rendered.set(key, manifests);
  }
  return structuredClone(manifests);
}

/**
 * `helm template`'s manifests as an earlier run of the same helm binary gave them for the same
 * chart files, arguments and values, else helm's, kept for the next (under the test inputs, so
 * `npm ci` empties it). Each run costs ~0.6 CPU-s (helm loading the chart) and as much again to
 * parse its YAML, and the test files and runs render the same stacks over and over. The one thing
 * of a render that differs between helm runs is what the chart makes up at random where the values
 * name none (the proxy's token, the cookie secret, CryptKeeper's keys): a kept render keeps them.
 */
function keptTemplate(helm: string, args: string[], chart: string, valuesYaml: string): Manifest[] {
  // HELM may name a command on PATH rather than a file: then nothing identifies the binary.
  const binary = fs.existsSync(helm) ? fs.statSync(helm) : undefined;
  if (!binary) return runHelmTemplate(helm, args, valuesYaml);
  const digest = crypto.createHash("sha256").update(JSON.stringify([helm, binary.size, binary.mtimeMs, args, chartDigest(chart), valuesYaml])).digest("hex");
  const file = path.join(testInputCacheDir(), "helm-template", `${digest}.json`);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as Manifest[];
  } catch {
    // Not rendered with these inputs before.
  }
  const manifests = runHelmTemplate(helm, args, valuesYaml);
  const text = JSON.stringify(manifests);
  // Kept only where JSON gives back exactly what the YAML said (no dates, binaries or infinities).
  if (!isDeepStrictEqual(JSON.parse(text), manifests)) return manifests;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written aside and renamed: another process may read it meanwhile.
  fs.writeFileSync(`${file}.${process.pid}`, text);
  fs.renameSync(`${file}.${process.pid}`, file);
  return manifests;
}

const chartDigests = new Map<string, string>();

/** The digest of every file of a chart directory, with its path: what helm reads of the chart. */
function chartDigest(chart: string): string {
  let digest = chartDigests.get(chart);
  if (!digest) {
    const hash = crypto.createHash("sha256");
    for (const file of (fs.readdirSync(chart, { recursive: true }) as string[]).sort()) {
      const full = path.join(chart, file);
      if (!fs.statSync(full).isFile()) continue;
      hash.update(`\0${file}\0`).update(fs.readFileSync(full));
    }
    chartDigests.set(chart, (digest = hash.digest("hex")));
  }
  return digest;
}

function runHelmTemplate(helm: string, args: string[], valuesYaml: string): Manifest[] {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "helm-template-"));
  try {
    const valuesFile = path.join(scratch, "values.yaml");
    fs.writeFileSync(valuesFile, valuesYaml);
    const output = execFileSync(
      helm,
      [...args, "--values", valuesFile],
      // Helm keeps caches and config under HOME; a throwaway one keeps the run hermetic.
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, env: { ...process.env, HELM_CACHE_HOME: scratch, HELM_CONFIG_HOME: scratch, HELM_DATA_HOME: scratch } },
    );
    return (jsYaml.loadAll(output) as (Manifest | null)[]).filter((m): m is Manifest => m !== null && typeof m === "object");
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The one manifest of this kind and name; throws naming what exists when it is not there. */
export function manifest(manifests: readonly Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) {
    const names = manifests.filter((m) => m.kind === kind).map((m) => m.metadata.name);
    throw new Error(`no ${kind} ${name} in the rendered chart; ${kind}s: ${names.join(", ") || "none"}`);
  }
  return found;
}
