// The Zero to JupyterHub chart's own defaults (values.yaml) and values schema, per supported chart
// version, shipped with the project in chart/<version>/ so that config is checked offline, before
// `pulumi up` fetches the chart. chart/README.md says where they come from; a test keeps them equal
// to the real chart's sources.
import * as fs from "fs";
import * as path from "path";

export const CHART_DATA_DIR = path.join(__dirname, "chart");

const cache = new Map<string, unknown>();
function readJson(version: string, file: string): unknown {
  const key = `${version}/${file}`;
  if (!cache.has(key)) {
    const full = path.join(CHART_DATA_DIR, version, file);
    if (!fs.existsSync(full)) throw new Error(`no ${file} for chart ${version} in components/hub/chart/ (add it with the version: chart/README.md)`);
    cache.set(key, JSON.parse(fs.readFileSync(full, "utf8")));
  }
  return cache.get(key);
}

export type ValuesMap = Record<string, unknown>;

/** The chart's values.yaml, as JSON. Callers must not modify it. */
export function chartDefaultValues(version: string): ValuesMap {
  return readJson(version, "values.json") as ValuesMap;
}

/** The chart's values.schema.yaml (draft-07), as JSON, without its descriptions. */
export function chartValuesSchema(version: string): object {
  return readJson(version, "values.schema.json") as object;
}

export function isValuesMap(value: unknown): value is ValuesMap {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** How Helm combines values files: maps merge key by key, anything else replaces, null deletes (helm's chartutil coalesce). */
export function mergeValues(base: ValuesMap, over: ValuesMap): ValuesMap {
  const out: ValuesMap = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === null) delete out[key];
    else if (isValuesMap(value) && isValuesMap(out[key])) out[key] = mergeValues(out[key] as ValuesMap, value);
    else out[key] = value;
  }
  return out;
}

/** The value at a dotted path of a values map, or undefined. */
export function valueAt(values: ValuesMap, path: readonly string[]): unknown {
  let node: unknown = values;
  for (const part of path) {
    if (!isValuesMap(node)) return undefined;
    node = node[part];
  }
  return node;
}
