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
  const code = withoutComments(text);
  if (code === undefined) return undefined;
  const rules: VaultPathRule[] = [];
  const rest = code.replace(BLOCK, (_block, path: string, body: string) => {
    const list = CAPABILITIES.exec(body)?.[1] ?? "";
    rules.push({ path, capabilities: [...list.matchAll(QUOTED)].map((match) => match[1].toLowerCase()) });
    return "";
  });
  return rest.trim() === "" ? rules : undefined;
}

/**
 * The text without HCL comments (`#` and `//` to the end of the line, `/* … *\/`), read outside
 * quoted strings only: paths are full of `/*` ("kv/data/x/*"), and a comment stripper that
 * looked inside them would join two paths into one and hide every block between them from the
 * rules. Undefined for an escape sequence or an unterminated string or comment, which the rules
 * do not try to read.
 */
function withoutComments(text: string): string | undefined {
  let code = "";
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    const pair = text.slice(i, i + 2);
    if (char === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return undefined;
      const literal = text.slice(i, end + 1);
      if (literal.includes("\\") || literal.includes("\n")) return undefined;
      code += literal;
      i = end + 1;
    } else if (char === "#" || pair === "//") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (pair === "/*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) return undefined;
      code += " ";
      i = end + 2;
    } else {
      code += char;
      i += 1;
    }
  }
  return code;
}
