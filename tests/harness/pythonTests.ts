// `npm run test:python`: the Python tests in the hub image's own Python (hubPython.ts), since the
// hub-side code they test runs there, next to JupyterHub, KubeSpawner and OAuthenticator.
//
// - The newest supported chart version runs every module of tests/python and the real-hub fakes'
//   own tests (tests/realhub/fakes/test_*.py).
// - Every other supported version runs again the modules that build the hub's spawner from the
//   chart's own jupyterhub_config.py (those importing tests/python/chart_hub.py): chart 4.2.0
//   sets KubeSpawner's volumes as lists where 4.4.0 sets dicts, and its image pins other
//   JupyterHub and kubernetes_asyncio versions.
// Each module runs in a process of its own (a few at a time; PYTHON_TESTS_PARALLEL sets how many),
// with HUB_CHART_VERSION, HUB_CHART_DIR (the real chart) and HELM, which chart_hub.py renders the
// chart with, and HUB_CHART_NEWEST: a class whose subject runs outside the hub runs on that one
// only (chart_hub.on_the_newest_chart_only). That process is forked from a zygote of its chart
// version (tests/python/hub_zygote.py), which imported the hub's packages once (seconds of CPU
// that every module paid before) and runs each module as `python -m unittest <module>` would:
// under `npm test` the one all its parts share (hubZygote.ts), else one of its own;
// PYTHON_TESTS_FRESH=1 starts a new python per module instead. A module is a line when it passes
// (its wall and CPU time, and how many of its tests were skipped), its whole output when it fails;
// the totals per chart version close the run. A missing venv or chart, or a zygote that cannot
// import the hub's packages, fails the run, naming what is missing.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { chartHubPython, NEWEST_CHART_VERSION } from "./chartHubPython";
import { HubZygote } from "./hubZygote";
import { ensureTestInputs, missingInputsLine } from "./testInputs";
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

interface ModuleRun {
  readonly version: string;
  readonly module: string;
}

interface ModuleResult extends ModuleRun {
  readonly ok: boolean;
  readonly tests: number;
  /** Of those, skipped (a class run on the newest chart version only, a test that needs root). */
  readonly skipped: number;
  readonly seconds: number;
  /** CPU seconds of the module's process and the subprocesses it waited for, where known. */
  readonly cpu?: number;
  readonly output: string;
}

interface Ended {
  readonly status: number | null;
  readonly output: string;
  readonly cpu?: number;
}

function result({ version, module }: ModuleRun, started: number, { status, output, cpu }: Ended): ModuleResult {
  const ran = /^Ran (\d+) tests? in /m.exec(output);
  // A module that ran nothing proves nothing: a failure too.
  const ok = status === 0 && !!ran && Number(ran[1]) > 0;
  const skipped = /^(?:OK|FAILED) \(.*\bskipped=(\d+)/m.exec(output);
  return { version, module, ok, tests: ran ? Number(ran[1]) : 0, skipped: skipped ? Number(skipped[1]) : 0, seconds: (Date.now() - started) / 1000, cpu, output };
}

/** One module's unittest run in a new python; its output is kept, and shown whole only when it fails. */
function runFresh(run: ModuleRun): Promise<ModuleResult> {
  const { python, env } = chartHubPython(run.version);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(python, ["-m", "unittest", run.module], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve(result(run, started, { status, output: Buffer.concat(chunks).toString("utf8") })));
  });
}

/** One module's unittest run in a child of its chart version's zygote (hubZygote.ts), its stdout
 * and stderr into one file (in the order written, as one pipe would have them). */
async function runInZygote(zygote: HubZygote, run: ModuleRun, scratch: string, id: number): Promise<ModuleResult> {
  const output = path.join(scratch, `${run.version}-${id}.log`);
  const started = Date.now();
  const ended = await zygote.run({ argv: ["-m", "unittest", run.module], stdout: output });
  let text = fs.existsSync(output) ? fs.readFileSync(output, "utf8") : "";
  fs.rmSync(output, { force: true });
  if (ended.status < 0) text += `\n(the module's process was killed by signal ${-ended.status})\n`;
  return result(run, started, { ...ended, output: text });
}

