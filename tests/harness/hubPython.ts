// The hub image's own Python (JupyterHub, KubeSpawner, OAuthenticator, …) for one supported chart
// version, in a venv cached in the test cache (testInputCache.ts): what the real-hub tier runs the chart's
// jupyterhub_config.py and the project's hub Python in.
//
// Where the packages come from, first that answers, each installed with `pip --no-index`:
// - HUB_PYTHON_WHEELS=<dir>/<chart version>/wheels, or ../shared/hub-python/<version>/wheels beside
//   the project: the offline wheels;
// - the wheels jest's global setup fetched from pip's index (PyPI, or whatever pip.conf /
//   PIP_INDEX_URL names) into the test cache (hubWheelhouse.ts);
// - otherwise pip's own index, directly.
// The pins are tests/realhub/requirements/<version>.txt either way.
//
// The chart's jupyterhub_config.py switches tornado to the curl client, which needs pycurl; its
// wheel needs libcurl headers to build, so the venv takes Debian's python3-pycurl module alone (a
// link to the one extension file, not the whole system site-packages).
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./stackConfig";
import { cachedHubWheels, PIP_VERSION_SCRIPT } from "./hubWheelhouse";
import { testInputCacheDir } from "./testInputCache";

const REQUIREMENTS_DIR = path.join(PROJECT_ROOT, "tests", "realhub", "requirements");
/** The offline wheels are built for CPython 3.11 (the hub image runs 3.12; nothing here differs between them). */
export const PYTHON_MINOR = "3.11";
/** From an index the pins install for these too (GitHub's runners have 3.12); 3.11 first. */
const INDEX_MINORS = [PYTHON_MINOR, "3.12", "3.13", "3.10"];

export function hubRequirements(chartVersion: string): string {
  const file = path.join(REQUIREMENTS_DIR, `${chartVersion}.txt`);
  if (!fs.existsSync(file)) throw new Error(`no hub requirements for chart ${chartVersion}: add ${path.relative(PROJECT_ROOT, file)}`);
  return file;
}

/** The offline wheels for this chart version, when a copy is at hand: HUB_PYTHON_WHEELS, else ../shared/hub-python. */
export function offlineWheels(chartVersion: string): string | undefined {
  const root = process.env.HUB_PYTHON_WHEELS ?? path.join(PROJECT_ROOT, "..", "shared", "hub-python");
  const dir = path.join(root, chartVersion, "wheels");
  return fs.existsSync(dir) ? dir : undefined;
}

/** Wheels to install from without an index: the offline copy, else those fetched into the test cache. */
export function localWheels(chartVersion: string): string | undefined {
  const offline = offlineWheels(chartVersion);
  if (offline) return offline;
  let pythonMinor: string;
  try {
    pythonMinor = pythonMinorOf(basePython());
  } catch {
    return undefined; // no usable Python: hubPython() says so
  }
  return cachedHubWheels(chartVersion, { requirements: hubRequirements(chartVersion), pythonMinor, cacheDir: testInputCacheDir() });
}

