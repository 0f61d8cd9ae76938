// The program as the Pulumi CLI's Node.js runtime loads it (@pulumi/pulumi cmd/run): TypeScript
// through the SDK's ts-node with the project's TypeScript, transpile-only (a cold run does not
// type-check; npm test does), and nothing from devDependencies.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { SettingsError } from "../../settings/SettingsError";
import { PROJECT_ROOT } from "../harness/stackConfig";

const runtimeOptions = (YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: Record<string, unknown> } }).runtime.options;
const packageJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };

it("compiles the program transpile-only under the CLI, while npm test's tsconfig type-checks", () => {
  expect(runtimeOptions).toMatchObject({ typescript: true, tsconfig: "tsconfig.pulumi.json" });
  // The SDK reads noCheck from the named file's own compilerOptions (tsutils.loadTypeScriptCompilerOptions).
  const { loadTypeScriptCompilerOptions } = require("@pulumi/pulumi/tsutils") as { loadTypeScriptCompilerOptions: (p: string) => Record<string, unknown> };
  expect(loadTypeScriptCompilerOptions(path.join(PROJECT_ROOT, "tsconfig.pulumi.json")).noCheck).toBe(true);
  expect(loadTypeScriptCompilerOptions(path.join(PROJECT_ROOT, "tsconfig.json")).noCheck).toBeUndefined();
});

it("loads the program through the SDK's ts-node with the project's TypeScript, needing only production dependencies", () => {
  // What cmd/run does with typescript: true (run.js): the compiler and ts-node the SDK picks, the
  // tsconfig from Pulumi.yaml, transpileOnly from its noCheck; then the program's modules.
  const script = `
    const path = require("path");
    const tsutils = require("@pulumi/pulumi/tsutils");
    const project = ${JSON.stringify(String(runtimeOptions.tsconfig))};
    const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
    const { noCheck } = tsutils.loadTypeScriptCompilerOptions(project);
    require(tsnodeRequire).register({ compiler: typescriptRequire, transpileOnly: noCheck, project, compilerOptions: {} });
    require("./program.ts");
    const packages = new Set();
    for (const file of Object.keys(require.cache)) {
      const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(path.relative(process.cwd(), file));
      if (match && !file.includes("node_modules/" + match[1] + "/node_modules/")) packages.add(match[1]);
    }
    console.log(JSON.stringify({ typescript: require(typescriptRequire).version, packages: [...packages].sort() }));
  `;
  const run = spawnSync(process.execPath, ["-e", script], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 120000 });
  expect(run.stderr).toBe("");
  const { typescript, packages } = JSON.parse(run.stdout) as { typescript: string; packages: string[] };
  expect(typescript).toBe(require("typescript/package.json").version); // the project's, not the SDK's vendored 3.8
  const devDependencies = Object.keys((packageJson as { devDependencies?: Record<string, string> }).devDependencies ?? {});
  expect(packages).toEqual(expect.arrayContaining(["@pulumi/kubernetes", "@pulumi/pulumi", "typescript", "zod"]));
  expect(packages.filter((p) => devDependencies.includes(p))).toEqual([]);
});

it("reports bad config to the CLI as a RunError: the message, without a stack trace", () => {
  const error = new SettingsError([{ key: "jupyterhub:hub.host", message: "is required (string)" }]);
  expect(pulumi.RunError.isInstance(error)).toBe(true);
  expect(error.message).toBe("invalid stack config (1 problem):\n  jupyterhub:hub.host: is required (string)");
});

it("runs under npm scripts on the Node the node devDependency brings, not the machine's", () => {
  const wanted = (packageJson as unknown as { devDependencies: Record<string, string> }).devDependencies.node;
  if (process.env.npm_lifecycle_event === undefined) return; // jest started by hand runs on whatever node started it
  expect(process.version).toBe(`v${wanted}`);
});
