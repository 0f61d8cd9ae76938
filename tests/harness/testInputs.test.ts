// The fetch path of the test inputs, against loopback stand-ins for the chart repository and a
// PEP 503 index that serve the same archives (a chart archive packed from the chart the tests
// render, the hub's real wheels), with no offline copy visible: Z2JH_CHARTS, HUB_PYTHON_WHEELS and
// the cache point at empty directories.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { CHART_ARCHIVE_SHA256, cachedChartDirectory, fetchChart, pinnedChartSha256, resolveChartUrl } from "./chartArchive";
import { chartDirectory, offlineChartDirectory } from "./helmTemplate";
import { basePython, localWheels, pipCommand, PYTHON_MINOR } from "./hubPython";
import { cachedHubWheels, fetchHubWheels } from "./hubWheelhouse";
import { closedLoopbackUrl, serveChartRepository, serveSimpleIndex, sha256, type LoopbackServer } from "./loopbackRegistries";
import { PROJECT_ROOT } from "./stackConfig";

const VERSION = "4.4.0";
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "test-inputs-"));
const emptyDir = path.join(scratch, "empty");
fs.mkdirSync(emptyDir);
let cacheCount = 0;
function freshCache(): string {
  const dir = path.join(scratch, `cache-${cacheCount++}`);
  fs.mkdirSync(dir);
  return dir;
}
const hubPythonBase = (() => {
  try {
    return basePython();
  } catch {
    return undefined; // the real-hub tier itself needs CPython 3.11; without it there is nothing to fetch for
  }
})();

/** jupyterhub-<version>.tgz as `helm package` lays it out (one top folder named after the chart), from the chart the tests render. */
function packChart(version: string): Buffer {
  const dir = fs.mkdtempSync(path.join(scratch, "pack-"));
  fs.cpSync(chartDirectory(version), path.join(dir, "jupyterhub"), { recursive: true });
  execFileSync("tar", ["-czf", path.join(dir, "chart.tgz"), "-C", dir, "jupyterhub"]);
  return fs.readFileSync(path.join(dir, "chart.tgz"));
}

const savedEnv = { ...process.env };
let archive: Buffer;
let wheels: string;
const servers: LoopbackServer[] = [];

beforeAll(() => {
  // Taken while the offline copies (or the run's cache) are still visible: what the stand-ins serve.
  archive = packChart(VERSION);
  wheels = localWheels("4.2.0")!;
  process.env.Z2JH_CHARTS = emptyDir;
  process.env.HUB_PYTHON_WHEELS = emptyDir;
  process.env.JUPYTERHUB_PULUMI_CACHE = emptyDir;
  process.env.PIP_CONFIG_FILE = os.devNull; // no pip.conf of this machine
  process.env.PIP_RETRIES = "0";
  delete process.env.PIP_FIND_LINKS; // this machine's own wheels are no source here
});

afterAll(async () => {
  process.env = savedEnv;
  await Promise.all(servers.map((s) => s.close()));
  fs.rmSync(scratch, { recursive: true, force: true });
});

async function track<T extends LoopbackServer>(server: Promise<T>): Promise<T> {
  servers.push(await server);
  return servers[servers.length - 1] as T;
}

