// The README is the newcomer's manual: its generated parts and its commands must match the code.
import * as fs from "fs";
import * as path from "path";
import { withReference } from "../../scripts/configReference";
import { PROJECT_ROOT } from "../harness/stackConfig";

const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
const packageJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"));

it("has a configuration reference generated from the current schema (run `npm run docs`)", () => {
  expect(readme).toBe(withReference(readme));
});

it("documents every top-level config key", () => {
  for (const key of ["hub", "cluster", "auth", "users", "groups", "profiles", "culling", "storage", "namedServers", "https", "prePuller"]) {
    expect(readme).toContain(`### \`jupyterhub:${key}\``);
  }
});

it("gives the test command that .ci/run runs, and scripts for every npm run it mentions", () => {
  const ciRun = fs.readFileSync(path.join(PROJECT_ROOT, ".ci", "run"), "utf8");
  expect(readme).toContain("npm ci\nnpm test\n");
  expect(ciRun).toMatch(/^npm ci\b.*\nnpm test$/m);
  for (const [, script] of readme.matchAll(/npm run (\w+)/g)) expect(packageJson.scripts).toHaveProperty(script);
});
