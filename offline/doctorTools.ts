// The tools `pulumi up` runs on this machine, found on the PATH the Pulumi CLI runs with: the CLI
// itself, the `node` it starts the program with (toolchain/nodeVersion.ts refuses an older one at
// the program's start; this says so before), kubectl (the adoption guard reads kept objects with
// it, and the server shutdown stops servers with it), Docker where profiles build images, and the
// 1Password CLI where items are read with a service account token.
import * as fs from "fs";
import * as path from "path";
import type { Settings } from "../settings";
import { foldersToBuild } from "../components/images/imageBuild";
import { secretSources } from "../components/secrets/deployTimeSecret";
import { usersWithSsh } from "../components/ssh/sshValues";
import { parseNodeVersion, projectNodeRequirement, unsupportedNodeMessage, type NodeRequirement } from "../toolchain/nodeVersion";
import type { Probes } from "./doctor";
import { lastLine, missing, ok, warning, type Finding } from "./doctorFinding";

/**
 * The lowest 1Password CLI the 1Password provider works with: @1password/pulumi-onepassword 1.1.3
 * bridges terraform-provider-onepassword v2.1.2, which with a service account token (or OP_ACCOUNT)
 * runs `op` (OP_CLI_PATH, default `op`) and refuses one older than this
 * (internal/onepassword/cli/op.go, minimumOpCliVersion); with Connect it needs no CLI
 * (internal/onepassword/client.go, NewClient).
 */
export const OP_CLI_MINIMUM = "2.23.0";

const PROJECT_ROOT = path.join(__dirname, "..");

/** What the project asks of the toolchain. */
export interface ProjectToolchain {
  readonly node: NodeRequirement;
  /** The @pulumi/pulumi version the program is built with. */
  readonly pulumiSdk: string;
}

export function projectToolchain(root = PROJECT_ROOT): ProjectToolchain {
  const packageJson = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  return { node: projectNodeRequirement(root), pulumiSdk: packageJson.dependencies["@pulumi/pulumi"] };
}

type Version = readonly [number, number, number];
const older = (a: Version, b: Version) => a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2];

export function toolFindings(settings: Settings, probes: Probes, project = projectToolchain()): Finding[] {
  const findings = [pulumiCli(probes, project), nodeOnPath(probes, project), kubectl(probes)];
  if (foldersToBuild(settings.profiles).length > 0) findings.push(docker(probes));
  if (readsOnePassword(settings)) findings.push(...onePasswordCli(probes));
  return findings;
}

/** Whether the stack reads 1Password items at deploy time. */
export function readsOnePassword(settings: Settings): boolean {
  return (
    secretSources(settings).some(({ source }) => "onePassword" in source) ||
    settings.images !== undefined ||
    usersWithSsh(settings.users).some((u) => (u.ssh?.onePasswordKeys.length ?? 0) > 0) ||
    (settings.caBundle !== undefined && "onePassword" in settings.caBundle) ||
    (settings.vault?.kubernetesAuth.kubernetesCaCert !== undefined && "onePassword" in settings.vault.kubernetesAuth.kubernetesCaCert)
  );
}

function pulumiCli(probes: Probes, project: ProjectToolchain): Finding {
  const what = "Pulumi CLI";
  const result = probes.tool("pulumi", ["version"]);
  if (!result) return missing(what, "not installed: see https://www.pulumi.com/docs/install/");
  // `pulumi version` prints version.Version, e.g. v3.276.0 (pkg/cmd/pulumi/version.go).
  const version = result.ok ? parseNodeVersion(lastLine(result.output)) : undefined;
  if (!version) return missing(what, `\`pulumi version\` answered '${lastLine(result.output)}'`);
  const shown = `v${version.join(".")}`;
  if (version[0] !== 3) return missing(`${what} ${shown}`, "the program is built for Pulumi v3: install a v3 CLI");
  const sdk = parseNodeVersion(project.pulumiSdk)!;
  if (older(version, sdk)) {
    return warning(`${what} ${shown}`, `older than the @pulumi/pulumi ${project.pulumiSdk} the program is built with; update it (https://www.pulumi.com/docs/install/)`);
  }
  return ok(`${what} ${shown}`, result.path);
}

function nodeOnPath(probes: Probes, project: ProjectToolchain): Finding {
  const what = "Node.js for pulumi";
  const result = probes.tool("node", ["--version"]);
  if (!result) return missing(what, `no \`node\` on PATH, which the Pulumi CLI runs the program with: install Node ${project.node.recommended} (.nvmrc)`);
  const current = lastLine(result.output);
  const problem = unsupportedNodeMessage(current, result.path, project.node);
  return problem ? missing(`${what} ${current}`, problem) : ok(`${what} ${current}`, result.path);
}

function kubectl(probes: Probes): Finding {
  const result = probes.tool("kubectl", ["version", "--client", "-o", "json"]);
  if (!result) return missing("kubectl", "not installed: `pulumi up` runs it (the adoption guard reads kept objects, `pulumi destroy` stops servers); see https://kubernetes.io/docs/tasks/tools/");
  const version = result.ok ? (JSON.parse(result.output) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion : undefined;
  return result.ok ? ok(`kubectl ${version ?? ""}`.trim(), result.path) : missing("kubectl", lastLine(result.output));
}

function docker(probes: Probes): Finding {
  const what = "Docker engine (profiles build images)";
  // The server's version, so the engine (not only the CLI) must answer, as the docker-build
  // provider needs it during `pulumi preview` and `pulumi up`.
  const result = probes.tool("docker", ["version", "--format", "{{.Server.Version}}"]);
  if (!result) return missing(what, "no `docker` here: install Docker with BuildKit where `pulumi up` and `pulumi preview` run");
  return result.ok ? ok(`${what} ${lastLine(result.output)}`) : missing(what, lastLine(result.output));
}

function onePasswordCli(probes: Probes): Finding[] {
  const env = probes.environment;
  const connect = Boolean(env.OP_CONNECT_HOST || env.OP_CONNECT_TOKEN);
  const cli = Boolean(env.OP_SERVICE_ACCOUNT_TOKEN || env.OP_ACCOUNT);
  if (connect && cli) {
    // terraform-provider-onepassword v2.1.2 internal/provider/provider.go: "Config conflict".
    return [missing("1Password credentials", "both Connect (OP_CONNECT_*) and a service account or account (OP_SERVICE_ACCOUNT_TOKEN, OP_ACCOUNT) are set: the 1Password provider refuses both; unset one")];
  }
  if (connect) return [];
  const what = "1Password CLI (op)";
  const result = probes.tool(env.OP_CLI_PATH || "op", ["--version"]);
  if (!result) return [missing(what, `not found (${env.OP_CLI_PATH ? `OP_CLI_PATH=${env.OP_CLI_PATH}` : "op on PATH"}): the 1Password provider reads items through it with a service account token; install op ${OP_CLI_MINIMUM} or newer`)];
  const version = result.ok ? parseNodeVersion(lastLine(result.output)) : undefined;
  if (!version) return [missing(what, `\`op --version\` answered '${lastLine(result.output)}'`)];
  if (older(version, parseNodeVersion(OP_CLI_MINIMUM)!)) return [missing(`${what} ${version.join(".")}`, `the 1Password provider needs ${OP_CLI_MINIMUM} or newer`)];
  return [ok(`${what} ${version.join(".")}`, result.path)];
}