describe("the chart from a chart repository", () => {
  it("pins every supported version", () => {
    expect(Object.keys(CHART_ARCHIVE_SHA256).sort()).toEqual([...SUPPORTED_CHART_VERSIONS].sort());
  });

  it("sees no offline copy here (the variables point at an empty directory)", () => {
    expect(offlineChartDirectory(VERSION)).toBeUndefined();
    expect(localWheels(VERSION)).toBeUndefined();
    expect(() => chartDirectory(VERSION)).toThrow(`the real Z2JH chart ${VERSION} is neither in an offline copy`);
  });

  it("resolves the index's URLs as helm does: absolute as they are, relative against the repository", () => {
    expect(resolveChartUrl("https://hub.jupyter.org/helm-chart/", "https://jupyterhub.github.io/helm-chart/jupyterhub-4.4.0.tgz")).toBe(
      "https://jupyterhub.github.io/helm-chart/jupyterhub-4.4.0.tgz",
    );
    expect(resolveChartUrl("http://127.0.0.1:1/repo", "jupyterhub-4.4.0.tgz")).toBe("http://127.0.0.1:1/repo/jupyterhub-4.4.0.tgz");
  });

  it("fetches the archive the index names, checks its sha256 and unpacks it into the cache", async () => {
    const repository = await track(serveChartRepository({ archives: { [VERSION]: archive }, absoluteUrls: true }));
    const cacheDir = freshCache();
    const dir = await fetchChart(VERSION, { repository: `${repository.url}/`, sha256: sha256(archive), cacheDir });
    expect(repository.requests).toEqual(["/index.yaml", `/charts/jupyterhub-${VERSION}.tgz`]);
    expect(fs.readFileSync(path.join(dir, "Chart.yaml"), "utf8")).toMatch(new RegExp(`^version: ${VERSION.replace(/\./g, "\\.")}$`, "m"));
    expect(fs.existsSync(path.join(dir, "files", "hub", "jupyterhub_config.py"))).toBe(true);
    expect(cachedChartDirectory(VERSION, cacheDir, sha256(archive))).toBe(dir);
    // A second run asks nothing.
    await fetchChart(VERSION, { repository: `${repository.url}/`, sha256: sha256(archive), cacheDir });
    expect(repository.requests).toHaveLength(2);
  });

  it("refuses an archive whose sha256 is not the pinned one, though the index lists the pinned digest, and caches nothing", async () => {
    const repository = await track(serveChartRepository({ archives: { [VERSION]: archive }, digests: { [VERSION]: pinnedChartSha256(VERSION) } }));
    const cacheDir = freshCache();
    await expect(fetchChart(VERSION, { repository: repository.url, cacheDir })).rejects.toThrow(
      `${repository.url}/jupyterhub-${VERSION}.tgz has sha256 ${sha256(archive)}, not the pinned ${pinnedChartSha256(VERSION)}: refused`,
    );
    expect(cachedChartDirectory(VERSION, cacheDir)).toBeUndefined();
    expect(fs.readdirSync(cacheDir)).toEqual([]);
  });

  it("refuses an index that lists another digest than the pin before downloading anything", async () => {
    const repository = await track(serveChartRepository({ archives: { [VERSION]: archive }, digests: { [VERSION]: "0".repeat(64) } }));
    await expect(fetchChart(VERSION, { repository: repository.url, sha256: sha256(archive), cacheDir: freshCache() })).rejects.toThrow(
      `lists jupyterhub ${VERSION} with sha256 ${"0".repeat(64)}, not the pinned ${sha256(archive)}: refused`,
    );
    expect(repository.requests).toEqual(["/index.yaml"]);
  });
});

