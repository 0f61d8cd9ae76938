// Just enough of Vault's policy HCL to check which paths a policy grants:
//   path "kv/data/jupyter/users/{{identity.entity.name}}/*" { capabilities = ["read", "update"] }
// Anything it cannot read completely (nested blocks such as allowed_parameters, JSON policies)
// makes parsing fail, and the rule then reports the policy rather than guess.

export interface VaultPathRule {
  readonly path: string;
  readonly capabilities: readonly string[];
}

const BLOCK = /path\s+"([^"]*)"\s*\{([^{}]*)\}/g;
const CAPABILITIES = /capabilities\s*=\s*\[([^\]]*)\]/;
const QUOTED = /"([^"]*)"/g;

/** The policy's path blocks in order; undefined when the text has anything else in it. */
export function parseVaultPolicy(text: string): VaultPathRule[] | undefined {
  const code = text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .map((line) => line.replace(/(^|\s)(#|\/\/).*$/, ""))
    .join("\n");
  const rules: VaultPathRule[] = [];
  const rest = code.replace(BLOCK, (_block, path: string, body: string) => {
    const list = CAPABILITIES.exec(body)?.[1] ?? "";
    rules.push({ path, capabilities: [...list.matchAll(QUOTED)].map((match) => match[1].toLowerCase()) });
    return "";
  });
  return rest.trim() === "" ? rules : undefined;
}
