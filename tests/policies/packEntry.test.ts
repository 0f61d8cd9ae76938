// The pack as the Pulumi CLI loads it, and the rule that nothing else starts it.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { allPolicies } from "../../policies/allPolicies";
import { PROJECT_ROOT } from "../harness/stackConfig";

const POLICIES = path.join(PROJECT_ROOT, "policies");

it("has the files the CLI and the PolicyPack constructor read", () => {
  const manifest = YAML.parse(fs.readFileSync(path.join(POLICIES, "PulumiPolicy.yaml"), "utf8"));
  expect(manifest).toEqual({ runtime: "nodejs", description: expect.stringMatching(/\w/) });
  // PolicyPack reads its version from the package.json of the directory it runs in.
  const packageJson = JSON.parse(fs.readFileSync(path.join(POLICIES, "package.json"), "utf8"));
  expect(packageJson.version).toMatch(/^\d+\.\d+\.\d+$/);
  expect(fs.existsSync(path.join(POLICIES, packageJson.main))).toBe(true);
});

it("registers every rule once, each with a description and an explicit enforcement level", () => {
  const names = allPolicies.map((p) => p.name);
  expect(new Set(names).size).toBe(names.length);
  for (const policy of allPolicies) {
    expect(policy.name).toMatch(/^[a-z0-9-]+$/);
    expect(policy.description).not.toBe("");
    expect(["advisory", "mandatory"]).toContain(policy.enforcementLevel);
  }
  expect(fs.readFileSync(path.join(POLICIES, "index.ts"), "utf8")).toMatch(/new PolicyPack\("jupyterhub", \{[^}]*policies: allPolicies/);
});

it("is started only by policies/index.ts: nothing imports it, nothing else constructs a PolicyPack", () => {
  const entry = [POLICIES, path.join(POLICIES, "index"), path.join(POLICIES, "index.ts")];
  const offenders: string[] = [];
  const visit = (dir: string) => {
    for (const item of fs.readdirSync(dir, { withFileTypes: true })) {
      if (["node_modules", ".git", "rendered", "bin"].includes(item.name)) continue;
      const file = path.join(dir, item.name);
      if (item.isDirectory()) visit(file);
      if (!item.isFile() || !/\.(ts|js|cjs|mjs)$/.test(item.name) || file === entry[2]) continue;
      const text = fs.readFileSync(file, "utf8");
      for (const [, specifier] of text.matchAll(/(?:from\s+|import\s+|require\(\s*|import\(\s*)["']([^"']+)["']/g)) {
        if (specifier.startsWith(".") && entry.includes(path.resolve(dir, specifier))) offenders.push(`${file} imports ${specifier}`);
      }
      if (!file.endsWith(".test.ts") && text.includes("new PolicyPack(")) offenders.push(`${file} constructs a PolicyPack`);
    }
  };
  visit(PROJECT_ROOT);
  expect(offenders).toEqual([]);
});
