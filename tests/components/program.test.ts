// The program under mocks: which resources a stack declares, how they are parented and
// configured, and the exact values handed to the chart.
import { buildHubValues } from "../../components/hub/hubValues";
import { CHART_REPOSITORY } from "../../components/hub/Hub";
import { deployJupyterHub } from "../../program";
import { loadSettings, parseSettings } from "../../settings";
import { SettingsError } from "../../settings/SettingsError";
import { renderStack, RELEASE_TYPE } from "../harness/renderStack";
import { installMocks } from "../harness/mockRuntime";
import type { RecordedResource } from "../harness/recordedResource";
import { flattenConfig } from "../harness/stackConfig";
import { asStackConfig, minimalConfig, type RawConfig } from "../fixtures/configs";

const render = (overrides: RawConfig = {}) => renderStack(asStackConfig({ ...minimalConfig(), ...overrides }));

function only(resources: RecordedResource[], type: string): RecordedResource {
  const matching = resources.filter((r) => r.type === type);
  expect(matching).toHaveLength(1);
  return matching[0];
}

describe("a minimal stack", () => {
  let resources: RecordedResource[];
  beforeAll(async () => {
    ({ resources } = await render());
  });

  it("declares the providers, the namespace and the release, parented under their components", () => {
    expect(resources.map((r) => [r.type, r.name, r.parent])).toEqual([
      ["jupyterhub:core:HubNamespace", "jupyterhub", null],
      ["jupyterhub:hub:Hub", "jupyterhub", null],
      ["kubernetes:core/v1:Namespace", "jupyterhub", "jupyterhub:core:HubNamespace::jupyterhub"],
      [RELEASE_TYPE, "jupyterhub", "jupyterhub:hub:Hub::jupyterhub"],
      ["pulumi-nodejs:dynamic/lifecycle:AdoptionGuard", "jupyterhub-adoption", null],
      ["pulumi-nodejs:dynamic/lifecycle:ServerShutdown", "jupyterhub-servers", null],
      ["pulumi:providers:kubernetes", "kubernetes", null],
      ["pulumi:providers:kubernetes", "kubernetes-adopting", null],
    ]);
  });

  it("keeps the namespace, and with it the home claims, on destroy", () => {
    const namespace = only(resources, "kubernetes:core/v1:Namespace");
    expect(namespace.retainOnDelete).toBe(true);
    expect(namespace.inputs.metadata).toMatchObject({ name: "jupyterhub" });
  });

  it("adopts an existing namespace (one kept by an earlier destroy) through its own provider only", () => {
    const namespace = only(resources, "kubernetes:core/v1:Namespace");
    expect(namespace.provider).toBe("pulumi:providers:kubernetes::kubernetes-adopting");
    const adopting = resources.find((r) => r.name === "kubernetes-adopting")!;
    expect(adopting.inputs).toMatchObject({ upsertExistingObjects: "true" });
    const stackProvider = resources.find((r) => r.type === "pulumi:providers:kubernetes" && r.name === "kubernetes")!;
    expect(stackProvider.inputs).not.toHaveProperty("upsertExistingObjects");
  });

  it("enforces Pod Security baseline in the namespace (which admits the sudo profile), and warns and audits restricted", () => {
    // Applied on adoption too: the adopting provider upserts the kept namespace with these labels.
    expect(only(resources, "kubernetes:core/v1:Namespace").inputs.metadata).toMatchObject({
      labels: {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/audit": "restricted",
      },
    });
  });

  it("installs the configured Z2JH chart into the namespace with the builder's values", () => {
    const release = only(resources, RELEASE_TYPE);
    expect(release.provider).toBe("pulumi:providers:kubernetes::kubernetes");
    expect(release.retainOnDelete).toBe(false);
    expect(release.inputs).toMatchObject({
      name: "jupyterhub",
      namespace: "jupyterhub",
      chart: "jupyterhub",
      version: "4.4.0",
      repositoryOpts: { repo: CHART_REPOSITORY },
    });
    expect(release.inputs.values).toEqual(buildHubValues(parseSettings(minimalConfig())));
  });
});

describe("stack options", () => {
  it("lets destroy delete the namespace only when the stack opts in to deleting homes", async () => {
    const { resources } = await render({ storage: { type: "dynamic", deleteHomesOnDestroy: true } });
    expect(only(resources, "kubernetes:core/v1:Namespace").retainOnDelete).toBe(false);
  });

  it("uses the configured namespace, release name, chart version and cluster context", async () => {
    const { resources, outputs } = await render({
      hub: { host: "hub.lab.test", namespace: "lab", releaseName: "lab-hub", chartVersion: "4.2.0" },
      cluster: { context: "k3s-lab" },
      https: { type: "secret", secretName: "lab-tls" },
    });
    expect(only(resources, "kubernetes:core/v1:Namespace").inputs.metadata).toMatchObject({ name: "lab" });
    expect(only(resources, RELEASE_TYPE).inputs).toMatchObject({ name: "lab-hub", namespace: "lab", version: "4.2.0" });
    for (const provider of resources.filter((r) => r.type === "pulumi:providers:kubernetes")) {
      expect(provider.inputs).toMatchObject({ context: "k3s-lab" });
    }
    expect(outputs).toEqual({
      hubUrl: "https://hub.lab.test/",
      namespace: "lab",
      releaseName: "lab-hub",
      sshEndpoints: {},
      homes: { ada: { claim: "claim-ada", namespace: "lab" }, grace: { claim: "claim-grace", namespace: "lab" } },
      formerHomes: {},
      oauthCallbackUrls: {},
    });
  });

  it("declares nothing for bad config", async () => {
    // The same steps as index.ts: settings first, so bad config throws before any resource.
    const runtime = installMocks({ stack: "bad", config: flattenConfig(asStackConfig({ ...minimalConfig(), hub: {} })) });
    expect(() => deployJupyterHub(loadSettings(), {})).toThrow(SettingsError);
    expect(await runtime.settle()).toEqual([]);
  });
});