describe("the hub's Python from a package index", () => {
  const python = hubPythonBase;
  const requirements = path.join(scratch, "requirements.txt");
  const pinned = ["escapism==1.0.1", "six==1.17.0", "traitlets==5.14.3"];
  const withPython = python ? it : it.skip;

  beforeAll(() => fs.writeFileSync(requirements, `# a subset of tests/realhub/requirements/4.2.0.txt\n${pinned.join("\n")}\n`));

  withPython("runs pip in the Python it is for: directly in one with a pip of its own, else through another's with --python", () => {
    // pip --python starts pip again in the target even when that is pip's own Python (pip/_internal/cli/main_parser.py).
    const venvPython = path.join(scratch, "venv", "bin", "python");
    const viaAnother = pipCommand(venvPython);
    if (viaAnother) expect(viaAnother.slice(1)).toEqual(["-m", "pip", "--python", venvPython]);
    const own = pipCommand(python!);
    if (own && own[0] === python) expect(own).toEqual([python, "-m", "pip"]);
    else if (own) expect(own.slice(1)).toEqual(["-m", "pip", "--python", python]);
    // The same search finds the same pip for both, or none for either (no candidate has pip 22.3+).
    expect(own?.[0]).toBe(viaAnother?.[0]);
  });

  withPython("downloads exactly the pinned wheels through the index into the cache", async () => {
    const index = await track(serveSimpleIndex(wheels));
    const options = { python: python!, pip: pipCommand(python!), pythonMinor: PYTHON_MINOR, requirements, cacheDir: freshCache(), env: { ...process.env, PIP_INDEX_URL: `${index.url}/simple/` } };
    const dir = await fetchHubWheels("4.2.0", options);
    expect(fs.readdirSync(dir).sort()).toEqual(["escapism-1.0.1-py3-none-any.whl", "six-1.17.0-py2.py3-none-any.whl", "traitlets-5.14.3-py3-none-any.whl"]);
    for (const file of fs.readdirSync(dir)) expect(sha256(fs.readFileSync(path.join(dir, file)))).toBe(sha256(fs.readFileSync(path.join(wheels, file))));
    expect(index.requests).toEqual(expect.arrayContaining(["/simple/escapism/", "/simple/six/", "/simple/traitlets/"]));
    expect(cachedHubWheels("4.2.0", options)).toBe(dir);
  });

  withPython("refuses a wheel whose bytes do not match the index's sha256, and caches nothing", async () => {
    const index = await track(serveSimpleIndex(wheels, { tampered: new Set(["six-1.17.0-py2.py3-none-any.whl"]) }));
    const options = { python: python!, pip: pipCommand(python!), pythonMinor: PYTHON_MINOR, requirements, cacheDir: freshCache(), env: { ...process.env, PIP_INDEX_URL: `${index.url}/simple/` } };
    await expect(fetchHubWheels("4.2.0", options)).rejects.toThrow(/pip download from http:\/\/127\.0\.0\.1:\d+\/simple\/ failed: ERROR: THESE PACKAGES DO NOT MATCH THE HASHES/);
    expect(cachedHubWheels("4.2.0", options)).toBeUndefined();
  });
});

describe("with neither an offline copy nor a reachable registry", () => {
  // One jest run whose global setup finds nothing: the line it prints is what both tests read.
  let closed: string;
  let cacheDir: string;
  let run: { status: number | null; stderr: string };
  let lines: string[];
  beforeAll(async () => {
    closed = await closedLoopbackUrl();
    cacheDir = freshCache();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      JUPYTERHUB_PULUMI_CACHE: cacheDir,
      Z2JH_CHART_REPOSITORY: `${closed}/`,
      PIP_INDEX_URL: `${closed}/simple/`,
    };
    for (const key of Object.keys(env)) if (key.startsWith("JEST_")) delete env[key];
    run = spawnSync(process.execPath, [path.join(PROJECT_ROOT, "node_modules", "jest", "bin", "jest.js"), "tests/toolchain/layering.test.ts"], {
      cwd: PROJECT_ROOT,
      env,
      encoding: "utf8",
      timeout: 120_000,
    });
    lines = run.stderr.split("\n").filter((l) => l.startsWith("The real-chart and real-hub tests cannot get"));
  }, 180_000);

  it("reports what is missing, why and how to fix it, in one line", () => {
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toContain(`the Z2JH chart ${[...SUPPORTED_CHART_VERSIONS].sort().join(", ")} (cannot reach ${closed}/index.yaml (ECONNREFUSED))`);
    if (hubPythonBase) expect(line).toContain(`the hub's Python for chart ${[...SUPPORTED_CHART_VERSIONS].sort().join(", ")} (cannot reach ${closed}/simple/ (ECONNREFUSED))`);
    expect(line).toContain(`Fix: run once with internet access (they are cached in ${cacheDir}), or point Z2JH_CHARTS and HUB_PYTHON_WHEELS at offline copies`);
  });

  it("stops the jest run in its global setup with that line once, before any test file runs", () => {
    expect(run.status).toBe(1);
    expect(lines).toHaveLength(1);
    expect(run.stderr).not.toContain("Tests:");
    expect(run.stderr.match(/is missing|is neither in an offline copy/g)).toBeNull();
  });
});
