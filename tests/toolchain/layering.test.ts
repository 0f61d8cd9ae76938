// Layers point one way: what ships (the program, scripts/, policies/, offline/) never imports from
// tests/. What render and the tests share lives in offline/.
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../harness/stackConfig";

const SHIPPED = ["index.ts", "program.ts", "toolchain", "components", "settings", "scripts", "policies", "offline", "images"];

function sourceFiles(entry: string): string[] {
  const full = path.join(PROJECT_ROOT, entry);
  if (!fs.existsSync(full)) return [];
  if (fs.statSync(full).isFile()) return [full];
  return fs
    .readdirSync(full, { withFileTypes: true })
    .filter((e) => e.name !== "node_modules")
    .flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(entry, e.name)) : /\.(ts|cjs|js)$/.test(e.name) ? [path.join(full, e.name)] : []));
}

it("imports nothing from tests/ in shipped code", () => {
  const offenders = SHIPPED.flatMap(sourceFiles).filter((file) => {
    const text = fs.readFileSync(file, "utf8");
    const specifiers = [...text.matchAll(/(?:from\s+|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]);
    return specifiers.some((s) => s.startsWith(".") && path.resolve(path.dirname(file), s).startsWith(path.join(PROJECT_ROOT, "tests") + path.sep));
  });
  expect(offenders.map((f) => path.relative(PROJECT_ROOT, f))).toEqual([]);
});

it("finds the shipped sources it checks", () => {
  expect(SHIPPED.flatMap(sourceFiles).length).toBeGreaterThan(50);
});
