// `helm template` over the real Zero to JupyterHub chart: what the cluster would get from a
// stack's values, rendered the way Helm renders it.
//
// The chart comes from an offline copy when there is one (Z2JH_CHARTS, else ../shared/z2jh beside
// the project: <root>/<version>/chart), else from the chart repository, fetched once per run by
// jest's global setup into the test cache (chartArchive.ts). The helm binary comes from the npm
// registry (layerBinary.ts).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
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
 * same stack are often rendered again by another test of a file (~0.3 CPU-s for helm, as much again
 * to parse its output). Each caller gets a copy of its own to change.
 */
const rendered = new Map<string, Manifest[]>();

/** Renders the chart with these values, exactly as `helm template` does, and parses the manifests. */
export function helmTemplate(values: Record<string, unknown>, options: TemplateOptions): Manifest[] {
  const valuesYaml = jsYaml.dump(values, { lineWidth: -1, noRefs: true });
  const helm = process.env.HELM ?? helmBinary();
  const args = ["template", options.release, chartDirectory(options.chartVersion), "--namespace", options.namespace, "--kube-version", KUBE_VERSION];
  const key = JSON.stringify([helm, args, valuesYaml]);
  let manifests = rendered.get(key);
  if (!manifests) {
    manifests = runHelmTemplate(helm, args, valuesYaml);
    rendered.set(key, manifests);
  }
  return structuredClone(manifests);
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
