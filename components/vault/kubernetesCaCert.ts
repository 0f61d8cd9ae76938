// The API server's CA for Vault's Kubernetes auth method (kubernetesAuth.kubernetesCaCert), read at
// deploy time from a file in the repository or a 1Password item. A CA certificate is public: it is
// not a Pulumi secret, so its changes show in previews.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { VaultSettings } from "../../settings/vaultSchema";
import { configKey, SettingsError, type SettingsProblem } from "../../settings/SettingsError";
import { pemFileProblems, pemProblem } from "../trust/caBundleValues";
import { deployTimeSecret, type Environment } from "../secrets/deployTimeSecret";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

/** A CA file that is missing or holds no certificate: program.ts reports it before anything is declared. */
export function kubernetesCaCertFileProblems(vault: VaultSettings | undefined, projectDir = PROJECT_DIR): SettingsProblem[] {
  const source = vault?.kubernetesAuth.kubernetesCaCert;
  if (!source || !vault?.kubernetesAuth.create || !("file" in source)) return [];
  return pemFileProblems(source.file, configKey(["vault", "kubernetesAuth", "kubernetesCaCert", "file"]), projectDir);
}

/** The PEM, or undefined when Vault is to use its pod's own CA (or the auth method is not the stack's). */
export function kubernetesCaCert(vault: VaultSettings, environment: Environment, projectDir = PROJECT_DIR): pulumi.Output<string> | undefined {
  const source = vault.kubernetesAuth.kubernetesCaCert;
  if (!source || !vault.kubernetesAuth.create) return undefined;
  if ("file" in source) {
    const problems = kubernetesCaCertFileProblems(vault, projectDir);
    if (problems.length > 0) throw new SettingsError(problems);
    return pulumi.output(fs.readFileSync(path.resolve(projectDir, source.file), "utf8"));
  }
  const keyPath = ["vault", "kubernetesAuth", "kubernetesCaCert", "onePassword"];
  return pulumi.unsecret(deployTimeSecret({ onePassword: source.onePassword }, environment, [...keyPath, "field"])).apply((text) => {
    const problem = pemProblem(text);
    // Names the key, not the item or field, and never quotes the text (it may hold a private key).
    if (problem) throw new SettingsError([{ key: configKey(keyPath), message: `the item's field ${problem}` }]);
    return text;
  });
}
