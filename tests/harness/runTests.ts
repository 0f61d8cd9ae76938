// `npm test`: the type check, the Python tests (pythonTests.ts) and jest, at the same time.
//
// The three are independent, and each waits on something much of its time (the hub's Python on
// sockets and subprocesses, jest's real-hub files on their hubs), so run one after the other they
// left a core idle for long stretches. What the last two share is made first, once (the type check,
// which needs none of it, runs meanwhile): the charts and the
// hub's wheels (testInputs.ts) and the hub venvs (hubPython.ts), which would otherwise be fetched
// or built by two of them at once; and so are the hub zygotes (sharedHubZygotes.ts), one per chart
// version, which the Python tests and every real-hub jest file fork their hub processes from instead
// of each importing the hub's packages in a zygote of its own. jest's output is live; the type
// check's and the Python tests' come as one block each when they end. The last lines say which
// parts passed; any failure fails.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { chartHubPython } from "./chartHubPython";
import { hubVenvDirectory } from "./hubPython";
import { namespacingPrefix } from "./hubZygote";
import { startSharedZygotes, type SharedZygoteSpec } from "./sharedHubZygotes";
import { PROJECT_ROOT } from "./stackConfig";
import { testInputCacheDir } from "./testInputCache";
import { ensureTestInputs, missingInputsLine } from "./testInputs";

interface Part {
  readonly name: string;
  readonly command: string[];
  /** jest's output streams as it runs; the others' is kept and printed whole when they end. */
  readonly live?: boolean;
  /** Needs nothing of the test inputs, venvs or zygotes: starts at once, while they are made. */
  readonly early?: boolean;
}

const NODE_WITH_TYPESCRIPT = [process.execPath, "-r", path.join(PROJECT_ROOT, "scripts", "registerTypeScript.cjs")];

const PARTS: Part[] = [
  // Skipped when no input changed since it last passed, else incremental (typecheck.ts); errors
  // are reported on every run that has any.
  { name: "typecheck (tsc --noEmit)", command: [...NODE_WITH_TYPESCRIPT, path.join(__dirname, "typecheck.ts")], early: true },
  { name: "Python tests (npm run test:python)", command: [...NODE_WITH_TYPESCRIPT, path.join(__dirname, "pythonTests.ts")] },
  // A larger young generation (jest's workers inherit the flags): a test file allocates most of what
  // it loads and renders briefly, and with V8's default 1-2 MiB semi-spaces jest's workers spent
  // about a tenth of their CPU in scavenges. It is 16 MiB from the start, not grown to it and
  // shrunk again between files: on this kind of VM each page the heap maps afresh costs a fault
  // that is dear (the workers' CPU 6-9 % less, measured on 30 test files). And no TurboFan
  // (--max-opt=2: V8's tiers up to Maglev only): a worker's code runs briefly, test file after test
  // file in fresh module registries, so what TurboFan optimized on its background threads was
  // mostly thrown away unused (jest's CPU 5-10 % less over the whole suite, measured in turns).
  { name: "jest", command: [process.execPath, "--max-semi-space-size=16", "--min-semi-space-size=16", "--max-opt=2", require.resolve("jest/bin/jest"), ...process.argv.slice(2)], live: true },
];

interface Outcome {
  readonly part: Part;
  readonly ok: boolean;
  readonly seconds: number;
}

/**
 * The zygotes the parts would each start: the Python tests' (one per chart version) unless
 * PYTHON_TESTS_FRESH=1, the real-hub tier's (the same where root, else in a user namespace: its
 * children enter namespaces of their own) unless REALHUB_FRESH_HUB=1.
 */
function sharedZygoteSpecs(versions: readonly string[]): SharedZygoteSpec[] {
  const specs: SharedZygoteSpec[] = [];
  // A user namespace this machine cannot make would fail each zygote after its start: the real-hub
  // files then start their own, and fail there saying why.
  const prefix = namespacingPrefix();
  const realHubZygotes = process.env.REALHUB_FRESH_HUB !== "1" && (prefix.length === 0 || spawnSync(prefix[0], [...prefix.slice(1), "true"]).status === 0);
  for (const version of versions) {
    if (process.env.PYTHON_TESTS_FRESH !== "1") specs.push({ version, prefix: [] });
    if (realHubZygotes) specs.push({ version, prefix });
  }
  return specs;
}

