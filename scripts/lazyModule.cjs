// A module whose code runs at its first use rather than when it is required: a stand-in for its
// exports that loads it when any property is first read, written, listed or described, then
// forwards each of those to it. For what a dependency loads eagerly and mostly never uses
// (deferSdkTypeScript.cjs; tests/harness/lazyTypeScript.cjs under jest).
"use strict";
const Module = require("module");
const path = require("path");

/** Exports that are `load()`'s, called once, at the first touch. */
function lazyExports(load) {
  let loaded;
  const real = () => (loaded ??= load());
  // The target stays an empty object, so each property is reported configurable (a proxy may not
  // call a property non-configurable that its target lacks): Object.keys, spreading and inspecting
  // then work as on the module itself.
  return new Proxy(
    {},
    {
      get: (_, key) => real()[key],
      set: (_, key, value) => Reflect.set(real(), key, value),
      has: (_, key) => key in real(),
      ownKeys: () => Reflect.ownKeys(real()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Object.getOwnPropertyDescriptor(real(), key);
        return descriptor && { ...descriptor, configurable: true };
      },
    },
  );
}

/**
 * Puts a stand-in for the CommonJS module at `file` (an absolute path) in Node's module cache, so
 * that `require` of it returns lazyExports: the file itself runs, as `require` would run it, at the
 * stand-in's first use, and from then on `require` returns the module's own exports. A module
 * already loaded is left as it is.
 */
function deferModule(file) {
  if (require.cache[file]) return;
  const standIn = new Module(file, module);
  standIn.filename = file;
  standIn.paths = Module._nodeModulePaths(path.dirname(file));
  standIn.loaded = true;
  standIn.exports = lazyExports(() => {
    if (require.cache[file] === standIn) delete require.cache[file];
    return require(file);
  });
  require.cache[file] = standIn;
}

module.exports = { lazyExports, deferModule };
