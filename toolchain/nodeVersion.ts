// Which Node runs the program. `npm run` scripts run on the `node` devDependency, but the Pulumi
// CLI starts the program with whatever `node` is first on PATH, and @pulumi/pulumi's own engines
// check (cmd/run/run.js) runs only with engine-strict in .npmrc, and only after the program has
// been loaded, that is after its resources were declared. So index.ts checks first.
import * as fs from "fs";
import * as path from "path";
import { RunError } from "@pulumi/pulumi";

const PROJECT_ROOT = path.join(__dirname, "..");

type Version = readonly [number, number, number];

/** `22`, `v22.1`, `24.21.0` → [major, minor, patch]; undefined for anything else. */
export function parseNodeVersion(text: string): Version | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(text.trim());
  return match ? [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)] : undefined;
}

/** The lowest version of an engines range; only `>=X[.Y[.Z]]`, the form package.json uses, is read. */
export function minimumOf(range: string): Version {
  const match = /^>=\s*(\S+)$/.exec(range.trim());
  const version = match ? parseNodeVersion(match[1]) : undefined;
  if (!version) throw new Error(`engines.node '${range}' is not of the form >=MAJOR[.MINOR[.PATCH]]`);
  return version;
}

function atLeast(version: Version, minimum: Version): boolean {
  for (let i = 0; i < 3; i++) if (version[i] !== minimum[i]) return version[i] > minimum[i];
  return true;
}

/** What the project asks for: package.json's engines.node, and the Node its .nvmrc names. */
export interface NodeRequirement {
  readonly range: string;
  readonly recommended: string;
}

export function projectNodeRequirement(root = PROJECT_ROOT): NodeRequirement {
  const packageJson = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { engines: { node: string } };
  return { range: packageJson.engines.node, recommended: fs.readFileSync(path.join(root, ".nvmrc"), "utf8").trim() };
}

/** Why this Node cannot run the program, or undefined when it can. */
export function unsupportedNodeMessage(current: string, executable: string, requirement: NodeRequirement): string | undefined {
  const version = parseNodeVersion(current);
  if (version && atLeast(version, minimumOf(requirement.range))) return undefined;
  return (
    `jupyterhub-pulumi needs Node.js ${requirement.range} (as @pulumi/pulumi does), but it was started with Node ${current} ` +
    `(${executable}), the first \`node\` on PATH. Use Node ${requirement.recommended}, the version in the project's .nvmrc ` +
    "and .node-version: e.g. `nvm install` or `fnm use --install-if-missing` in the project folder, then run pulumi again from that shell."
  );
}

/** Stops the program, as a RunError (the CLI prints the message alone), on a Node it does not support. */
export function refuseUnsupportedNode(current = process.versions.node, executable = process.execPath, requirement = projectNodeRequirement()): void {
  const message = unsupportedNodeMessage(current, executable, requirement);
  if (message) throw new RunError(message);
}
