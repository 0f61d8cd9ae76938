// The dynamic providers are plain CommonJS files (components/lifecycle/providers/), loaded by
// Pulumi's dynamic provider host from the state: they must stand alone, and they type-check as
// JavaScript (// @ts-check, JSDoc types) like the program's TypeScript, in the project's own
// type check (tsconfig.json includes them with allowJs and checkJs).
import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import * as ts from "typescript";
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

it("are type-checked as JavaScript, strictly, in the project's one type check (tsc -p ., which npm test runs)", () => {
  // TypeScript's own reading of tsconfig.json: the files it checks, with which options.
  const configFile = path.join(PROJECT_ROOT, "tsconfig.json");
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  })!;
  expect(parsed.errors).toEqual([]);
  for (const file of files) expect(parsed.fileNames).toContain(path.join(PROVIDERS_DIR, file).split(path.sep).join("/"));
  expect(parsed.options).toMatchObject({ allowJs: true, checkJs: true, strict: true });
  for (const loosened of ["noImplicitAny", "strictNullChecks"] as const) expect({ [loosened]: parsed.options[loosened] }).not.toEqual({ [loosened]: false });
});
