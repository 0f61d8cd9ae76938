// jest's module runtime (jest.config.js `runtime`), keeping V8's compiled code of every module a
// test file loads. jest runs each test file in a fresh module registry and compiles each module it
// loads with vm.Script, without V8's code cache that Node's own require uses: every file compiled
// @pulumi/pulumi, its gRPC and protobuf code and the providers' SDKs again, about a third of a
// small test file's CPU. Here each module's script is given the code V8 produced for the same
// source before (keyed by the source's hash, so a changed file just compiles afresh), and a
// script compiled without one has its code kept when the test file ends, functions compiled while
// it ran included. The code is kept with the test inputs (testInputCache.ts), so `npm ci` starts
// it afresh; V8 refuses code another V8 version or other flags made, which is then replaced.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const Runtime = require("jest-runtime").default;

const CACHE_DIR = path.join(process.env.JUPYTERHUB_PULUMI_CACHE || path.join(__dirname, "..", "..", "node_modules", ".cache", "jupyterhub-pulumi"), "jest-code-cache");

const CompilingScript = vm.Script;
/** Scripts compiled without usable code this test file, with where their code goes. */
const uncached = [];
/**
 * What this worker already compiled, by module file: its source and V8's code for it. A worker runs
 * test file after test file, each loading mostly the same ~900 modules; a module whose source is
 * the one seen before gets the same code without its source being hashed or its code read again.
 */
const compiled = new Map();

class CodeCachingScript extends CompilingScript {
  constructor(source, options) {
    const seen = compiled.get(options.filename);
    let cachedData = seen && seen.source === source ? seen.cachedData : undefined;
    let file;
    if (!cachedData) {
      // SHA-1, the fastest of Node's one-shot hashes.
      file = path.join(CACHE_DIR, crypto.hash("sha1", source));
      try {
        cachedData = fs.readFileSync(file);
      } catch {
        // Not compiled before.
      }
    }
    super(source, { ...options, cachedData });
    if (!cachedData || this.cachedDataRejected) {
      uncached.push({ script: this, file: file ?? path.join(CACHE_DIR, crypto.hash("sha1", source)), filename: options.filename, source });
    } else if (!seen || seen.cachedData !== cachedData) {
      compiled.set(options.filename, { source, cachedData });
    }
  }
}

/**
 * Installed packages' files as read once by this worker: jest reads each module's file afresh for
 * every test file. Nothing installs packages while tests run; the project's own files are read
 * each time, as jest does (a test may write one).
 */
const installedFiles = new Map();
const INSTALLED = `${path.sep}node_modules${path.sep}`;

class CodeCachingRuntime extends Runtime {
  // jest-runtime constructs the script with `new vm.Script(...)` looked up at each call, so for
  // the length of this synchronous call that is the caching one.
  createScriptFromCode(source, filename) {
    vm.Script = CodeCachingScript;
    try {
      return super.createScriptFromCode(source, filename);
    } finally {
      vm.Script = CompilingScript;
    }
  }

  readFile(filename) {
    if (!filename.includes(INSTALLED)) return super.readFile(filename);
    let text = installedFiles.get(filename);
    if (text === undefined) installedFiles.set(filename, (text = super.readFile(filename)));
    return text;
  }

  teardown() {
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      for (const { script, file, filename, source } of uncached.splice(0)) {
        const cachedData = script.createCachedData();
        compiled.set(filename, { source, cachedData });
        // Written aside and renamed: the other worker may read it meanwhile.
        const partial = `${file}.${process.pid}`;
        fs.writeFileSync(partial, cachedData);
        fs.renameSync(partial, file);
      }
    } catch {
      // A cache that cannot be written costs time, not correctness.
      uncached.length = 0;
    }
    return super.teardown();
  }
}

module.exports = CodeCachingRuntime;