/** Runs the modules a few at a time: they mostly wait on sockets, subprocesses and timers. */
async function runAll(runs: readonly ModuleRun[], parallel: number, run: (run: ModuleRun) => Promise<ModuleResult>): Promise<ModuleResult[]> {
  const results: ModuleResult[] = [];
  const queue = [...runs];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const result = await run(next);
      results.push(result);
      const cpu = result.cpu === undefined ? "" : ` (${result.cpu.toFixed(1)} s CPU)`;
      process.stderr.write(`${result.ok ? "ok  " : "FAIL"} chart ${result.version} ${result.module}: ${result.tests} tests${result.skipped ? ` (${result.skipped} skipped)` : ""}, ${result.seconds.toFixed(1)} s${cpu}\n`);
      if (!result.ok) process.stderr.write(`${result.output}\n`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return results;
}

async function main(): Promise<number> {
  const runs: ModuleRun[] = [
    ...[...testModules(PYTHON_TESTS), ...testModules(FAKES_TESTS)].map((module) => ({ version: NEWEST_CHART_VERSION, module })),
    ...SUPPORTED_CHART_VERSIONS.filter((v) => v !== NEWEST_CHART_VERSION).flatMap((version) => testModules(PYTHON_TESTS, USES_CHART_HUB).map((module) => ({ version, module }))),
  ];
  // The charts and wheels: fetched here when this runs alone (`npm run test:python`); under
  // `npm test` runTests.ts has fetched them already, and this finds them in place.
  const missing = await ensureTestInputs({ log: (line) => process.stderr.write(`${line}\n`) });
  if (missing.length) {
    process.stderr.write(`${missingInputsLine(missing)}\n`);
    return 1;
  }
  // The venvs are made one after the other (hubPython builds one on first use) before any run.
  const versions = [...new Set(runs.map((r) => r.version))];
  for (const version of versions) chartHubPython(version);
  const parallel = Number(process.env.PYTHON_TESTS_PARALLEL) || Math.max(3, os.cpus().length + 1);
  // The biggest modules first, so that none of the long ones starts last.
  const size = (module: string) => fs.statSync(path.join(PROJECT_ROOT, module)).size;
  const ordered = [...runs].sort((a, b) => size(b.module) - size(a.module));
  let results: ModuleResult[];
  if (process.env.PYTHON_TESTS_FRESH === "1") {
    results = await runAll(ordered, parallel, runFresh);
  } else {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "python-tests-"));
    const zygotes = new Map(versions.map((version) => [version, new HubZygote(version)]));
    try {
      for (const zygote of zygotes.values()) {
        const said = zygote.shared ? "the hub zygote npm test shares (its import counted there)" : "the hub's Python imported once";
        zygote.ready.then((cpu) => process.stderr.write(`chart ${zygote.version}: ${said}, ${cpu.toFixed(1)} s CPU\n`), () => undefined);
      }
      let ids = 0;
      results = await runAll(ordered, parallel, (run) => runInZygote(zygotes.get(run.version)!, run, scratch, ++ids));
    } finally {
      await Promise.all([...zygotes.values()].map((z) => z.close()));
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  const failed = results.filter((r) => !r.ok);
  for (const version of new Set(runs.map((r) => r.version))) {
    const mine = results.filter((r) => r.version === version);
    const skipped = mine.reduce((n, r) => n + r.skipped, 0);
    process.stderr.write(`Python tests in the hub's Python of chart ${version}: ${mine.reduce((n, r) => n + r.tests, 0)} tests${skipped ? ` (${skipped} skipped)` : ""} in ${mine.length} modules\n`);
  }
  if (failed.length) process.stderr.write(`FAILED: ${failed.map((r) => `${r.module} (chart ${r.version})`).join(", ")}\n`);
  return failed.length ? 1 : 0;
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
