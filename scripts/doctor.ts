// npm run doctor -- <stack>: checks what Pulumi.<stack>.yaml needs from outside (local tools,
// cluster context and contract, Keycloak and Vault addresses, credentials) without creating anything.
import { spawnSync } from "child_process";
import { promises as dns } from "dns";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { doctor, report, type Probes } from "../offline/doctor";
import { flattenConfig, readStackFile } from "../offline/pulumiStackFile";
import { namespacedConfig } from "../settings/stackSettings";
import { parseSettings } from "../settings/parseSettings";
import { SettingsError, type Settings } from "../settings";

function kubeconfigFile(settings: Settings, environment: NodeJS.ProcessEnv): string {
  return settings.cluster.kubeconfig ?? environment.KUBECONFIG?.split(path.delimiter)[0] ?? path.join(os.homedir(), ".kube", "config");
}

/**
 * PATH as the shell that runs `pulumi` has it: `npm run` puts every node_modules/.bin up the tree
 * and its node-gyp-bin in front (@npmcli/run-script lib/set-path.js), and the `node` devDependency
 * there is not the `node` the Pulumi CLI will start the program with.
 */
export function userPath(pathValue: string | undefined): string {
  const npmAdded = (dir: string) => dir.endsWith(`${path.sep}node_modules${path.sep}.bin`) || path.basename(dir) === "node-gyp-bin";
  return (pathValue ?? "").split(path.delimiter).filter((dir) => dir && !npmAdded(dir)).join(path.delimiter);
}

/** The first executable `name` on a PATH, as a shell finds it; a path with a slash is taken as it is. */
export function which(name: string, pathValue: string): string | undefined {
  const candidates = name.includes(path.sep) ? [name] : pathValue.split(path.delimiter).map((dir) => path.join(dir, name));
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

export function probes(settings: Settings, environment: NodeJS.ProcessEnv = process.env): Probes {
  const env = { ...environment, PATH: userPath(environment.PATH) };
  const run = (name: string, args: readonly string[]) => {
    const file = which(name, env.PATH);
    if (!file) return undefined;
    const result = spawnSync(file, args, { encoding: "utf8", timeout: 20000, env });
    const ok = result.status === 0;
    // What it printed: on success stdout alone (kubectl warns on stderr beside its JSON), on failure
    // stderr, where kubectl, docker and op say what went wrong.
    return { ok, output: ok ? (result.stdout ?? "") : (result.stderr || result.stdout || result.error?.message || ""), path: file };
  };
  return {
    kubeconfig: () => {
      const file = kubeconfigFile(settings, env);
      if (!fs.existsSync(file)) return { error: `${file} does not exist; set jupyterhub:cluster.kubeconfig or KUBECONFIG` };
      const parsed = YAML.parse(fs.readFileSync(file, "utf8")) as { contexts?: { name: string }[]; "current-context"?: string } | null;
      return { file, contexts: (parsed?.contexts ?? []).map((c) => c.name), current: parsed?.["current-context"] || undefined };
    },
    resolves: (host) =>
      dns.lookup(host).then(
        () => true,
        () => false,
      ),
    kubectl: (context, args) => run("kubectl", ["--context", context, "--kubeconfig", kubeconfigFile(settings, env), ...args]),
    tool: run,
    connects: (host, port) =>
      new Promise((resolve) => {
        const socket = net.connect({ host, port, timeout: 5000 });
        const done = (answered: boolean) => {
          socket.destroy();
          resolve(answered);
        };
        socket.once("connect", () => done(true));
        socket.once("timeout", () => done(false));
        socket.once("error", () => done(false));
      }),
    environment: env,
  };
}

async function main(): Promise<number> {
  const stack = process.argv[2];
  if (!stack || stack.startsWith("-")) {
    console.error("usage: npm run doctor -- <stack>");
    return 2;
  }
  let settings: Settings;
  try {
    const { config, problems } = namespacedConfig(flattenConfig(readStackFile(path.join(process.cwd(), `Pulumi.${stack}.yaml`))));
    if (problems.length > 0) throw new SettingsError(problems);
    settings = parseSettings(config);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
  const findings = await doctor(settings, probes(settings));
  console.log(report(stack, findings));
  return findings.some((f) => f.verdict === "missing") ? 1 : 0;
}

if (require.main === module) main().then((code) => (process.exitCode = code));
