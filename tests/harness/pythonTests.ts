// `npm run test:python`: the Python tests in the hub image's own Python (hubPython.ts), since the
// hub-side code they test runs there, next to JupyterHub, KubeSpawner and OAuthenticator.
//
// - The newest supported chart version runs every module of tests/python and the real-hub fakes'
//   own tests (tests/realhub/fakes/test_*.py).
// - Every other supported version runs again the modules that build the hub's spawner from the
//   chart's own jupyterhub_config.py (those importing tests/python/chart_hub.py): chart 4.2.0
//   sets KubeSpawner's volumes as lists where 4.4.0 sets dicts, and its image pins other
//   JupyterHub and kubernetes_asyncio versions.
// Each run gets HUB_CHART_VERSION, HUB_CHART_DIR (the real chart) and HELM, which chart_hub.py
// renders the chart with. A missing venv or chart fails the run, naming what is missing.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { chartHubPython, NEWEST_CHART_VERSION } from "./chartHubPython";
import { PROJECT_ROOT } from "./stackConfig";

const PYTHON_TESTS = path.join("tests", "python");
const FAKES_TESTS = path.join("tests", "realhub", "fakes");
const USES_CHART_HUB = /^(?:from chart_hub import|import chart_hub)\b/m;

/** The test modules of a directory, as unittest names them from the project root. */
function testModules(dir: string, only?: RegExp): string[] {
  return fs
    .readdirSync(path.join(PROJECT_ROOT, dir))
    .filter((file) => /^test_.*\.py$/.test(file))
    .filter((file) => !only || only.test(fs.readFileSync(path.join(PROJECT_ROOT, dir, file), "utf8")))
    .sort()
    .map((file) => path.join(dir, file));
}

/** One unittest run; its output is kept and printed whole, so parallel runs do not interleave. */
function run(chartVersion: string, modules: string[]): Promise<{ ok: boolean; output: string }> {
  const { python, env } = chartHubPython(chartVersion);
  const header = `Python tests in the hub's Python of chart ${chartVersion} (${modules.length} modules)\n`;
  return new Promise((resolve, reject) => {
    const child = spawn(python, ["-m", "unittest", ...modules], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ ok: status === 0, output: header + Buffer.concat(chunks).toString("utf8") }));
  });
}

async function main(): Promise<number> {
  // Made one after the other (hubPython builds a venv on first use), then run side by side: the
  // runs mostly wait on sockets and subprocesses, and the other versions' share is small.
  const runs = [
    { version: NEWEST_CHART_VERSION, modules: [...testModules(PYTHON_TESTS), ...testModules(FAKES_TESTS)] },
    ...SUPPORTED_CHART_VERSIONS.filter((v) => v !== NEWEST_CHART_VERSION).map((version) => ({ version, modules: testModules(PYTHON_TESTS, USES_CHART_HUB) })),
  ];
  for (const { version } of runs) chartHubPython(version);
  const results = await Promise.all(runs.map(({ version, modules }) => run(version, modules)));
  for (const { output } of results) process.stderr.write(`\n${output}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`test:python: ${error.message}\n`);
    process.exitCode = 1;
  },
);
