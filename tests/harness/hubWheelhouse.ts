// The hub's Python as wheels fetched from a package index (PyPI, or whatever PIP_INDEX_URL or
// pip.conf names) into the test cache, for a machine without the offline wheels of
// ../shared/hub-python: jest's global setup fetches them once, and hubPython.ts then installs from
// them with `pip --no-index`, as it does from the offline copy.
//
// What pins them: the exact versions of tests/realhub/requirements/<version>.txt, --no-deps (the
// file is the whole set), and --only-binary=:all: (no sdist is built, so fetching runs no code).
// Not pinned: the files' hashes. The offline JupyterHub, KubeSpawner, OAuthenticator, tornado and
// traitlets wheels are local builds from the upstream tags (versions.json: "built from the
// upstream git tag"), so their hashes are not PyPI's and no one hash list can serve both sources,
// and PyPI's own hashes cannot be learned here without the network. pip still checks the sha256
// that the index gives with each link (a PEP 503 #sha256= fragment) and refuses a file that does
// not match it.
import { execFile } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";

// Asynchronous: a loopback index in the same process (the tests') must keep answering meanwhile.
const run = promisify(execFile);

export interface HubWheelsOptions {
  /** A CPython of the version the wheels are for: pip runs in it to download them (its own, `pip`, or a venv's). */
  readonly python: string;
  /**
   * A pip command that runs in `python` (hubPython.ts pipCommand: its own pip or another Python's,
   * with `--python`). Without one, `python`'s own pip, else a venv's of it.
   */
  readonly pip?: readonly string[];
  readonly pythonMinor: string;
  readonly requirements: string;
  readonly cacheDir: string;
  /** The environment pip runs in (PIP_INDEX_URL, PIP_RETRIES, …); the process's own by default. */
  readonly env?: NodeJS.ProcessEnv;
}

/** pip's index did not answer at all: another fetch from it now would fail the same way. */
export class IndexUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IndexUnreachableError";
  }
}

/** One wheelhouse per requirements file content and Python: a changed pin fetches again. */
function wheelhousePath(version: string, options: Pick<HubWheelsOptions, "requirements" | "pythonMinor" | "cacheDir">): string {
  const key = crypto.createHash("sha256").update(fs.readFileSync(options.requirements)).update(options.pythonMinor).update(process.arch).digest("hex").slice(0, 12);
  return path.join(options.cacheDir, `hub-wheels-${version}-${key}`, "wheels");
}

/** The wheels from an earlier fetch, when the cache has them. */
export function cachedHubWheels(version: string, options: Pick<HubWheelsOptions, "requirements" | "pythonMinor" | "cacheDir">): string | undefined {
  const dir = wheelhousePath(version, options);
  return fs.existsSync(dir) ? dir : undefined;
}

const PYPI_SIMPLE = "https://pypi.org/simple/";

/**
 * Why the index cannot be reached, or undefined when it answers. pip reports an unreachable index
 * only as "No matching distribution found" (its connection errors are retry warnings, and none
 * with PIP_RETRIES=0), so the line would not say what is wrong.
 */
async function indexUnreachable(index: string): Promise<string | undefined> {
  try {
    await fetch(index, { method: "HEAD", signal: AbortSignal.timeout(15_000) });
    return undefined;
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? (error as Error).message;
  }
}

/** pip's own words for why it failed: its last ERROR line, else its last line. */
function pipReason(output: string): string {
  const lines = output.split("\n").map((l) => l.trim()).filter(Boolean);
  return [...lines].reverse().find((l) => l.startsWith("ERROR:")) ?? lines[lines.length - 1] ?? "no output";
}

/**
 * `python -c` this: prints the version of the Python's own pip, or fails where it has none (Debian's
 * python3 without python3-pip). Asked of the installed packages' metadata rather than of `pip --version`, which loads
 * pip's CLI (~0.5 CPU-s); a pip installed but broken is then found out by the pip run itself.
 */
export const PIP_VERSION_SCRIPT = "import importlib.metadata; print(importlib.metadata.version('pip'))";

/** Whether each Python asked has pip of its own, asked once per process. */
const hasPip = new Map<string, Promise<boolean>>();

/**
 * pip, run in the given Python: the command given (options.pip, which pipCommand found able to),
 * else its own, else a venv's of it (Debian's python3 without python3-pip has none; a venv brings
 * one, with python3-venv installed).
 */
async function downloadingPip(python: string, pip: readonly string[] | undefined, scratch: string): Promise<string[]> {
  if (pip) return [...pip];
  if (!hasPip.has(python)) hasPip.set(python, run(python, ["-c", PIP_VERSION_SCRIPT]).then(() => true, () => false));
  if (await hasPip.get(python)!) return [python, "-m", "pip"];
  await run(python, ["-m", "venv", path.join(scratch, "pip")]);
  return [path.join(scratch, "pip", "bin", "python"), "-m", "pip"];
}

/**
 * Downloads every pinned wheel into the cache and returns the directory. The wheelhouse appears
 * only once pip has fetched the whole set (renamed into place, so concurrent runs are harmless).
 */
export async function fetchHubWheels(version: string, options: HubWheelsOptions): Promise<string> {
  const target = wheelhousePath(version, options);
  if (fs.existsSync(target)) return target;
  fs.mkdirSync(options.cacheDir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(options.cacheDir, `.hub-wheels-${version}-fetching-`));
  const env = options.env ?? process.env;
  try {
    try {
      const [pip, ...pipArgs] = await downloadingPip(options.python, options.pip, scratch);
      await run(
        pip,
        [...pipArgs, "download", "--disable-pip-version-check", "--no-input", "--no-deps", "--only-binary=:all:", "--dest", path.join(scratch, "wheels"), "-r", options.requirements],
        { env, encoding: "utf8", maxBuffer: 32 * 1024 * 1024 },
      );
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string; stderr?: string };
      const index = env.PIP_INDEX_URL ?? "pip's index (PyPI unless pip.conf says otherwise)";
      const unreachable = await indexUnreachable(env.PIP_INDEX_URL ?? PYPI_SIMPLE);
      if (unreachable) throw new IndexUnreachableError(`cannot reach ${index} (${unreachable})`);
      throw new Error(`pip download from ${index} failed: ${pipReason(`${stdout ?? ""}\n${stderr ?? ""}`)}`);
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    try {
      fs.renameSync(path.join(scratch, "wheels"), target);
    } catch (error) {
      if (!fs.existsSync(target)) throw error; // another run won the race otherwise
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return target;
}
