// What the real-chart and real-hub tiers need from outside the repository, made present once per
// run (jest's global setup): for each supported chart version, the chart and the hub's wheels. An
// offline copy is used first (Z2JH_CHARTS / ../shared/z2jh, HUB_PYTHON_WHEELS /
// ../shared/hub-python), then the test cache, then the upstream registries (chartArchive.ts,
// hubWheelhouse.ts). What cannot be had is reported in one line, not by every test that needs it.
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { cachedChartDirectory, chartRepository, fetchChart } from "./chartArchive";
import { offlineChartDirectory } from "./helmTemplate";
import { basePython, hubRequirements, localWheels, pipCommand, pythonMinorOf } from "./hubPython";
import { fetchHubWheels, IndexUnreachableError } from "./hubWheelhouse";
import { testInputCacheDir } from "./testInputCache";

// Where from and where to: Z2JH_CHART_REPOSITORY (chartArchive.ts) and JUPYTERHUB_PULUMI_CACHE
// (testInputCache.ts), which the tests of this module set for the process they run it in.
export interface TestInputsOptions {
  /** Progress lines (what is being fetched, from where); nothing by default. */
  readonly log?: (line: string) => void;
}

export interface MissingInput {
  readonly kind: "chart" | "hub-python";
  readonly version: string;
  readonly reason: string;
}

/** Finds or fetches every input and returns what could not be had. */
export async function ensureTestInputs(options: TestInputsOptions = {}): Promise<MissingInput[]> {
  const versions = SUPPORTED_CHART_VERSIONS;
  const cacheDir = testInputCacheDir();
  const repository = chartRepository();
  const log = options.log ?? (() => undefined);
  const missing: MissingInput[] = [];

  await Promise.all(
    versions
      .filter((version) => !offlineChartDirectory(version) && !cachedChartDirectory(version, cacheDir))
      .map(async (version) => {
        log(`fetching the Z2JH chart ${version} from ${repository}`);
        try {
          await fetchChart(version, { repository, cacheDir });
        } catch (error) {
          missing.push({ kind: "chart", version, reason: (error as Error).message });
        }
      }),
  );

  const needWheels = versions.filter((version) => !localWheels(version));
  let python: string | undefined;
  try {
    if (needWheels.length) python = basePython();
  } catch {
    // No usable CPython: the real-hub tests say so themselves; the wheels would be of no use.
  }
  // An index that did not answer for one version is not asked again for the next: each ask is a
  // pip run (most of a CPU-second) that would fail the same way.
  let unreachable: IndexUnreachableError | undefined;
  for (const version of python ? needWheels : []) {
    if (unreachable) {
      missing.push({ kind: "hub-python", version, reason: unreachable.message });
      continue;
    }
    log(`fetching the hub's Python for chart ${version} from ${process.env.PIP_INDEX_URL ?? "PyPI"}`);
    try {
      await fetchHubWheels(version, { python: python!, pip: pipCommand(python!), pythonMinor: pythonMinorOf(python!), requirements: hubRequirements(version), cacheDir });
    } catch (error) {
      if (error instanceof IndexUnreachableError) unreachable = error;
      missing.push({ kind: "hub-python", version, reason: (error as Error).message });
    }
  }
  return missing;
}

const WHAT: Record<MissingInput["kind"], string> = { chart: "the Z2JH chart", "hub-python": "the hub's Python for chart" };

/** One line: what is missing (versions sharing a reason together), why, and how to get it. */
export function missingInputsLine(missing: readonly MissingInput[]): string {
  const cacheDir = testInputCacheDir();
  const groups = new Map<string, string[]>();
  for (const { kind, version, reason } of missing) {
    const key = `${WHAT[kind]}\u0000${reason}`;
    groups.set(key, [...(groups.get(key) ?? []), version]);
  }
  const parts = [...groups].map(([key, versions]) => {
    const [what, reason] = key.split("\u0000");
    return `${what} ${versions.sort().join(", ")} (${reason})`;
  });
  return (
    `The real-chart and real-hub tests cannot get ${parts.join("; ")}. Fix: run once with internet access (they are cached in ${cacheDir}), ` +
    `or point Z2JH_CHARTS and HUB_PYTHON_WHEELS at offline copies laid out as <dir>/<version>/chart and <dir>/<version>/wheels.`
  );
}
