// jupyterhub:chartValues (issue 19 item 5): further chart values may add keys, never change what
// the program sets or the NetworkPolicies its flows rest on, and are checked against the chart's
// own values schema before anything is declared.
import { buildHubValues, programValues } from "../../components/hub/hubValues";
import { chartValuesProblems, overlappingPaths } from "../../components/hub/chartValues";
import { parseSettings } from "../../settings";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { minimalConfig, asStackConfig, type RawConfig } from "../fixtures/configs";
import { renderStack } from "../harness/renderStack";

const settingsWith = (chartValues: RawConfig, chartVersion = "4.4.0") =>
  parseSettings({ ...minimalConfig(), hub: { host: "hub.example.test", chartVersion }, chartValues });
const problems = (chartValues: RawConfig, chartVersion?: string) => {
  const settings = settingsWith(chartValues, chartVersion);
  return chartValuesProblems(settings, programValues(settings)).map((p) => `${p.key}: ${p.message}`);
};

it("adds keys the program does not set, merging into the maps it does", () => {
  const settings = settingsWith({ hub: { nodeSelector: { "kubernetes.io/arch": "amd64" } }, scheduling: { userScheduler: { enabled: false } } });
  const values = buildHubValues(settings) as Record<string, any>;
  expect(values.hub.nodeSelector).toEqual({ "kubernetes.io/arch": "amd64" });
  expect(values.hub.consecutiveFailureLimit).toBe(0); // the program's keys of the same map stay
  expect(values.scheduling).toEqual({ userScheduler: { enabled: false } });
  expect(problems({ hub: { nodeSelector: { "kubernetes.io/arch": "amd64" } } })).toEqual([]);
});

it("refuses values the program sets, naming the key to change instead", () => {
  expect(problems({ cull: { timeout: 60 }, singleuser: { profileList: [] }, hub: { config: { JupyterHub: { authenticator_class: "dummy" } } } })).toEqual([
    "jupyterhub:chartValues.cull.timeout: is set by the program; change it through jupyterhub:culling",
    "jupyterhub:chartValues.singleuser.profileList: is set by the program; change it through jupyterhub:profiles",
    "jupyterhub:chartValues.hub.config.JupyterHub.authenticator_class: is set by the program; change it through jupyterhub:auth or jupyterhub:keycloak",
  ]);
});

it("refuses deleting a map the program sets (null removes a value in Helm)", () => {
  expect(problems({ prePuller: null })).toEqual(["jupyterhub:chartValues.prePuller: is set by the program; change it through jupyterhub:prePuller"]);
});

it("refuses the chart's NetworkPolicies, which the program leaves at their defaults and its flows rest on", () => {
  expect(problems({ singleuser: { networkPolicy: { enabled: false } }, proxy: { chp: { networkPolicy: { egressAllowRules: { privateIPs: true } } } } })).toEqual([
    expect.stringMatching(/^jupyterhub:chartValues\.singleuser\.networkPolicy: is the chart's NetworkPolicy, left at the chart's defaults/),
    expect.stringMatching(/^jupyterhub:chartValues\.proxy\.chp\.networkPolicy: is the chart's NetworkPolicy/),
  ]);
});

it.each(SUPPORTED_CHART_VERSIONS)("checks them against chart %s's own values schema, naming the key", (version) => {
  expect(problems({ hub: { nodeSelector: "gpu" }, singleuser: { extraTolerations: "all" }, scheduling: { userSchedular: { enabled: true } } }, version)).toEqual([
    `jupyterhub:chartValues.hub.nodeSelector: must be object (the chart ${version}'s values schema)`,
    `jupyterhub:chartValues.scheduling.userSchedular: is not a value of the Zero to JupyterHub chart ${version} (its values schema has no such key)`,
    `jupyterhub:chartValues.singleuser.extraTolerations: must be array (the chart ${version}'s values schema)`,
  ]);
});

it("finds overlaps only where a value would change: a map in both is looked into", () => {
  expect(overlappingPaths({ a: { b: 1, c: [1] } }, { a: { d: 2 } })).toEqual([]);
  expect(overlappingPaths({ a: { b: 1, c: [1] } }, { a: { c: [2] } })).toEqual([["a", "c"]]);
  expect(overlappingPaths({ a: { b: 1 } }, { a: "x" })).toEqual([["a"]]);
});

it("stops the program before anything is declared", async () => {
  await expect(renderStack(asStackConfig({ ...minimalConfig(), chartValues: { cull: { enabled: false } } }))).rejects.toThrow(
    "jupyterhub:chartValues.cull.enabled: is set by the program; change it through jupyterhub:culling",
  );
});
