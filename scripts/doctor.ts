// npm run doctor -- <stack>: checks what Pulumi.<stack>.yaml needs from outside (cluster context,
// Keycloak and Vault addresses, credentials, CRDs, issuer, Secrets) without creating anything.
import { spawnSync } from "child_process";
import { promises as dns } from "dns";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { doctor, report, type Probes } from "../offline/doctor";
import { flattenConfig, readStackFile } from "../offline/pulumiStackFile";
import { namespacedConfig } from "../settings/loadSettings";
import { parseSettings } from "../settings/parseSettings";
import { SettingsError, type Settings } from "../settings";

function kubeconfigFile(settings: Settings): string {
  return settings.cluster.kubeconfig ?? process.env.KUBECONFIG?.split(path.delimiter)[0] ?? path.join(os.homedir(), ".kube", "config");
}

export function probes(settings: Settings): Probes {
  return {
    kubeconfig: () => {
      const file = kubeconfigFile(settings);
      if (!fs.existsSync(file)) return { error: `${file} does not exist; set jupyterhub:cluster.kubeconfig or KUBECONFIG` };
      const parsed = YAML.parse(fs.readFileSync(file, "utf8")) as { contexts?: { name: string }[]; "current-context"?: string } | null;
      return { file, contexts: (parsed?.contexts ?? []).map((c) => c.name), current: parsed?.["current-context"] || undefined };
    },
    resolves: (host) =>
      dns.lookup(host).then(
        () => true,
        () => false,
      ),
    kubectl: (context, args) => {
      const result = spawnSync("kubectl", ["--context", context, "--kubeconfig", kubeconfigFile(settings), ...args], { encoding: "utf8", timeout: 20000 });
      if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") return undefined;
      return { ok: result.status === 0, output: `${result.stderr ?? ""}${result.stdout ?? ""}` };
    },
    environment: process.env,
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
