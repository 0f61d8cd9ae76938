// Runs ../shared/tools/check-z2jh-values, the team's check of Helm values against the Z2JH
// chart's own defaults and schema. It lives beside the project, not in it: CI always has it,
// a fresh clone elsewhere may not, so outside CI its absence skips the check instead of failing.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./stackConfig";

export const CHART_CHECK = process.env.Z2JH_CHECK ?? path.join(PROJECT_ROOT, "..", "shared", "tools", "check-z2jh-values");

export function chartCheckAvailable(): boolean {
  if (fs.existsSync(CHART_CHECK)) return true;
  // The workplace's CI has shared/ beside the project, so the check must be there. GitHub's runners
  // have no shared/ (the tests fetch the released chart): there the real chart's render, which
  // Helm checks against the chart's values.schema.json, stands in for the team's check.
  const sharedBeside = fs.existsSync(path.join(PROJECT_ROOT, "..", "shared"));
  if (process.env.CI && sharedBeside) throw new Error(`the chart check ${CHART_CHECK} is missing; CI must have it`);
  return false;
}

/**
 * The verdicts so far in this process, by chart version and values: the check reads nothing else
 * (the chart's defaults and schema of that version), and each run costs ~0.7 CPU-s.
 */
const verdicts = new Map<string, { ok: boolean; output: string }>();

/** Exit status and output of the check for one values file. */
export function checkChartValues(valuesFile: string, chartVersion: string): { ok: boolean; output: string } {
  const key = `${chartVersion}\0${crypto.createHash("sha256").update(fs.readFileSync(valuesFile)).digest("hex")}`;
  let verdict = verdicts.get(key);
  if (!verdict) {
    verdict = runCheck(valuesFile, chartVersion);
    verdicts.set(key, verdict);
  }
  return { ...verdict };
}

function runCheck(valuesFile: string, chartVersion: string): { ok: boolean; output: string } {
  try {
    const output = execFileSync(process.execPath, [CHART_CHECK, valuesFile, chartVersion], {
      cwd: PROJECT_ROOT, // the check resolves its ajv and yaml from the project's node_modules
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { ok: true, output };
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failure.stdout ?? ""}${failure.stderr ?? ""}` };
  }
}