function run(command: string, args: string[], what: string): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 32 * 1024 * 1024 });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    const tail = `${stdout ?? ""}${stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
    throw new Error(`${what} failed (${command} ${args.join(" ")}):\n${tail}`);
  }
}

interface Interpreter {
  /** "3.11" for a python3.11. */
  readonly minor: string;
  /** The interpreter itself (sys.executable): a version manager's shim (pyenv's) resolved. */
  readonly executable: string;
}

const interpreters = new Map<string, Interpreter>();

/** Asked once per process per command; the executable it names is known as the same interpreter. */
function interpreter(python: string): Interpreter {
  let found = interpreters.get(python);
  if (!found) {
    const [minor, executable] = execFileSync(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)"], { encoding: "utf8" }).split("\n");
    found = { minor: minor.trim(), executable: executable.trim() || python };
    interpreters.set(python, found);
    interpreters.set(found.executable, found);
  }
  return found;
}

/** "3.11" for a python3.11. */
export function pythonMinorOf(python: string): string {
  return interpreter(python).minor;
}

/**
 * basePython()'s answer, handed down to the processes started after it was found: `npm test`
 * (runTests.ts) finds it before it starts jest and the Python tests, so that no jest worker asks
 * a version manager's shim again. JSON: the candidates it was found among, and the interpreter.
 */
const BASE_PYTHON_VARIABLE = "JUPYTERHUB_PULUMI_BASE_PYTHON";

function handedDownBasePython(candidates: readonly string[]): string | undefined {
  try {
    const handed = JSON.parse(process.env[BASE_PYTHON_VARIABLE] ?? "null") as { candidates: string[] } & Interpreter;
    if (JSON.stringify(handed?.candidates) !== JSON.stringify(candidates) || !fs.existsSync(handed.executable)) return undefined;
    interpreters.set(handed.executable, { minor: handed.minor, executable: handed.executable });
    return handed.executable;
  } catch {
    return undefined;
  }
}

/**
 * The CPythons to make the venv with, in order: HUB_PYTHON, the distribution's python3.11
 * (/usr/bin), then python3.11, python3 and python3.12 as PATH finds them. The distribution's first:
 * Debian builds it with PGO and LTO and libpython linked in, as the hub image's python is built,
 * where a version manager's default build (pyenv's) has neither and a shared libpython; the
 * Python tests took 4-9 % less CPU in it, measured in turns (15 % less on pure-Python loops).
 */
function candidatePythons(): string[] {
  return [process.env.HUB_PYTHON, "/usr/bin/python3.11", "python3.11", "python3", "python3.12"].filter((c): c is string => !!c);
}

/**
 * The CPython to make the venv with: the first candidate (candidatePythons) that the pins install
 * for (3.11 for the offline wheels; 3.10 to 3.13 from an index). Its executable, not the command:
 * a pyenv shim is a shell script that costs ~0.4 CPU-s per start, the interpreter a fifth of that.
 */
export function basePython(): string {
  const candidates = candidatePythons();
  const handed = handedDownBasePython(candidates);
  if (handed) return handed;
  for (const candidate of candidates) {
    try {
      const found = interpreter(candidate);
      if (INDEX_MINORS.includes(found.minor)) {
        process.env[BASE_PYTHON_VARIABLE] = JSON.stringify({ candidates, ...found });
        return found.executable;
      }
    } catch {
      // not installed: try the next
    }
  }
  throw new Error(`the real-hub tier needs CPython ${INDEX_MINORS.join(", ")} (${PYTHON_MINOR} for the offline wheels): install one, or set HUB_PYTHON`);
}

/** Debian's pycurl extension (apt-get install python3-pycurl), for the venv to link. */
function systemPycurl(): string {
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      return execFileSync(python, ["-c", "import pycurl; print(pycurl.__file__)"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      // try the next
    }
  }
  throw new Error("the chart's hub config uses tornado's curl client, which needs pycurl: apt-get install python3-pycurl");
}

/**
 * The offline wheels are built without JupyterHub's data files (share/jupyterhub: templates and
 * static assets), so no page would render. Where they are missing, the tier's own minimal
 * templates (tests/realhub/templates/README.md) go where JupyterHub looks for them
 * (jupyterhub/_data.py: the first share/jupyterhub with static/components and static/css).
 */
function supplyTemplates(venv: string): void {
  const share = path.join(venv, "share", "jupyterhub");
  if (fs.existsSync(path.join(share, "templates"))) return;
  for (const dir of ["static/components", "static/css", "templates"]) fs.mkdirSync(path.join(share, dir), { recursive: true });
  const source = path.join(PROJECT_ROOT, "tests", "realhub", "templates");
  for (const file of fs.readdirSync(source).filter((f) => f.endsWith(".html"))) fs.copyFileSync(path.join(source, file), path.join(share, "templates", file));
}

/** Whether this Python's own pip installs into another environment (`pip --python`, pip 22.3 and newer). */
function pipCanTarget(python: string): boolean {
  let version: RegExpExecArray | null = null;
  try {
    version = /^(\d+)\.(\d+)/.exec(run(python, ["-c", PIP_VERSION_SCRIPT], "asking for pip"));
  } catch {
    return false; // Debian's python3 has no pip of its own without python3-pip
  }
  return !!version && Number(version[1]) * 100 + Number(version[2]) >= 2203;
}

/**
 * A command running pip for the environment of `python` (a venv's or a bare interpreter's) from
 * outside it: `<a Python with pip> -m pip --python <python>`, where pip runs its own code in
 * `python` (`python -m pip` where `python` is that Python). The base Python's pip, else another
 * candidate's (Debian's python3 has none without python3-pip; pyenv's has); undefined when no
 * candidate's pip can (pip 22.3 and newer can).
 */
export function pipCommand(python: string, base = basePython()): string[] | undefined {
  const asked = new Set<string>();
  for (const candidate of [base, ...candidatePythons()]) {
    try {
      const { executable } = interpreter(candidate);
      if (asked.has(executable)) continue; // the base again, or a command naming one already asked
      asked.add(executable);
      // pip --python re-runs pip in the target even when it is the same interpreter: not for that one.
      if (pipCanTarget(executable)) return executable === python ? [executable, "-m", "pip"] : [executable, "-m", "pip", "--python", python];
    } catch {
      // not installed: try the next
    }
  }
  return undefined;
}

const venvs = new Map<string, string>();

/**
 * Where the venv for this chart version is, made or not: keyed by its pins, the base Python (the
 * venv runs that interpreter: another one, or one gone, needs a venv of its own) and the page
 * templates it is given, under the test cache.
 */
export function hubVenvDirectory(chartVersion: string): string {
  const requirements = hubRequirements(chartVersion);
  const templates = path.join(PROJECT_ROOT, "tests", "realhub", "templates");
  const base = basePython();
  const minor = pythonMinorOf(base);
  if (offlineWheels(chartVersion) && minor !== PYTHON_MINOR) {
    throw new Error(`the offline hub wheels (${offlineWheels(chartVersion)}) are CPython ${PYTHON_MINOR}'s and ${base} is ${minor}: install python3.11 or set HUB_PYTHON`);
  }
  const hash = crypto.createHash("sha256").update(fs.readFileSync(requirements)).update(minor).update(base);
  for (const file of fs.readdirSync(templates).sort()) hash.update(file).update(fs.readFileSync(path.join(templates, file)));
  return path.join(testInputCacheDir(), `hub-venv-${chartVersion}-${hash.digest("hex").slice(0, 12)}`);
}