/**
 * Node's compile cache for every node process the parts start (the render CLI, `pulumi up` under
 * mocks, the dynamic-provider hosts…), with the test inputs: each would otherwise compile the
 * SDK's modules again. jest's own test files are compiled by its runtime, which keeps its own
 * (jestCodeCache.cjs). A NODE_COMPILE_CACHE already set is left as it is.
 */
function nodeCompileCache(): NodeJS.ProcessEnv {
  return { NODE_COMPILE_CACHE: path.join(testInputCacheDir(), "node-compile-cache") };
}

/**
 * The hub venvs not made yet (a fresh clone), made side by side, each by a process of its own
 * (hubPythonCli.ts). Making one is a pip install and then a compile, each on one core: one after
 * the other, a core sat idle (4 s of a fresh clone's run). What goes wrong here is said by the one
 * the caller makes again, in process.
 */
async function makeMissingVenvs(versions: readonly string[]): Promise<void> {
  const missing = versions.filter((version) => {
    try {
      return !fs.existsSync(path.join(hubVenvDirectory(version), "bin", "python"));
    } catch {
      return false; // the caller's hubPython says why
    }
  });
  if (missing.length < 2) return;
  const make = (version: string) =>
    new Promise((resolve) => {
      const [node, ...flags] = NODE_WITH_TYPESCRIPT;
      const child = spawn(node, [...flags, path.join(__dirname, "hubPythonCli.ts"), version], { cwd: PROJECT_ROOT, stdio: "ignore" });
      child.on("error", resolve);
      child.on("close", resolve);
    });
  await Promise.all(missing.map(make));
}

function runPart(part: Part, env: NodeJS.ProcessEnv): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const [command, ...args] = part.command;
    const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: part.live ? "inherit" : ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk));
    const finish = (ok: boolean, note = "") => {
      if (!part.live) process.stderr.write(`\n── ${part.name} ──\n${Buffer.concat(chunks).toString("utf8")}${note}`);
      resolve({ part, ok, seconds: (Date.now() - started) / 1000 });
    };
    child.on("error", (error) => finish(false, `could not start ${command}: ${error.message}\n`));
    child.on("close", (status, signal) => finish(status === 0, status === 0 ? "" : `${part.name} exited with ${status ?? signal}\n`));
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  // The type check needs none of what follows, and its first run (a fresh clone) takes longer
  // than making the venvs: it overlaps them instead of waiting.
  const early = PARTS.filter((part) => part.early).map((part) => runPart(part, { ...nodeCompileCache(), ...process.env }));
  const missing = await ensureTestInputs({ log: (line) => process.stderr.write(`${line}\n`) });
  if (missing.length) {
    process.stderr.write(`${missingInputsLine(missing)}\n`);
    await Promise.all(early);
    return 1;
  }
  await makeMissingVenvs(SUPPORTED_CHART_VERSIONS);
  // Before anything runs in parallel (each would build a missing venv on first use). A venv that
  // cannot be made stops nothing else: the parts that need it fail, saying why.
  const venvs = SUPPORTED_CHART_VERSIONS.filter((version) => {
    try {
      chartHubPython(version);
      return true;
    } catch (error) {
      process.stderr.write(`the hub's Python for chart ${version}: ${(error as Error).message}\n`);
      return false;
    }
  });
  const zygotes = await startSharedZygotes(sharedZygoteSpecs(venvs), (line) => process.stderr.write(`${line}\n`));
  let outcomes: Outcome[];
  try {
    const rest = PARTS.filter((part) => !part.early).map((part) => runPart(part, { ...nodeCompileCache(), ...process.env, ...zygotes.env }));
    outcomes = await Promise.all([...early, ...rest]);
  } finally {
    await zygotes.close();
  }
  process.stderr.write("\n");
  for (const { part, ok, seconds } of outcomes) process.stderr.write(`${ok ? "ok  " : "FAIL"} ${part.name}: ${seconds.toFixed(0)} s\n`);
  process.stderr.write(`npm test: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`npm test: ${error.message}\n`);
    process.exitCode = 1;
  },
);
