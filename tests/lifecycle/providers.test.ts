// The dynamic providers are plain CommonJS files (components/lifecycle/providers/), loaded by
// Pulumi's dynamic provider host from the state: they must stand alone, and they type-check as
// JavaScript (// @ts-check, JSDoc types) like the program's TypeScript.
import { spawnSync } from "child_process";
import * as fs from "fs";
import { builtinModules } from "module";
import * as os from "os";
import * as path from "path";
import { PROVIDERS_DIR, providerSource } from "../../components/lifecycle/dynamicProvider";
import { PROJECT_ROOT } from "../harness/stackConfig";

const files = fs.readdirSync(PROVIDERS_DIR).filter((file) => file.endsWith(".cjs"));

it("has the three providers", () => {
  expect(files.sort()).toEqual(["adoptionGuard.cjs", "serverShutdown.cjs", "vaultSecretsMove.cjs"]);
});

it.each(files)("%s loads as the host loads it and requires nothing but Node's own modules", (file) => {
  const source = providerSource(file);
  for (const [, required] of source.matchAll(/require\("([^"]+)"\)/g)) expect(builtinModules).toContain(required);
  // cmd/dynamic-provider's getProvider: requireFromString(__provider).handler()
  const module = { exports: {} as { handler: () => Record<string, unknown> } };
  new Function("module", "exports", "require", source)(module, module.exports, require);
  const provider = module.exports.handler();
  expect(typeof provider.create).toBe("function");
  expect(typeof provider.diff).toBe("function");
});

it("type-checks them as JavaScript, strictly", () => {
  // From a directory without a tsconfig.json, so that only these files and flags count.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "providers-tsc-"));
  try {
    const tsc = path.join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc");
    const flags = ["--noEmit", "--allowJs", "--checkJs", "--strict", "--target", "es2022", "--module", "commonjs", "--lib", "es2022,dom"];
    const typeRoots = ["--types", "node", "--typeRoots", path.join(PROJECT_ROOT, "node_modules", "@types")];
    const result = spawnSync(process.execPath, [tsc, ...flags, ...typeRoots, ...files.map((f) => path.join(PROVIDERS_DIR, f))], { cwd: scratch, encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
