// The API server's CA for Vault's Kubernetes auth method (kubernetesAuth.kubernetesCaCert), read at
// deploy time from a file in the repository or a 1Password item. A CA certificate is public: it is
// not a Pulumi secret, so its changes show in previews.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { VaultSettings } from "../../settings/vaultSchema";
import { configKey, SettingsError } from "../../settings/SettingsError";
import { pemProblem } from "../trust/caBundleValues";
import { deployTimeSecret, type Environment } from "../secrets/deployTimeSecret";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** The PEM, or undefined when Vault is to use its pod's own CA (or the auth method is not the stack's). */
export function kubernetesCaCert(vault: VaultSettings, environment: Environment, projectDir = PROJECT_DIR): pulumi.Output<string> | undefined {
  const source = vault.kubernetesAuth.kubernetesCaCert;
  if (!source || !vault.kubernetesAuth.create) return undefined;
  if ("file" in source) {
    const key = configKey(["vault", "kubernetesAuth", "kubernetesCaCert", "file"]);
    const file = path.resolve(projectDir, source.file);
    if (!fs.existsSync(file)) throw new SettingsError([{ key, message: `${source.file} does not exist (paths are relative to the project directory)` }]);
    const text = fs.readFileSync(file, "utf8");
    const problem = pemProblem(text);
    if (problem) throw new SettingsError([{ key, message: `${source.file} ${problem}` }]);
    return pulumi.output(text);
  }
  const { item, field } = source.onePassword;
  return pulumi.unsecret(deployTimeSecret({ onePassword: source.onePassword }, environment)).apply((text) => {
    const problem = pemProblem(text);
    if (problem) throw new SettingsError([{ key: configKey(["vault", "kubernetesAuth", "kubernetesCaCert", "onePassword"]), message: `1Password item '${item}' field '${field}' ${problem}` }]);
    return text;
  });
}
