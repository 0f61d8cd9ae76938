// Stack config as the Pulumi CLI hands it to a program: Pulumi.<stack>.yaml's `config:` map
// with objects and lists as JSON text and scalars as plain text.
import * as fs from "fs";
import * as path from "path";
import * as jsYaml from "js-yaml";

export type StackConfig = Readonly<Record<string, unknown>>;

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

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
  const document = jsYaml.load(fs.readFileSync(file, "utf8")) as { config?: StackConfig } | null;
  return document?.config ?? {};
}

export function flattenConfig(config: StackConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}
