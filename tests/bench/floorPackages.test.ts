// The benchmark's floor must load exactly the project's own dependencies that a render loads, or
// its "render vs floor" ratio means nothing.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FLOOR_PACKAGES } from "../../scripts/bench/bench";
import { PROJECT_ROOT } from "../harness/stackConfig";

it("lists in FLOOR_PACKAGES every direct dependency `npm run render -- homelab` loads", () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "floor-"));
  try {
    const packagesFile = path.join(scratch, "packages.json");
    const result = spawnSync(
      process.execPath,
      ["-r", "./scripts/bench/reportUsage.cjs", "-r", "./scripts/registerTypeScript.cjs", "scripts/render.ts", "homelab", "--out", path.join(scratch, "out")],
      { cwd: PROJECT_ROOT, env: { ...process.env, BENCH_PACKAGES_FILE: packagesFile }, encoding: "utf8" },
    );
    expect(result.status).toBe(0);
    // @swc/core is the TypeScript hook render runs under (a dependency since `pulumi up` uses the
    // same hook): the program's own cost, which the floor's plain JavaScript does not pay.
    const dependencies = Object.keys(JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).dependencies).filter((p) => p !== "@swc/core");
    const loaded = (JSON.parse(fs.readFileSync(packagesFile, "utf8")) as string[]).filter((p) => dependencies.includes(p));
    expect(loaded).toEqual([...FLOOR_PACKAGES].sort());
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
