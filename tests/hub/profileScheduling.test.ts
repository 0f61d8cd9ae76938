// GPU scheduling (issue 19 item 5): a profile's tolerations, node selector and runtime class reach
// KubeSpawner's traits, through the real chart into the values the hub reads.
import { buildHubValues } from "../../components/hub/hubValues";
import { parseSettings } from "../../settings";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { minimalConfig, profile, type RawConfig } from "../fixtures/configs";
import { problemsOf } from "../fixtures/problemsOf";
import { helmTemplate } from "../harness/helmTemplate";
import { hubSecretValues } from "../network/clusterModel";

const GPU_TAINT = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" };
const gpuProfile = (overrides: RawConfig = {}) =>
  profile({ slug: "gpu", gpus: 1, tolerations: [GPU_TAINT], nodeSelector: { "nvidia.com/gpu.present": "true" }, runtimeClassName: "nvidia", ...overrides });
const configWith = (extra: RawConfig = {}, chartVersion = "4.4.0") => ({
  ...minimalConfig(),
  hub: { host: "hub.example.test", chartVersion },
  profiles: [...(minimalConfig().profiles as RawConfig[]), gpuProfile()],
  ...extra,
});
const overridesOf = (values: any, slug: string) => values.singleuser.profileList.find((p: { slug: string }) => p.slug === slug).kubespawner_override;
// The chart's tolerations for every user pod (values.yaml scheduling.userPods.tolerations).
const CHART_USER_POD_TOLERATIONS = [
  { key: "hub.jupyter.org/dedicated", operator: "Equal", value: "user", effect: "NoSchedule" },
  { key: "hub.jupyter.org_dedicated", operator: "Equal", value: "user", effect: "NoSchedule" },
];

describe.each(SUPPORTED_CHART_VERSIONS)("through the real chart %s", (version) => {
  const values = buildHubValues(parseSettings(configWith({}, version)));
  const hubReads = hubSecretValues(helmTemplate(values, { release: "jupyterhub", namespace: "jupyterhub", chartVersion: version }));

  it("gives the hub the profile's tolerations after the chart's own, which a profile's list would otherwise replace", () => {
    // KubeSpawner 7 replaces a list trait with a profile's (spawner.py _apply_overrides).
    expect(overridesOf(hubReads, "gpu").tolerations).toEqual([...CHART_USER_POD_TOLERATIONS, { ...GPU_TAINT }]);
  });

  it("gives the hub the node selector and the runtime class, as maps KubeSpawner merges into the chart's", () => {
    expect(overridesOf(hubReads, "gpu")).toMatchObject({
      node_selector: { "nvidia.com/gpu.present": "true" },
      extra_pod_config: { runtimeClassName: "nvidia" },
      extra_resource_limits: { "nvidia.com/gpu": "1" },
    });
  });

  it("leaves profiles without them as they were", () => {
    expect(Object.keys(overridesOf(hubReads, "minimal"))).not.toEqual(expect.arrayContaining(["tolerations"]));
    expect(overridesOf(hubReads, "minimal")).not.toHaveProperty("node_selector");
    expect(overridesOf(hubReads, "minimal")).not.toHaveProperty("extra_pod_config");
  });
});

it("repeats the chart-wide tolerations that chartValues sets instead of the chart's defaults", () => {
  const extra = { key: "dedicated", operator: "Equal", value: "jupyter", effect: "NoSchedule" };
  const values = buildHubValues(parseSettings(configWith({ chartValues: { scheduling: { userPods: { tolerations: [] } }, singleuser: { extraTolerations: [extra] } } })));
  expect(overridesOf(values, "gpu").tolerations).toEqual([extra, GPU_TAINT]);
});

it("refuses what the API server would refuse, naming the key", () => {
  const config = (overrides: RawConfig) => ({ ...minimalConfig(), profiles: [profile({ default: true, ...overrides })] });
  expect(problemsOf(config({ tolerations: [{ key: "gpu", operator: "Exists", value: "yes" }, { effect: "NoSchedule" }, { key: "a", effect: "NoSchedule", tolerationSeconds: 30 }] }))).toEqual([
    "jupyterhub:profiles[0].tolerations[0].value: must be left out with operator Exists",
    "jupyterhub:profiles[0].tolerations[1].key: is required with operator Equal (only Exists may tolerate every taint)",
    "jupyterhub:profiles[0].tolerations[2].tolerationSeconds: applies to effect NoExecute only",
  ]);
  expect(problemsOf(config({ nodeSelector: { "gpu type": "a100" }, runtimeClassName: "NVIDIA" }))).toEqual([
    "jupyterhub:profiles[0].nodeSelector.gpu type: must be a label key: an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.' (e.g. nvidia.com/gpu.present)",
    "jupyterhub:profiles[0].runtimeClassName: must be a RuntimeClass name: lower-case letters, digits, '-' and '.'",
  ]);
});
