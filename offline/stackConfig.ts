// The project's stack files: which there are, and each one's config as the Pulumi CLI reads it.
import * as fs from "fs";
import * as path from "path";
import { flattenConfig, readStackFile, type StackConfig } from "./pulumiStackFile";

export { flattenConfig, type StackConfig };

export const PROJECT_ROOT = path.resolve(__dirname, "..");

export function stackFile(stack: string, root = PROJECT_ROOT): string {
  return path.join(root, `Pulumi.${stack}.yaml`);
}

/** Stacks with a Pulumi.<stack>.yaml in the project root. */
export function committedStacks(root = PROJECT_ROOT): string[] {
  return fs
    .readdirSync(root)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

export function readStackConfig(stack: string, root = PROJECT_ROOT): StackConfig {
  const file = stackFile(stack, root);
  if (!fs.existsSync(file)) {
    throw new Error(`no stack file ${path.basename(file)}; stacks here: ${committedStacks(root).join(", ") || "none"}`);
  }
  return readStackFile(file);
}
