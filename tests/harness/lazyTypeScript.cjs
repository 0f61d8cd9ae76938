// What @pulumi/pulumi's closure serializer gets for `require("../../typescript-shim")` under jest
// (jest.config.js moduleNameMapper): the TypeScript compiler, loaded at its first use instead of
// with the SDK. The SDK loads its 9 MB at import (runtime/closure/parseFunction.js) though only
// serializing a function (a dynamic provider's) uses it, and jest compiles it again for each test
// file: about 0.4 CPU-seconds of every test file that imports the SDK, most of which never use it.
"use strict";
let typescript;
const load = () => (typescript ??= require("typescript"));

// The target stays an empty object, so each property is reported configurable (a proxy may not
// call a property non-configurable that its target lacks): Object.keys, spreading and inspecting
// the module then work as on the module itself.
module.exports = new Proxy(
  {},
  {
    get: (_, key) => load()[key],
    set: (_, key, value) => Reflect.set(load(), key, value),
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Object.getOwnPropertyDescriptor(load(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  },
);
