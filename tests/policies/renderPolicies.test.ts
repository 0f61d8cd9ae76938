// `npm run render` prints the policy verdicts of a committed stack (a real process, as CI runs it).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evaluatedPolicies } from "../../policies/evaluate";
import { PROJECT_ROOT } from "../harness/stackConfig";

it("prints 'policies: N passed' for the dev stack and writes its files", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-policies-"));
  try {
    const result = spawnSync(
      process.execPath,
      ["-r", path.join(PROJECT_ROOT, "scripts", "registerTypeScript.cjs"), path.join(PROJECT_ROOT, "scripts", "render.ts"), "dev", "--out", out],
      { cwd: PROJECT_ROOT, encoding: "utf8" },
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`\npolicies: ${evaluatedPolicies().length} passed\n`);
    expect(fs.readdirSync(out).sort()).toEqual(["resources.json", "values.yaml"]);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
