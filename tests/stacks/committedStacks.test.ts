// The committed stacks: they render, deterministically, and the chart accepts their values.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderedFiles } from "../../scripts/render";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { chartCheckAvailable, checkChartValues } from "../harness/chartCheck";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { committedStacks, readStackConfig } from "../harness/stackConfig";

const rendered = new Map<string, RenderedStack>();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));

beforeAll(async () => {
  for (const stack of committedStacks()) rendered.set(stack, await renderStack(readStackConfig(stack), stack));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

it("has the dev and homelab stacks", () => {
  expect(committedStacks()).toEqual(expect.arrayContaining(["dev", "homelab"]));
});

describe.each(committedStacks())("stack %s", (stack) => {
  it("renders byte-identical output twice", async () => {
    const again = await renderStack(readStackConfig(stack), stack);
    expect(renderedFiles(again)).toEqual(renderedFiles(rendered.get(stack)!));
  });

  it("writes no secret value: secrets only as [secret]", () => {
    const files = Object.values(renderedFiles(rendered.get(stack)!)).join("\n");
    expect(files).not.toMatch(/fixture-|render-placeholder/);
  });

  it("hands the chart a pinned image for every profile", () => {
    const singleuser = rendered.get(stack)!.values.singleuser as { profileList: { kubespawner_override: { image: string } }[] };
    for (const { kubespawner_override } of singleuser.profileList) {
      expect(kubespawner_override.image).toMatch(/:[A-Za-z0-9_][A-Za-z0-9_.-]*(@sha256:[a-f0-9]{64})?$/);
      expect(kubespawner_override.image).not.toMatch(/:latest(@|$)/);
    }
  });

  const check = chartCheckAvailable() ? it : it.skip;
  check("has values the Z2JH chart accepts (check-z2jh-values)", () => {
    const { settings } = rendered.get(stack)!;
    const file = path.join(scratch, `${stack}-values.yaml`);
    fs.writeFileSync(file, renderedFiles(rendered.get(stack)!)["values.yaml"]);
    const result = checkChartValues(file, settings.hub.chartVersion);
    expect(result.output).toContain(`valid against Z2JH ${settings.hub.chartVersion}`);
    expect(result.ok).toBe(true);
  });
});

describe("dev", () => {
  it("gives the URL the README's port-forward serves", () => {
    expect(rendered.get("dev")!.outputs.hubUrl).toBe("http://localhost:8080/");
  });

  it("needs no external service: local login, dynamic storage, two Docker Stacks profiles", () => {
    const { settings, resources } = rendered.get("dev")!;
    expect(settings.auth.type).toBe("local");
    expect(settings.storage.type).toBe("dynamic");
    expect(settings.profiles.filter((p) => p.enabled)).toHaveLength(2);
    for (const profile of settings.profiles) expect(profile.image).toMatch(/^quay\.io\/jupyter\//);
    expect(settings.keycloak).toBeUndefined();
    expect(new Set(resources.map((r) => r.type.split(":")[0]))).toEqual(new Set(["jupyterhub", "kubernetes", "pulumi", "pulumi-nodejs"]));
    expect(resources.map((r) => r.type)).not.toContain("pulumi:providers:keycloak");
  });
});

describe("homelab", () => {
  it("runs built images pinned by digest, the GPU profile on the CUDA image, pulled with the 1Password login", () => {
    const { settings, resources, values } = rendered.get("homelab")!;
    expect(resources.filter((r) => r.type === "docker-build:index:Image").map((r) => r.name).sort()).toEqual([
      "jupyterhub-base",
      "jupyterhub-datascience",
      "jupyterhub-pytorch-cuda",
    ]);
    const profileList = (values.singleuser as { profileList: { slug: string; kubespawner_override: Record<string, any> }[] }).profileList;
    const gpu = profileList.find((p) => p.kubespawner_override.extra_resource_limits?.["nvidia.com/gpu"] === "1")!;
    expect(gpu.kubespawner_override.image).toMatch(/jupyter-pytorch-cuda:ctx-[0-9a-f]{16}@sha256:[0-9a-f]{64}$/);
    expect(settings.profiles.filter((p) => typeof p.image !== "string").length).toBeGreaterThanOrEqual(2);
    expect(values.imagePullSecrets).toEqual(["jupyterhub-image-pull"]);
  });

  it("logs in through Keycloak, which brokers Google with its secret from 1Password", () => {
    const { settings, resources, values } = rendered.get("homelab")!;
    expect(settings.keycloak?.identityProviders.google?.clientSecret).toHaveProperty("onePassword");
    expect(resources.map((r) => r.type)).toEqual(
      expect.arrayContaining(["keycloak:openid/client:Client", "keycloak:oidc/googleIdentityProvider:GoogleIdentityProvider"]),
    );
    expect((values.hub as { config: { JupyterHub: unknown } }).config.JupyterHub).toEqual({ authenticator_class: "generic-oauth" });
    for (const user of settings.users) {
      expect(resources.find((r) => r.name === `jupyterhub-user-${user.name}`)?.inputs).toMatchObject({ email: user.email });
    }
  });

  it("is a full deployment: several users with an admin, four or more profiles with a GPU one", () => {
    const { settings, values } = rendered.get("homelab")!;
    expect(settings.hub.host).toMatch(/\.home\.arpa$/);
    expect(settings.users.length).toBeGreaterThanOrEqual(3);
    expect(settings.users.some((u) => u.admin)).toBe(true);
    expect(settings.profiles.length).toBeGreaterThanOrEqual(4);
    const profileList = (values.singleuser as { profileList: { kubespawner_override: Record<string, unknown> }[] }).profileList;
    expect(profileList.some((p) => (p.kubespawner_override.extra_resource_limits as Record<string, string>)?.["nvidia.com/gpu"] === "1")).toBe(true);
  });
});

// Homelab uses every integration, so its values are checked against every supported chart
// version: a value one version's schema refuses (a map where 4.2.0 wants a list) is caught.
(chartCheckAvailable() ? it.each([...SUPPORTED_CHART_VERSIONS]) : it.skip.each([...SUPPORTED_CHART_VERSIONS]))(
  "has homelab values that chart %s accepts as well",
  (version) => {
    const file = path.join(scratch, `homelab-${version}-values.yaml`);
    fs.writeFileSync(file, renderedFiles(rendered.get("homelab")!)["values.yaml"]);
    const result = checkChartValues(file, version);
    expect(result.output).toContain(`valid against Z2JH ${version}`);
  },
);

(chartCheckAvailable() ? it : it.skip)("checks real values: the chart check rejects a key the chart does not know", () => {
  const file = path.join(scratch, "bad-values.yaml");
  fs.writeFileSync(file, "singleuser:\n  profileLst: []\n");
  const result = checkChartValues(file, "4.4.0");
  expect(result.ok).toBe(false);
  expect(result.output).toContain("profileLst");
});
