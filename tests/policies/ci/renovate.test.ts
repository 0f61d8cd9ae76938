// renovate.json: its regex managers find the versions they are meant to update, and its version
// caps admit what the project pins today (Renovate itself is not run here).
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_CHART_VERSION } from "../../../settings/schema";
import { PROJECT_ROOT } from "../../harness/stackConfig";

interface CustomManager {
  managerFilePatterns: string[];
  matchStrings: string[];
  datasourceTemplate: string;
  depNameTemplate?: string;
  registryUrlTemplate?: string;
  versioningTemplate?: string;
}
interface PackageRule {
  matchPackageNames?: string[];
  matchDatasources?: string[];
  groupName?: string;
  allowedVersions?: string;
}
const renovate = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "renovate.json"), "utf8")) as {
  customManagers: CustomManager[];
  packageRules: PackageRule[];
};
const packageJson = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8"));

/** Renovate's "/regex/" file patterns, applied to the repository's files. */
function managedFiles(manager: CustomManager): string[] {
  const patterns = manager.managerFilePatterns.map((pattern) => new RegExp(pattern.slice(1, -1)));
  const files = [...fs.readdirSync(PROJECT_ROOT), ...fs.readdirSync(path.join(PROJECT_ROOT, "settings")).map((f) => `settings/${f}`)];
  return files.filter((file) => patterns.some((pattern) => pattern.test(file))).sort();
}

function extracted(manager: CustomManager): { file: string; depName: string; currentValue: string }[] {
  return managedFiles(manager).flatMap((file) => {
    const text = fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");
    return manager.matchStrings.flatMap((source) =>
      [...text.matchAll(new RegExp(source, "g"))].map((match) => ({
        file,
        depName: match.groups?.depName ?? manager.depNameTemplate ?? "",
        currentValue: match.groups!.currentValue,
      })),
    );
  });
}

const stackFiles = () => fs.readdirSync(PROJECT_ROOT).filter((file) => /^Pulumi\..+\.yaml$/.test(file));

const chartManagers = renovate.customManagers.filter((m) => m.datasourceTemplate === "helm");
const imageManager = renovate.customManagers.find((m) => m.datasourceTemplate === "docker")!;

it("updates the Z2JH chart version in the stacks and the schema default, from the chart's repository", () => {
  const found = chartManagers.flatMap(extracted);
  expect(found).toContainEqual({ file: "settings/schema.ts", depName: "jupyterhub", currentValue: DEFAULT_CHART_VERSION });
  const stacksWithChart = stackFiles().filter((f) => /chartVersion:/.test(fs.readFileSync(path.join(PROJECT_ROOT, f), "utf8")));
  expect(found.filter((f) => f.file !== "settings/schema.ts").map((f) => f.file)).toEqual(stacksWithChart);
  for (const manager of chartManagers) expect(manager.registryUrlTemplate).toBe("https://hub.jupyter.org/helm-chart/");
});

it("updates every pinned Jupyter Docker Stacks image in the stacks, keeping a cuda prefix", () => {
  const found = extracted(imageManager);
  const images = stackFiles().flatMap((f) =>
    [...fs.readFileSync(path.join(PROJECT_ROOT, f), "utf8").matchAll(/image:\s*(quay\.io\/jupyter\/\S+)/g)].map((m) => m[1]),
  );
  expect(found.map((f) => `${f.depName}:${f.currentValue}`).sort()).toEqual(images.sort());
  const versioning = new RegExp(imageManager.versioningTemplate!.replace(/^regex:/, ""));
  for (const { currentValue } of found) expect(currentValue).toMatch(versioning);
  expect(versioning.exec("cuda12-2025-10-06")?.groups?.compatibility).toBe("cuda12");
  expect(versioning.exec("2025-10-06")?.groups?.compatibility).toBeUndefined();
  expect("python-3.12").not.toMatch(versioning);
});

it("groups Pulumi packages and dev tooling, and caps TypeScript and @pulumi/pulumi below what needs Node 22", () => {
  const matches = (pattern: string, name: string) => pattern === name || (pattern.endsWith("/**") && name.startsWith(pattern.slice(0, -2)));
  const groupOf = (name: string) =>
    renovate.packageRules.find((rule) => rule.groupName && rule.matchPackageNames?.some((pattern) => matches(pattern, name)))?.groupName;
  const pulumiPackages = Object.keys(packageJson.dependencies).filter((name) => name.startsWith("@pulumi/"));
  for (const name of pulumiPackages) expect(groupOf(name)).toBe("Pulumi packages");
  for (const name of ["typescript", "jest", "@swc/core", "@swc/jest", "@types/jest", "@types/node"]) expect(groupOf(name)).toBe("dev tooling");
  const cap = (name: string) => renovate.packageRules.find((rule) => rule.allowedVersions && rule.matchPackageNames?.includes(name))?.allowedVersions;
  expect(cap("typescript")).toBe("<6.0.0");
  expect(cap("@pulumi/pulumi")).toBe("<3.249.0");
  const below = (version: string, limit: string) => {
    const [a, b] = [version, limit].map((v) => v.split(".").map(Number));
    return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  };
  expect(below(packageJson.dependencies.typescript, "6.0.0")).toBeLessThan(0);
  expect(below(packageJson.dependencies["@pulumi/pulumi"], "3.249.0")).toBeLessThan(0);
});
