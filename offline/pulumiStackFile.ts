// Reads Pulumi.<stack>.yaml the way the Pulumi CLI does, so render sees the values `pulumi up` sees.
//
// The CLI decodes stack files with go-yaml v3 into Go values (resolve.go): YAML 1.2's booleans only
// (`yes`, `no`, `on`, `off` stay strings, unlike YAML 1.1), integers as Go's ParseInt with base 0
// after dropping `_` (so `0123` is octal 83, `1_000` is 1000, `0x1F`, `0o17`, `0b101` work),
// floats, nulls, and unquoted timestamps as time.Time. Pulumi's config layer (sdk/go/common/
// resource/config/object.go) then keeps strings as they are, writes a top-level number or boolean
// as its JSON text, a time as Go's time.String() ("2025-10-06 00:00:00 +0000 UTC"), and a map or
// list as JSON text of the same values.
import * as fs from "fs";
import * as path from "path";
import * as jsYaml from "js-yaml";

export type StackConfig = Readonly<Record<string, unknown>>;

export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

/**
 * js-yaml's failsafe schema (YAML 1.2 syntax, nothing typed) with one implicit type that every
 * plain scalar, and only a plain one, goes through (quoted and block scalars stay strings):
 * resolveScalar, go-yaml v3's rules. A scalar, list or map with an explicit tag is kept as
 * written (`!!str` is a string). Aliases resolve to their anchor's value, as in go-yaml.
 */
const keptAsWritten = (kind: "scalar" | "sequence" | "mapping") =>
  ["!", "tag:"].map((prefix) => new jsYaml.Type(prefix, { kind, multi: true, construct: (data: unknown) => data }));
const STACK_FILE_SCHEMA = jsYaml.FAILSAFE_SCHEMA.extend({
  implicit: [new jsYaml.Type("tag:pulumi.com,go-yaml-v3:plain", { kind: "scalar", resolve: () => true, construct: resolveScalar })],
  explicit: [...keptAsWritten("scalar"), ...keptAsWritten("sequence"), ...keptAsWritten("mapping")],
});

/** The `config:` map of a stack file, each value as the CLI resolves it. */
export function readStackFile(file: string): StackConfig {
  const text = fs.readFileSync(file, "utf8");
  let root: unknown;
  try {
    root = jsYaml.load(text, { schema: STACK_FILE_SCHEMA });
  } catch (error) {
    if (!(error instanceof jsYaml.YAMLException)) throw error;
    const where = error.mark ? `${error.mark.line + 1}:${error.mark.column + 1}` : "?";
    throw new StackFileError(`${path.basename(file)}:${where}: ${error.reason}`);
  }
  if (root === null || root === undefined) return {};
  if (typeof root !== "object" || Array.isArray(root)) throw new StackFileError(`${path.basename(file)}: is not a map of settings`);
  const config = (root as Record<string, unknown>).config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw new StackFileError(`${path.basename(file)}: config: must be a map`);
  return config as StackConfig;
}

const NULLS = new Set(["", "~", "null", "Null", "NULL"]);
const TRUES = new Set(["true", "True", "TRUE"]);
const FALSES = new Set(["false", "False", "FALSE"]);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** A plain scalar as go-yaml v3's resolve() reads it, then as Pulumi's config layer keeps it. */
export function resolveScalar(text: string): unknown {
  if (NULLS.has(text)) return null;
  if (TRUES.has(text)) return true;
  if (FALSES.has(text)) return false;
  if (/^[.+-]?\.?(inf|Inf|INF|nan|NaN|NAN)$/.test(text)) return text; // JSON has no Inf or NaN
  const first = text[0];
  if (first === "." ) return YAML_STYLE_FLOAT.test(text) ? Number(text) : text;
  if (!/[-+0-9]/.test(first)) return text;
  const time = timestamp(text);
  if (time) return time;
  const plain = text.replace(/_/g, "");
  const integer = goParseInt(plain);
  if (integer !== undefined) return integer;
  if (YAML_STYLE_FLOAT.test(plain)) return Number(plain);
  return text;
}

/** strconv.ParseInt(s, 0, 64): a sign, then 0x / 0o / 0b / a leading 0 (octal) / decimal. */
function goParseInt(text: string): number | undefined {
  const match = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const [, sign, digits] = match;
  let value: number;
  if (/^0[xX]/.test(digits)) value = parseInt(digits.slice(2), 16);
  else if (/^0[oO]/.test(digits)) value = parseInt(digits.slice(2), 8);
  else if (/^0[bB]/.test(digits)) value = parseInt(digits.slice(2), 2);
  else if (digits.length > 1 && digits.startsWith("0")) value = parseInt(digits.slice(1), 8);
  else value = parseInt(digits, 10);
  return sign === "-" ? -value : value;
}

/**
 * Unquoted dates (go-yaml v3's allowedTimestampFormats: "2006-1-2", and date-times in UTC here),
 * written as Go's time.String() writes them. Others stay strings.
 */
function timestamp(text: string): string | undefined {
  const date = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  const dateTime = /^(\d{4})-(\d{1,2})-(\d{1,2})[Tt ](\d{1,2}):(\d{2}):(\d{2})(\.\d+)?Z$/.exec(text);
  const parts = date ?? dateTime;
  if (!parts) return undefined;
  const [year, month, day] = parts.slice(1, 4).map(Number);
  const [hour, minute, second] = dateTime ? dateTime.slice(4, 7).map(Number) : [0, 0, 0];
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const fraction = dateTime?.[7] ? dateTime[7].replace(/0+$/, "").replace(/^\.$/, "") : "";
  return `${pad(year, 4)}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}:${pad(second)}${fraction} +0000 UTC`;
}

/**
 * Stack config as the CLI hands it to a program: `{"jupyterhub:hub": "{…}"}`, objects and lists as
 * JSON text, strings as they are, other scalars as their JSON text. A key in the legacy form
 * `<namespace>:config:<name>`, which the CLI still accepts (sdk/go/common/resource/config/key.go
 * ParseKey), is handed over as `<namespace>:<name>`, as the SDK also cleans it (runtime/config.js
 * cleanKey).
 */
export function flattenConfig(config: StackConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key.replace(/^([^:]+):config:/, "$1:"), typeof value === "string" ? value : JSON.stringify(value)]),
  );
}
