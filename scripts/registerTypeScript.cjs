// Lets plain `node` run this project's TypeScript: `node -r ./scripts/registerTypeScript.cjs x.ts`.
// Transpile only (`npm test` type-checks once with tsc), with the swc that jest already uses, and
// a cache keyed by each file's content so that swc is not even loaded when nothing changed. This
// keeps `npm run render` close to the cost of merely loading the Pulumi packages.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "register-typescript");
const OPTIONS = {
  jsc: { parser: { syntax: "typescript" }, target: "es2022" },
  module: { type: "commonjs" },
  sourceMaps: "inline",
};

let swc;
function transpile(source, filename) {
  swc = swc || require("@swc/core");
  return swc.transformSync(source, { ...OPTIONS, filename }).code;
}

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const key = crypto.createHash("sha256").update(filename).update("\0").update(source).digest("hex");
  const cached = path.join(CACHE_DIR, `${key}.js`);
  let code;
  try {
    code = fs.readFileSync(cached, "utf8");
  } catch {
    code = transpile(source, filename);
    try {
      fs.mkdirSync(CACHE_DIR, { recursive: true });
      fs.writeFileSync(cached, code);
    } catch {
      // A read-only checkout still runs; it just transpiles every time.
    }
  }
  module._compile(code, filename);
};
