// The chart data the program ships (components/hub/chart/<version>/) is the real chart's: its
// values.yaml and values.schema.yaml (without descriptions), for every supported version.
//
// The chart is either its git sources (an offline copy such as ../shared/z2jh) or the released
// archive (helmTemplate.ts). The release job (zero-to-jupyterhub-k8s publish.yml) packs
// values.schema.json, made from values.schema.yaml without descriptions
// (tools/generate-json-schema.py), in place of values.schema.yaml (.helmignore), and chartpress
// sets the image tags that the sources leave at "set-by-chartpress" to the release's version.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { chartDefaultValues, chartValuesSchema } from "../../components/hub/chartDefaults";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { chartDirectory } from "../harness/helmTemplate";

const CHARTPRESS_PLACEHOLDER = "set-by-chartpress";

function withoutDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDescriptions);
  if (node && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).filter(([key]) => key !== "description").map(([key, value]) => [key, withoutDescriptions(value)]));
  }
  return node;
}

/** The chart's values with the tags chartpress set at release put back to the sources' placeholder, where the shipped data has it. */
function asInSources(chart: unknown, shipped: unknown, version: string): unknown {
  if (shipped === CHARTPRESS_PLACEHOLDER && chart === version) return CHARTPRESS_PLACEHOLDER;
  if (shipped && chart && typeof shipped === "object" && typeof chart === "object" && !Array.isArray(chart)) {
    return Object.fromEntries(Object.entries(chart).map(([key, value]) => [key, asInSources(value, (shipped as Record<string, unknown>)[key], version)]));
  }
  return chart;
}

it.each(SUPPORTED_CHART_VERSIONS)("ships chart %s's defaults and values schema as the chart has them", (version) => {
  const chart = chartDirectory(version);
  const read = (file: string) => YAML.parse(fs.readFileSync(path.join(chart, file), "utf8"));
  expect(chartDefaultValues(version)).toEqual(asInSources(read("values.yaml"), chartDefaultValues(version), version));
  const schema = fs.existsSync(path.join(chart, "values.schema.yaml")) ? read("values.schema.yaml") : read("values.schema.json");
  expect(chartValuesSchema(version)).toEqual(withoutDescriptions(schema));
});

it("reads a released chart as its sources: tags set by chartpress are the release's version", () => {
  const shipped = { hub: { image: { name: "quay.io/jupyterhub/k8s-hub", tag: CHARTPRESS_PLACEHOLDER } }, proxy: { chp: { image: { tag: "5.2.0" } } } };
  expect(asInSources({ hub: { image: { name: "quay.io/jupyterhub/k8s-hub", tag: "4.4.0" } }, proxy: { chp: { image: { tag: "5.2.0" } } } }, shipped, "4.4.0")).toEqual(shipped);
  // Another tag than the release's is a difference, not chartpress's doing.
  expect(asInSources({ hub: { image: { name: "quay.io/jupyterhub/k8s-hub", tag: "4.3.0" } }, proxy: { chp: { image: { tag: "5.2.0" } } } }, shipped, "4.4.0")).not.toEqual(shipped);
});
