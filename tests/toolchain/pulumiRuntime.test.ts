// The program as the Pulumi CLI's Node.js runtime loads it: the language host starts node with
// Pulumi.yaml's nodeargs and @pulumi/pulumi's cmd/run (pulumi-language-nodejs main.go,
// execRuntime), which requires the program. The project's swc hook transpiles it there as it does
// for render, from production dependencies only, and with an empty cache (a new machine).
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { SettingsError } from "../../settings/SettingsError";
import { languageHostCommand, startMockEngine } from "../../offline/mockEngineServer";
import { renderStack } from "../harness/renderStack";
import { flattenConfig, PROJECT_ROOT, readStackConfig } from "../harness/stackConfig";

const runtimeOptions = (YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8")) as { runtime: { options: Record<string, unknown> } }).runtime.options;
const packageJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

it("loads the program with the project's swc hook, not the SDK's ts-node", () => {
  expect(runtimeOptions).toEqual({ typescript: false, nodeargs: "--max-semi-space-size=8 --require ./scripts/registerTypeScript.cjs" });
  expect(Object.keys(packageJson.dependencies)).toContain("@swc/core");
});

it("runs the program under cmd/run from an empty transpile cache, declaring what render declares, from production dependencies", async () => {
  const config = flattenConfig(readStackConfig("homelab"));
  const engine = await startMockEngine({ stack: "homelab", config, preview: true });
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "cold-transpile-"));
  const packagesFile = path.join(cache, "packages.json");
  try {
    const { args, env } = languageHostCommand({ project: "jupyterhub", stack: "homelab", programDirectory: PROJECT_ROOT, runtimeOptions, address: engine.address, config, preview: true });
    const child = spawn(process.execPath, ["-r", "./scripts/bench/reportUsage.cjs", ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env, REGISTER_TYPESCRIPT_CACHE: cache, BENCH_PACKAGES_FILE: packagesFile },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(engine.logs.filter((log) => log.severity >= 3)).toEqual([]); // LogSeverity ERROR
    expect(fs.readdirSync(cache).filter((file) => file.endsWith(".js")).length).toBeGreaterThan(50); // transpiled here, cold

    const underCli = (await engine.runtime.settle()).filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => `${r.type} ${r.name}`);
    const rendered = (await renderStack(readStackConfig("homelab"), "homelab", undefined, { preview: true })).resources.map((r) => `${r.type} ${r.name}`);
    expect(underCli).toEqual(rendered);

    const devDependencies = Object.keys(packageJson.devDependencies);
    const loaded = JSON.parse(fs.readFileSync(packagesFile, "utf8")) as string[];
    expect(loaded).toEqual(expect.arrayContaining(["@pulumi/kubernetes", "@pulumi/pulumi", "@swc/core", "zod"]));
    expect(loaded.filter((p) => devDependencies.includes(p))).toEqual([]);
    // The SDK's TypeScript compiler is deferred by the hook (scripts/deferSdkTypeScript.cjs): the program serializes no function.
    expect(loaded).not.toContain("typescript");
  } finally {
    await engine.stop();
    fs.rmSync(cache, { recursive: true, force: true });
  }
}, 120000);

it("loads the SDK's TypeScript compiler under the hook only when a function is serialized, which then works as without the hook", async () => {
  // A closure and a class whose method calls super: the serializer parses both with the compiler
  // (closure/parseFunction.js, rewriteSuper.js). A file, not node -e, whose globals the serializer
  // would walk into deprecated built-in modules.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "serialize-function-"));
  const script = path.join(dir, "serialize.js");
  fs.writeFileSync(
    script,
    `const pulumi = require(${JSON.stringify(require.resolve("@pulumi/pulumi", { paths: [PROJECT_ROOT] }))});
    const compilerLoaded = () => Object.keys(require.cache).some((file) => /[\\\\/]node_modules[\\\\/]typescript[\\\\/]lib[\\\\/]/.test(file));
    const before = compilerLoaded();
    class Base { greet() { return "hello"; } }
    class Loud extends Base { greet() { return super.greet().toUpperCase(); } }
    pulumi.runtime.serializeFunction(() => new Loud().greet()).then((serialized) => {
      const exported = eval(serialized.text + "; exports." + serialized.exportName);
      console.log(JSON.stringify({ before, after: compilerLoaded(), result: exported() }));
    });\n`,
  );
  try {
    const child = spawn(process.execPath, ["-r", "./scripts/registerTypeScript.cjs", script], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.on("exit", resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(JSON.parse(stdout)).toEqual({ before: false, after: true, result: "HELLO" });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60000);

it("names the TypeScript line in a stack trace under cmd/run, from a fresh and from a cached transpile", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-stack-trace-"));
  const cache = path.join(dir, "cache");
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "stack-trace", main: "index.ts" }));
  // The types above the throw are not in the JavaScript: without the source map its line is another.
  const program = ["interface Unused {", "  a: number;", "}", "type Name = string;", "", "function fail(name: Name): never {", "  throw new Error(`failed ${name}`);", "}", 'fail("here");', ""];
  fs.writeFileSync(path.join(dir, "index.ts"), program.join("\n"));
  const throwLine = program.findIndex((line) => line.includes("throw")) + 1;
  try {
    for (const run of ["fresh", "cached"]) {
      const engine = await startMockEngine({ stack: "test", config: {}, preview: true });
      try {
        const { args, env } = languageHostCommand({ project: "test", stack: "test", programDirectory: dir, runtimeOptions, address: engine.address, config: {}, preview: true });
        const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env, REGISTER_TYPESCRIPT_CACHE: cache }, stdio: "ignore" });
        expect(await new Promise((resolve) => child.on("exit", resolve))).not.toBe(0);
        // LogSeverity ERROR; Node colours the frames outside node_modules.
        const errors = engine.logs.filter((log) => log.severity >= 3).map((log) => log.message.replace(/\x1b\[[0-9;]*m/g, ""));
        expect({ run, errors: errors.join("\n") }).toEqual({ run, errors: expect.stringContaining(`${path.join(dir, "index.ts")}:${throwLine}:`) });
      } finally {
        await engine.stop();
      }
    }
    expect(fs.readdirSync(cache).filter((file) => file.endsWith(".js.map"))).toHaveLength(1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60000);

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
