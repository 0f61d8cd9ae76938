// The chart data the program ships (components/hub/chart/<version>/) is the real chart's: its
// values.yaml and values.schema.yaml (without descriptions), for every supported version.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { chartDefaultValues, chartValuesSchema } from "../../components/hub/chartDefaults";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { chartDirectory } from "../harness/helmTemplate";

function withoutDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDescriptions);
  if (node && typeof node === "object") {
    return Object.fromEntries(Object.entries(node).filter(([key]) => key !== "description").map(([key, value]) => [key, withoutDescriptions(value)]));
  }
  return node;
}

it.each(SUPPORTED_CHART_VERSIONS)("ships chart %s's defaults and values schema as the chart has them", (version) => {
  const chart = chartDirectory(version);
  const read = (file: string) => YAML.parse(fs.readFileSync(path.join(chart, file), "utf8"));
  expect(chartDefaultValues(version)).toEqual(read("values.yaml"));
  expect(chartValuesSchema(version)).toEqual(withoutDescriptions(read("values.schema.yaml")));
});
