// npm test's type check: `tsc --noEmit` over the whole project, skipped when none of its inputs
// changed since it last passed.
//
// The checker is TypeScript 7, the native tsc (devDependency `typescript-native`, an npm alias of
// typescript@7): on this project it takes about a third of TypeScript 6's CPU (4.5 against
// 15 CPU-s for a first check). TypeScript 6 stays the `typescript` dependency, for the SDK's
// function serialization and the tests that call the compiler's API (7 has only an unstable one,
// of another shape).
//
// Even incremental, tsc parses and binds every file of the program before it can tell that nothing
// changed: 1,900 files, most of them the providers' declarations, about 2 CPU-seconds (6.5 with
// TypeScript 6) of every run for an answer already known. Its inputs are the project's own sources
// (what tsconfig.json includes and what they import: TypeScript, JavaScript, JSON), tsconfig.json,
// the TypeScript version and the installed packages, which package-lock.json pins (`npm ci`, which
// empties the test cache anyway). When their digest is the one the last pass recorded, the result
// is the same and tsc is not run; otherwise tsc runs (incremental, its state kept with the test
// inputs) and a pass records the digest.
//
// It runs on one thread (--singleThreaded): npm test starts it beside the hub venvs' builds, with
// both cores busy, where tsc's parallel checkers only add the cost of their coordination. A first
// check took 3.5 CPU-s against 5.3 on its default threads, and no longer even on an idle
// machine (about 2.8 s either way, three runs each on this 2-core VM).
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./stackConfig";
import { testInputCacheDir } from "./testInputCache";

/** Directories that hold no input of the program anywhere: installed packages, VCS, bytecode. */
const NOT_SOURCES = new Set(["node_modules", ".git", "__pycache__"]);
/** The project root's generated output (.gitignore): a directory of that name deeper is a source. */
const ROOT_OUTPUT = new Set(["bin", "rendered"]);
const SOURCE_FILE = /\.(?:[cm]?ts|[cm]?js|json)$/;

/** Every project file tsc could read, relative to the project root, sorted; links followed. */
function sourceFiles(dir = PROJECT_ROOT): string[] {
  return fs.readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (stat?.isDirectory()) return NOT_SOURCES.has(name) || (dir === PROJECT_ROOT && ROOT_OUTPUT.has(name)) ? [] : sourceFiles(full);
    return stat?.isFile() && SOURCE_FILE.test(name) ? [path.relative(PROJECT_ROOT, full)] : [];
  });
}

/** The type checker's package directory: its package.json exports neither bin/tsc nor lib/. */
const CHECKER_DIRECTORY = path.dirname(require.resolve("typescript-native/package.json"));

function checkerVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(CHECKER_DIRECTORY, "package.json"), "utf8")) as { version: string }).version;
}

/** The digest of everything the type check's result depends on. */
export function typecheckInputsDigest(): string {
  const hash = crypto.createHash("sha256");
  hash.update(checkerVersion());
  for (const file of sourceFiles().sort()) {
    hash.update(`\0${file}\0`);
    hash.update(fs.readFileSync(path.join(PROJECT_ROOT, file)));
  }
  return hash.digest("hex");
}

function main(): number {
  // Per checker version: another version's incremental state is of no use to it.
  const stateDir = path.join(testInputCacheDir(), `tsc-${checkerVersion()}`);
  const passedFile = path.join(stateDir, "passed");
  const digest = typecheckInputsDigest();
  if (fs.existsSync(passedFile) && fs.readFileSync(passedFile, "utf8") === digest) {
    process.stdout.write("tsc --noEmit passed on exactly these sources before: not run again\n");
    return 0;
  }
  fs.mkdirSync(stateDir, { recursive: true });
  fs.rmSync(passedFile, { force: true });
  const tsc = spawnSync(process.execPath, [path.join(CHECKER_DIRECTORY, "bin", "tsc"), "--noEmit", "--singleThreaded", "--incremental", "--tsBuildInfoFile", path.join(stateDir, "tsbuildinfo"), "-p", PROJECT_ROOT], {
    cwd: PROJECT_ROOT,
    stdio: "inherit",
  });
  if (tsc.status !== 0) return tsc.status ?? 1;
  // A file changed while tsc ran may have been read in either form: then nothing is recorded.
  if (typecheckInputsDigest() === digest) fs.writeFileSync(passedFile, digest);
  return 0;
}

if (require.main === module) process.exitCode = main();
