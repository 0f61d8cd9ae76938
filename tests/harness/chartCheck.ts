// Runs ../shared/tools/check-z2jh-values, the team's check of Helm values against the Z2JH
// chart's own defaults and schema. It lives beside the project, not in it: CI always has it,
// a fresh clone elsewhere may not, so outside CI its absence skips the check instead of failing.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./stackConfig";
import { testInputCacheDir } from "./testInputCache";

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

interface Verdict {
  readonly ok: boolean;
  readonly output: string;
}

/**
 * Exit status and output of the check for one values file: the verdict an earlier check of exactly
 * these inputs gave, in this process or an earlier run (each check costs ~0.7 CPU-s, and every
 * cached npm test ran it five times again for the verdicts the run before had), else the check's.
 */
export function checkChartValues(valuesFile: string, chartVersion: string): Verdict {
  const kept = keptVerdictFile(valuesFile, chartVersion);
  const earlier = kept ? readKeptVerdict(kept) : undefined;
  if (earlier) return earlier;
  const verdict = runCheck(valuesFile, chartVersion);
  if (kept) keepVerdict(kept, verdict);
  return verdict;
}

/**
 * Where the verdict on exactly these inputs is kept, with the test inputs (`npm ci` empties them):
 * keyed by all that the check reads, which is its own code, the values, the files of the chart
 * version beside it (its defaults and schema) and the node that runs it; the yaml and ajv it loads
 * are the project's, which only `npm ci` changes. Undefined where the check has no files for that
 * version: it says so itself, each time.
 */
function keptVerdictFile(valuesFile: string, chartVersion: string): string | undefined {
  const versionDir = path.join(path.dirname(CHART_CHECK), "..", "z2jh", chartVersion);
  const digest = crypto.createHash("sha256").update(`${process.version}\0${chartVersion}`);
  const add = (what: string, file: string) => digest.update(`\0${what}\0`).update(fs.readFileSync(file));
  try {
    add("check", CHART_CHECK);
    add("values", valuesFile);
    for (const name of fs.readdirSync(versionDir).sort()) {
      const file = path.join(versionDir, name);
      if (fs.statSync(file).isFile()) add(name, file);
    }
  } catch {
    return undefined;
  }
  return path.join(testInputCacheDir(), "chart-check", `${digest.digest("hex")}.json`);
}

function readKeptVerdict(file: string): Verdict | undefined {
  try {
    const kept = JSON.parse(fs.readFileSync(file, "utf8")) as Verdict;
    return typeof kept.ok === "boolean" && typeof kept.output === "string" ? kept : undefined;
  } catch {
    return undefined; // not checked with these inputs before
  }
}

function keepVerdict(file: string, verdict: Verdict): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, JSON.stringify(verdict));
    fs.renameSync(partial, file); // another worker may read it meanwhile
  } catch {
    // A verdict that cannot be kept costs time, not correctness.
  }
}

function runCheck(valuesFile: string, chartVersion: string): Verdict {
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
