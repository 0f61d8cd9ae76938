// Lets plain `node` run this project's TypeScript: `node -r ./scripts/registerTypeScript.cjs x.ts`.
// The Pulumi CLI loads the program the same way (Pulumi.yaml: `typescript: false` and this file in
// `nodeargs`), as do `npm run render`, the bench and doctor, so all run the same transpiled code.
// Transpile only (`npm test` type-checks once with tsc), with swc, and a cache keyed by each
// file's content so that swc is not even loaded when nothing changed. A cold run (empty cache, a
// new machine or CI runner) transpiles the program in a fraction of a second, where the SDK's
// ts-node with the TypeScript compiler took seconds.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const { pathToFileURL } = require("url");

// REGISTER_TYPESCRIPT_CACHE moves the cache (the bench points it at an empty directory for a cold run).
const CACHE_DIR = process.env.REGISTER_TYPESCRIPT_CACHE || path.join(__dirname, "..", "node_modules", ".cache", "register-typescript");
// The source map is kept in a file of its own next to the code, which names it: Node reads it only
// where source maps are on (under the CLI, below), and takes the TypeScript of a stack trace's
// line from the file itself, so the map leaves the source out. Inline, the map would be read and
// compiled with the code by every run, render's too (about a tenth of what loading the
// program's modules costs there).
const OPTIONS = {
  jsc: { parser: { syntax: "typescript" }, target: "es2022" },
  module: { type: "commonjs" },
  sourceMaps: true,
  inlineSourcesContent: false,
};
// Part of the cache key: what a cached file holds changed (the map used to be inline).
const CACHE_FORMAT = "map-file";

let swc;
function transpile(source, filename) {
  swc = swc || require("@swc/core");
  return swc.transformSync(source, { ...OPTIONS, filename });
}

// Written aside and renamed: a process starting meanwhile never reads half a file.
function writeAtomically(file, text) {
  const partial = `${file}.${process.pid}`;
  fs.writeFileSync(partial, text);
  fs.renameSync(partial, file);
}

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const key = crypto.createHash("sha256").update(CACHE_FORMAT).update("\0").update(filename).update("\0").update(source).digest("hex");
  const cached = path.join(CACHE_DIR, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, "utf8");
  } catch {
    const output = transpile(source, filename);
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      writeAtomically(`${cached}.map`, output.map); // before the code that names it
      // A path, not a file: URL, which Node refuses; it resolves it against the module's own URL.
      code = `${output.code}\n//# sourceMappingURL=${pathToFileURL(`${cached}.map`).pathname}\n`;
      writeAtomically(cached, code);
    } catch {
      // A read-only checkout still runs; it just transpiles every time, the map inline.
      code = `${output.code}\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(output.map).toString("base64")}\n`;
    }
  }
  module._compile(code, filename);
};

// Under the Pulumi CLI, @pulumi/pulumi's cmd/run installs source-map-support for readable stack
// traces (cmd/run/index.js). The SDK captures a stack for every promise it makes
// (runtime/debuggable.js) and an unbounded one for every resource (Resource.callsites in
// resource.js), and source-map-support rewrites each frame of each of them in JavaScript: with
// this stack, more time than transpiling the whole program. Node's own source maps give the same
// TypeScript positions for a fraction of that, so they are used instead: source-map-support's
// formatter is claimed here, before cmd/run loads it (its install() sets Error.prepareStackTrace
// only once), and put back to Node's. Its uncaught-exception handler is left for cmd/run to install.
const SDK_RUN = /[\\/]@pulumi[\\/]pulumi[\\/]cmd[\\/]run([\\/](index\.js)?)?$/;
const { setSourceMapsSupport } = require("module"); // Node 22.14 and newer
if (SDK_RUN.test(process.argv[1] || "") && typeof setSourceMapsSupport === "function") {
  const sourceMapSupport = require(require.resolve("source-map-support", { paths: [path.dirname(require.resolve(process.argv[1]))] }));
  sourceMapSupport.install({ handleUncaughtExceptions: false });
  Error.prepareStackTrace = undefined;
  setSourceMapsSupport(true);
}

// The SDK's TypeScript compiler, which this program never calls (its dynamic providers are files,
// components/lifecycle/dynamicProvider.ts), runs at its first use instead of as the SDK loads.
require("./deferSdkTypeScript.cjs");