/**
 * The python of a venv holding the hub image's packages for this chart version, made on first use
 * (atomically, since jest runs test files in parallel) and reused while the pins are unchanged.
 */
export function hubPython(chartVersion: string): string {
  const cached = venvs.get(chartVersion);
  if (cached) return cached;
  const requirements = hubRequirements(chartVersion);
  const base = basePython();
  const target = hubVenvDirectory(chartVersion);
  const cacheDir = path.dirname(target);
  const python = path.join(target, "bin", "python");
  if (!fs.existsSync(python)) {
    fs.mkdirSync(cacheDir, { recursive: true });
    const scratch = fs.mkdtempSync(path.join(cacheDir, `hub-venv-${chartVersion}-building-`));
    try {
      // Where a pip outside the venv can install into it, the venv gets no pip of its own:
      // ensurepip installing one took 4 CPU-s of every venv made.
      const pipOutside = pipCommand(path.join(scratch, "bin", "python"), base);
      run(base, ["-m", "venv", ...(pipOutside ? ["--without-pip"] : []), scratch], "creating the hub venv");
      const wheels = localWheels(chartVersion);
      const source = wheels ? ["--no-index", "--find-links", wheels] : [];
      const pip = pipOutside ?? [path.join(scratch, "bin", "python"), "-m", "pip"];
      run(
        pip[0],
        // --no-deps: the pins are the whole set the image runs (a lock); a dependency a wheel
        // declares beyond them (arrow's tzdata, for chart 4.2.0) is not in the image either.
        // --no-compile: compileall below compiles it all once, with the final paths.
        [...pip.slice(1), "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-compile", ...source, "-r", requirements],
        wheels ? `installing the hub's Python from ${wheels}` : "installing the hub's Python from pip's index (PyPI)",
      );
      // Compiled once here: the environment may set PYTHONDONTWRITEBYTECODE, and every hub start
      // would otherwise compile JupyterHub and kubernetes_asyncio again (seconds each). In this
      // process (-j 1): compileall's worker processes (-j 0) cost half as much CPU again (a venv
      // 6.3-6.9 CPU-s against 4.1-4.4), and a fresh clone's npm test makes both venvs at once,
      // one per core (both 4.3 s against 6.4, with 8 CPU-s against 12).
      run(path.join(scratch, "bin", "python"), ["-m", "compileall", "-q", "-j", "1", "-s", scratch, "-p", target, scratch], "compiling the hub's Python");
      const sitePackages = run(path.join(scratch, "bin", "python"), ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], "reading the venv").trim();
      const pycurl = systemPycurl();
      fs.symlinkSync(pycurl, path.join(sitePackages, path.basename(pycurl)));
      supplyTemplates(scratch);
      // A venv's scripts name its own path; the final path is what they must name.
      for (const script of fs.readdirSync(path.join(scratch, "bin"))) {
        const file = path.join(scratch, "bin", script);
        if (!fs.lstatSync(file).isFile()) continue; // python itself is a link to the base interpreter
        const text = fs.readFileSync(file, "utf8");
        if (text.includes(scratch)) fs.writeFileSync(file, text.split(scratch).join(target));
      }
      fs.writeFileSync(path.join(scratch, "pyvenv.cfg"), fs.readFileSync(path.join(scratch, "pyvenv.cfg"), "utf8").split(scratch).join(target));
      fs.renameSync(scratch, target);
    } catch (error) {
      fs.rmSync(scratch, { recursive: true, force: true });
      if (!fs.existsSync(python)) throw error; // another worker won the race otherwise
    }
  }
  venvs.set(chartVersion, python);
  return python;
}
