// How to run the project's Python tests and scripts that build the hub from the real chart
// (tests/python/chart_hub.py): the hub image's own Python for a chart version (hubPython.ts) and the
// environment chart_hub.py reads: the chart version (and the newest), the real chart's directory and helm.
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { chartDirectory, helmBinary } from "./helmTemplate";
import { hubPython } from "./hubPython";

/** The newest supported chart version: what a single-version Python run uses. */
export const NEWEST_CHART_VERSION = SUPPORTED_CHART_VERSIONS[SUPPORTED_CHART_VERSIONS.length - 1];

export interface ChartHubPython {
  readonly python: string;
  readonly env: NodeJS.ProcessEnv;
}

export function chartHubPython(chartVersion: string = NEWEST_CHART_VERSION): ChartHubPython {
  return {
    python: hubPython(chartVersion),
    env: { ...process.env, HUB_CHART_VERSION: chartVersion, HUB_CHART_NEWEST: NEWEST_CHART_VERSION, HUB_CHART_DIR: chartDirectory(chartVersion), HELM: process.env.HELM ?? helmBinary() },
  };
}
