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
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { chartDirectory, helmBinary } from "./helmTemplate";
import { hubPython } from "./hubPython";
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

function run(chartVersion: string, modules: string[]): boolean {
  const python = hubPython(chartVersion);
  process.stderr.write(`\nPython tests in the hub's Python of chart ${chartVersion} (${modules.length} modules)\n`);
  const result = spawnSync(python, ["-m", "unittest", ...modules], {
    cwd: PROJECT_ROOT,
    stdio: "inherit",
    env: { ...process.env, HUB_CHART_VERSION: chartVersion, HUB_CHART_DIR: chartDirectory(chartVersion), HELM: process.env.HELM ?? helmBinary() },
  });
  if (result.error) throw result.error;
  return result.status === 0;
}

function main(): number {
  const newest = SUPPORTED_CHART_VERSIONS[SUPPORTED_CHART_VERSIONS.length - 1];
  let ok = run(newest, [...testModules(PYTHON_TESTS), ...testModules(FAKES_TESTS)]);
  for (const version of SUPPORTED_CHART_VERSIONS.filter((v) => v !== newest)) ok = run(version, testModules(PYTHON_TESTS, USES_CHART_HUB)) && ok;
  return ok ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (error) {
  process.stderr.write(`test:python: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
