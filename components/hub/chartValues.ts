// jupyterhub:chartValues, the stack's further chart values: refused where they would change what
// the program sets, checked against the chart's own schema, then added to the program's values.
import type Ajv from "ajv";
import type { Settings } from "../../settings";
import { configKey, type SettingsProblem } from "../../settings/SettingsError";
import { chartDefaultValues, chartValuesSchema, isValuesMap, mergeValues, type ValuesMap } from "./chartDefaults";

/**
 * Chart values the program leaves at the chart's defaults but relies on: the NetworkPolicies every
 * flow of tests/network is proven against. Owned like the values the program sets.
 */
export const RELIED_ON_DEFAULTS: readonly (readonly string[])[] = [
  ["hub", "networkPolicy"],
  ["proxy", "chp", "networkPolicy"],
  ["proxy", "traefik", "networkPolicy"],
  ["singleuser", "networkPolicy"],
];

/** Which stack key to change instead, by the chart path the program sets it at (longest prefix wins). */
const OWNERS: readonly [string, string][] = [
  ["singleuser.profileList", "jupyterhub:profiles"],
  ["singleuser.image", "jupyterhub:profiles (the default profile's image)"],
  ["singleuser.storage", "jupyterhub:storage, jupyterhub:sharedVolumes or jupyterhub:ssh"],
  ["singleuser.networkPolicy", "jupyterhub:ssh or jupyterhub:vault (the program opens each flow the servers need, and nothing else)"],
  ["singleuser.initContainers", "jupyterhub:storage or jupyterhub:caBundle"],
  ["singleuser", "the jupyterhub key of that feature"],
  ["hub.config", "jupyterhub:auth or jupyterhub:keycloak"],
  ["hub.networkPolicy", "nothing: the hub's NetworkPolicy is the chart's, which the program's flows rest on"],
  ["hub", "the jupyterhub key of that feature (jupyterhub:namedServers, jupyterhub:vault, jupyterhub:caBundle, ...)"],
  ["custom", "the jupyterhub key of that feature: the program's hub modules read custom"],
  ["proxy.service", "jupyterhub:hub.service"],
  ["proxy.https", "jupyterhub:https"],
  ["proxy", "nothing: the proxy's NetworkPolicies are the chart's, which the program's flows rest on"],
  ["cull", "jupyterhub:culling"],
  ["prePuller", "jupyterhub:prePuller"],
  ["imagePullSecrets", "jupyterhub:images.pullCredentials"],
];

function ownerOf(path: readonly string[]): string {
  const dotted = path.join(".");
  const match = OWNERS.filter(([prefix]) => dotted === prefix || dotted.startsWith(prefix + ".")).sort((a, b) => b[0].length - a[0].length)[0];
  return match ? match[1] : "the jupyterhub key of that feature";
}

function isRelied(path: readonly string[]): boolean {
  return RELIED_ON_DEFAULTS.some((prefix) => prefix.every((part, i) => path[i] === part));
}

/**
 * Chart paths where `extra` would change what `program` sets: both have a value there and they
 * are not both maps (maps merge key by key, so adding a key to one changes nothing the program
 * set). Also any path under RELIED_ON_DEFAULTS.
 */
export function overlappingPaths(program: ValuesMap, extra: ValuesMap, at: readonly string[] = []): string[][] {
  return Object.entries(extra).flatMap(([key, value]) => {
    const path = [...at, key];
    if (isRelied(path)) return [path];
    const mine = program[key];
    if (isValuesMap(value) && (isValuesMap(mine) || !(key in program))) return overlappingPaths(isValuesMap(mine) ? mine : {}, value, path);
    return key in program ? [path] : [];
  });
}

const validators = new Map<string, ReturnType<Ajv["compile"]>>();
function validatorFor(version: string) {
  if (!validators.has(version)) {
    // Helm validates with the schema's draft-07; strict off, as the chart's schema uses keywords
    // (e.g. if/then) in the places its own tooling reads them.
    // Loaded only for a stack with chartValues: the others' renders do not pay for it.
    const { default: AjvClass } = require("ajv") as { default: typeof Ajv };
    validators.set(version, new AjvClass({ allErrors: true, strict: false }).compile(chartValuesSchema(version)));
  }
  return validators.get(version)!;
}

/** What is wrong with jupyterhub:chartValues, given the values the program builds; [] when nothing. */
export function chartValuesProblems(settings: Pick<Settings, "chartValues" | "hub">, program: ValuesMap): SettingsProblem[] {
  const extra = settings.chartValues;
  if (!extra || Object.keys(extra).length === 0) return [];
  const overlaps = overlappingPaths(program, extra);
  if (overlaps.length > 0) {
    return overlaps.map((path) => ({
      key: configKey(["chartValues", ...path]),
      message: isRelied(path)
        ? `is the chart's NetworkPolicy, left at the chart's defaults because the program's network flows rest on them; set it through ${ownerOf(path)}`
        : `is set by the program; change it through ${ownerOf(path)}`,
    }));
  }
  // What Helm checks before it renders: the chart's defaults, then the values, against the schema.
  const validate = validatorFor(settings.hub.chartVersion);
  if (validate(mergeValues(chartDefaultValues(settings.hub.chartVersion), mergeValues(program, extra)))) return [];
  const problems = (validate.errors ?? []).map((error) => {
    const path = error.instancePath
      .split("/")
      .slice(1)
      .map((part) => (/^\d+$/.test(part) ? Number(part) : part.replace(/~1/g, "/").replace(/~0/g, "~")));
    const extraKey = (error.params as { additionalProperty?: string }).additionalProperty;
    return {
      key: configKey(["chartValues", ...path, ...(extraKey ? [extraKey] : [])]),
      message: extraKey
        ? `is not a value of the Zero to JupyterHub chart ${settings.hub.chartVersion} (its values schema has no such key)`
        : `${error.message} (the chart ${settings.hub.chartVersion}'s values schema)`,
    };
  });
  return problems.sort((a, b) => a.key.localeCompare(b.key));
}

/** The program's values with jupyterhub:chartValues added (chartValuesProblems has refused overlaps). */
export function withChartValues(program: ValuesMap, extra: Settings["chartValues"]): ValuesMap {
  return extra ? mergeValues(program, extra) : program;
}
