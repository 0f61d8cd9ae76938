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

it("groups Pulumi packages and dev tooling, with no cap that would keep them off the Node 24 line", () => {
  const matches = (pattern: string, name: string) => pattern === name || (pattern.endsWith("/**") && name.startsWith(pattern.slice(0, -2)));
  const groupOf = (name: string) =>
    renovate.packageRules.find((rule) => rule.groupName && rule.matchPackageNames?.some((pattern) => matches(pattern, name)))?.groupName;
  const pulumiPackages = Object.keys(packageJson.dependencies).filter((name) => name.startsWith("@pulumi/"));
  for (const name of pulumiPackages) expect(groupOf(name)).toBe("Pulumi packages");
  for (const name of ["typescript", "jest", "@swc/core", "@swc/jest", "@types/jest", "@types/node"]) expect(groupOf(name)).toBe("dev tooling");
  const cap = (name: string) => renovate.packageRules.find((rule) => rule.allowedVersions && rule.matchPackageNames?.includes(name))?.allowedVersions;
  expect(cap("typescript")).toBeUndefined();
  expect(cap("@pulumi/pulumi")).toBeUndefined();
  // Node and its types stay on the LTS line the project declares.
  expect(packageJson.engines.node).toBe(">=22");
  expect(packageJson.devDependencies.node).toMatch(/^24\./);
  expect(cap("node")).toBe("<25.0.0");
  expect(cap("@types/node")).toBe("<25.0.0");
  expect(packageJson.devDependencies["@types/node"]).toMatch(/^24\./);
});

it("reads date-tagged Docker Stacks images in Dockerfiles as dates, not as version 2025 with a suffix", () => {
  const rule = renovate.packageRules.find((r) => r.groupName === "Jupyter Docker Stacks images") as PackageRule & { versioning?: string };
  const versioning = new RegExp(rule.versioning!.replace(/^regex:/, ""));
  const from = /FROM\s+quay\.io\/jupyter\/[a-z-]+:(\S+)/.exec(fs.readFileSync(path.join(PROJECT_ROOT, "images", "base", "Dockerfile"), "utf8"))![1];
  expect(versioning.exec(from)?.groups).toMatchObject({ major: from.slice(0, 4), minor: from.slice(5, 7), patch: from.slice(8, 10) });
});

it("tracks the VS Code CLI pinned in the base image", () => {
  const manager = renovate.customManagers.find((m) => m.depNameTemplate === "microsoft/vscode")!;
  const dockerfile = "images/base/Dockerfile";
  const pattern = new RegExp(manager.managerFilePatterns[0].slice(1, -1));
  expect(pattern.test(dockerfile)).toBe(true);
  const match = new RegExp(manager.matchStrings[0]).exec(fs.readFileSync(path.join(PROJECT_ROOT, dockerfile), "utf8"));
  expect(match?.groups?.currentValue).toMatch(/^\d+\.\d+\.\d+$/);
});
