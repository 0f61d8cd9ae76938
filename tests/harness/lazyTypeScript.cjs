// What @pulumi/pulumi's closure serializer gets for `require("../../typescript-shim")` under jest
// (jest.config.js moduleNameMapper): the TypeScript compiler, loaded at its first use instead of
// with the SDK. The SDK loads its 9 MB at import (runtime/closure/parseFunction.js) though only
// serializing a function (a dynamic provider's) uses it, and jest compiles it again for each test
// file: about 0.4 CPU-seconds of every test file that imports the SDK, most of which never use it.
// (Outside jest, scripts/deferSdkTypeScript.cjs defers the SDK's shim itself the same way.)
"use strict";
const { lazyExports } = require("../../scripts/lazyModule.cjs");

module.exports = lazyExports(() => require("typescript"));
