// One Node for everything (issue 19): the Pulumi CLI starts index.ts with the `node` on PATH, so
// index.ts refuses an older one before anything else loads; the version files, engines and
// devEngines name the same Node.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { minimumOf, parseNodeVersion, projectNodeRequirement, refuseUnsupportedNode, unsupportedNodeMessage } from "../../toolchain/nodeVersion";
import { PROJECT_ROOT } from "../harness/stackConfig";

const packageJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string; onFail: string }; packageManager: { name: string; version: string; onFail: string } };
  devDependencies: Record<string, string>;
};
const tsconfig = (YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: { tsconfig: string } } }).runtime.options.tsconfig;

/** index.ts loaded the way @pulumi/pulumi's cmd/run/run.js loads it (ts-node, transpile-only), on a Node reporting `version`. */
function runIndexOn(version: string) {
  const script = `
    Object.defineProperty(process.versions, "node", { value: ${JSON.stringify(version)} });
    const tsutils = require("@pulumi/pulumi/tsutils");
    const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
    require(tsnodeRequire).register({ compiler: typescriptRequire, transpileOnly: true, project: ${JSON.stringify(tsconfig)}, compilerOptions: {} });
    const pulumi = require("@pulumi/pulumi");
    let outcome;
    try { require("./index.ts"); outcome = { loaded: true }; }
    catch (error) { outcome = { runError: pulumi.RunError.isInstance(error), message: error.message }; }
    outcome.programLoaded = Object.keys(require.cache).some((file) => file.endsWith("/program.ts"));
    console.log(JSON.stringify(outcome));
  `;
  const run = spawnSync(process.execPath, ["-e", script], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120000 });
  expect(run.stderr).toBe("");
  return JSON.parse(run.stdout) as { loaded?: boolean; runError?: boolean; message?: string; programLoaded: boolean };
}

it("stops index.ts on Node 20 at once, as a RunError naming the Node to use, before the program loads", () => {
  const outcome = runIndexOn("20.20.2");
  expect(outcome).toEqual({
    runError: true,
    programLoaded: false,
    message: expect.stringContaining(`needs Node.js ${packageJson.engines.node} (as @pulumi/pulumi does), but it was started with Node 20.20.2`),
  });
  expect(outcome.message).toContain(`Use Node ${projectNodeRequirement().recommended}, the version in the project's .nvmrc`);
});

it("lets index.ts go on to the program on a supported Node", () => {
  // Past the guard, the program loads and then stops on the missing stack config (no CLI here).
  const outcome = runIndexOn("24.21.0");
  expect(outcome.programLoaded).toBe(true);
  expect(outcome.message ?? "").not.toContain("needs Node.js");
});

it("compares versions numerically, down to the patch", () => {
  const requirement = { range: ">=22.3.1", recommended: "24" };
  expect(unsupportedNodeMessage("22.3.1", "/usr/bin/node", requirement)).toBeUndefined();
  expect(unsupportedNodeMessage("22.10.0", "/usr/bin/node", requirement)).toBeUndefined();
  expect(unsupportedNodeMessage("22.3.0", "/usr/bin/node", requirement)).toContain("Node 22.3.0 (/usr/bin/node)");
  expect(unsupportedNodeMessage("9.11.2", "/usr/bin/node", requirement)).toContain("Node 9.11.2");
  expect(unsupportedNodeMessage("not-a-version", "/usr/bin/node", requirement)).toContain("Node not-a-version");
  expect(() => refuseUnsupportedNode("18.0.0", "node", requirement)).toThrow(/needs Node\.js >=22\.3\.1/);
  expect(() => minimumOf("^22")).toThrow("engines.node '^22' is not of the form >=MAJOR[.MINOR[.PATCH]]");
});

describe("every place that names the Node agrees", () => {
  const nvmrc = fs.readFileSync(path.join(PROJECT_ROOT, ".nvmrc"), "utf8").trim();

  it("has .nvmrc and .node-version naming one Node line, the one the node devDependency brings to npm scripts", () => {
    expect(fs.readFileSync(path.join(PROJECT_ROOT, ".node-version"), "utf8").trim()).toBe(nvmrc);
    expect(parseNodeVersion(nvmrc)).toBeDefined();
    expect(parseNodeVersion(packageJson.devDependencies.node)![0]).toBe(parseNodeVersion(nvmrc)![0]);
  });

  it("names a Node that engines accepts, and asks at least what @pulumi/pulumi asks", () => {
    const minimum = minimumOf(packageJson.engines.node);
    expect(unsupportedNodeMessage(nvmrc, "node", { range: packageJson.engines.node, recommended: nvmrc })).toBeUndefined();
    const sdk = minimumOf((require("@pulumi/pulumi/package.json") as { engines: { node: string } }).engines.node);
    expect(unsupportedNodeMessage(minimum.join("."), "node", { range: `>=${sdk.join(".")}`, recommended: nvmrc })).toBeUndefined();
  });

  it("has devEngines ask npm for the same range as engines, warning only (npm scripts run on the node devDependency anyway)", () => {
    // npm 11 checks devEngines.runtime against the Node running npm itself (lib/base-cmd.js
    // checkDevEngines) before install, ci and run. "error" would stop `npm ci` on an older Node,
    // which is what installs the Node 24 the scripts then run on; the warning says early what
    // index.ts refuses later under the Pulumi CLI.
    expect(packageJson.devEngines.runtime).toEqual({ name: "node", version: packageJson.engines.node, onFail: "warn" });
    expect(packageJson.devEngines.packageManager).toMatchObject({ name: "npm", onFail: "error" });
  });
});
