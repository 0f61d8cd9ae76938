// npm 11's allowScripts (issue 19): a strict npm (`npm ci --strict-allow-scripts`) fails on any
// dependency whose install scripts allowScripts does not cover (npm 11.19
// lib/utils/strict-allow-scripts-preflight.js, over @npmcli/arborist's unreviewed-scripts.js), and
// a future npm blocks them by default. Exactly one script is needed: the `node` package's
// preinstall, which installs the Node every npm script runs on.
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../harness/stackConfig";

const read = (file: string) => JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8"));
const packageJson = read("package.json") as { allowScripts: Record<string, boolean> };
const lock = read("package-lock.json") as { packages: Record<string, { hasInstallScript?: boolean; optional?: boolean }> };

/** Names of the locked packages with install scripts, as the lockfile records them. */
function packagesWithInstallScripts(): string[] {
  const names = Object.entries(lock.packages)
    .filter(([location, entry]) => location !== "" && entry.hasInstallScript)
    .map(([location]) => location.slice(location.lastIndexOf("node_modules/") + "node_modules/".length));
  return [...new Set(names)].sort();
}

it("decides every install script in the lockfile, so a strict npm ci passes", () => {
  expect(packagesWithInstallScripts().filter((name) => !(name in packageJson.allowScripts))).toEqual([]);
});

it("runs only the node package's script, for any version (npm refuses ranges; Renovate moves the version)", () => {
  expect(Object.entries(packageJson.allowScripts).filter(([, allowed]) => allowed)).toEqual([["node", true]]);
});

it("keeps no entry for a package that is gone or no longer has a script", () => {
  expect(Object.keys(packageJson.allowScripts).filter((name) => !packagesWithInstallScripts().includes(name))).toEqual([]);
});
