// @pulumi/pulumi requires the TypeScript compiler (9 MB) as it loads, through its shim
// (runtime/closure/parseFunction.js), though only serializing a function uses it: a closure given
// to pulumi.dynamic.Resource or to the runtime's serializeFunction. Required first (or preloaded
// with `node -r`), this file makes the shim run at its first use instead (lazyModule.cjs), so a
// process that serializes no function never loads the compiler: about 0.4 CPU-seconds and 14,000
// page faults of every process that loads the SDK. One that does serialize loads it then.
// Used by registerTypeScript.cjs (the program, render, the tools), the bench's floor, and the
// tests' dynamic-provider server (tests/harness/dynamicProviderHost.ts).
"use strict";
const path = require("path");
const { deferModule } = require("./lazyModule.cjs");

try {
  deferModule(require.resolve("@pulumi/pulumi/typescript-shim", { paths: [path.join(__dirname, "..")] }));
} catch {
  // No SDK installed beside this file (a broken install): nothing to defer, and the run says why.
}
