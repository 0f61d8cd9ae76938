// SSH on an image the stack does not build: the deployment delivers images/base's sshd start hooks
// and config in a ConfigMap that every server mounts where images/base installs them, so an image
// needs only sshd itself (and Docker Stacks' start.sh). tests/python/test_image_hooks.py runs the
// delivered files the way start.sh does.
import * as fs from "fs";
import * as path from "path";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { SERVER_SSHD_CONFIG, SERVER_SSHD_FILES, START_HOOKS_DIR } from "../../components/ssh/serverSshd";
import { helmTemplate, manifest } from "../harness/helmTemplate";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import type { RecordedResource } from "../harness/recordedResource";
import { hubSecretValues } from "../network/clusterModel";
import { asStackConfig, minimalConfig, profile, SSHD_IMAGE } from "../fixtures/configs";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGm4lCq0hGqkqz3y2m0d0H6b2Yb1m9Jm1p8x3xk0aDa1 ada@laptop";
const BASE = path.join(__dirname, "..", "..", "images", "base");
const HOOKS = ["10-authorized-keys.sh", "20-sshd.sh"];
const configMapOf = (resources: RecordedResource[], name: string) =>
  resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && (r.inputs.metadata as { name: string }).name === name);

const EXPECTED_VOLUME = {
  name: "sshd",
  configMap: {
    name: "jupyterhub-ssh-server-sshd",
    defaultMode: 0o444,
    items: [
      { key: "10-authorized-keys.sh", path: "10-authorized-keys.sh" },
      { key: "20-sshd.sh", path: "20-sshd.sh" },
      { key: "sshd_config", path: "sshd_config" },
    ],
  },
};
const EXPECTED_MOUNTS = [
  { name: "sshd", mountPath: "/usr/local/bin/before-notebook.d/10-authorized-keys.sh", subPath: "10-authorized-keys.sh", readOnly: true },
  { name: "sshd", mountPath: "/usr/local/bin/before-notebook.d/20-sshd.sh", subPath: "20-sshd.sh", readOnly: true },
  { name: "sshd", mountPath: "/etc/ssh/jupyterhub_sshd_config", subPath: "sshd_config", readOnly: true },
];

/** SSH users; an image of your own with sshd, a Docker Stacks image without, and a sudo one without. */
function mixedConfig() {
  return {
    ...minimalConfig(),
    users: [{ name: "ada", admin: true, ssh: { publicKeys: [KEY] } }, { name: "grace" }],
    ssh: { sourceRanges: ["192.168.0.0/16"] },
    profiles: [
      profile({ slug: "sshd", displayName: "With sshd", image: SSHD_IMAGE, sshd: true, default: true }),
      profile({ slug: "scipy", displayName: "SciPy" }),
      profile({ slug: "root", displayName: "Root", image: SSHD_IMAGE, sudo: true, sshd: false }),
    ],
  };
}

describe("a stack with SSH users and images it does not build", () => {
  let rendered: RenderedStack;
  beforeAll(async () => {
    rendered = await renderStack(asStackConfig(mixedConfig()));
  });
  const values = () => rendered.values as Record<string, any>;
  const override = (slug: string) => values().singleuser.profileList.find((p: { slug: string }) => p.slug === slug).kubespawner_override;

  it("declares the servers' sshd files in a ConfigMap, byte for byte those of images/base", () => {
    const configMap = configMapOf(rendered.resources, "jupyterhub-ssh-server-sshd")!;
    expect(configMap.inputs.metadata).toEqual({ name: "jupyterhub-ssh-server-sshd", namespace: "jupyterhub" });
    expect(configMap.inputs.data).toEqual({
      "10-authorized-keys.sh": fs.readFileSync(path.join(BASE, "before-notebook.d", "10-authorized-keys.sh"), "utf8"),
      "20-sshd.sh": fs.readFileSync(path.join(BASE, "before-notebook.d", "20-sshd.sh"), "utf8"),
      sshd_config: fs.readFileSync(path.join(BASE, "sshd_config"), "utf8"),
    });
  });

  it("mounts each file into every server where images/base installs it, one file at a time, read-only", () => {
    const storage = values().singleuser.storage;
    expect(storage.extraVolumes).toContainEqual(EXPECTED_VOLUME);
    expect(storage.extraVolumeMounts.filter((m: { name: string }) => m.name === "sshd")).toEqual(EXPECTED_MOUNTS);
    // Not the directory: that would hide the image's own hooks (docker-stacks' 10activate-conda-env.sh).
    expect(storage.extraVolumeMounts.map((m: { mountPath: string }) => m.mountPath)).not.toContain(START_HOOKS_DIR);
  });

  it("routes to and labels only the profile with sshd, and turns sshd off in the others", () => {
    expect(override("sshd").extra_labels).toEqual({ "jupyterhub-pulumi/sshd": "true" });
    expect(override("sshd").environment).toBeUndefined();
    expect(override("scipy").extra_labels).toBeUndefined();
    expect(override("scipy").environment).toEqual({ JUPYTERHUB_SSH_DISABLED: "1" });
    // The sudo profile keeps GRANT_SUDO beside it: KubeSpawner merges this dictionary into extraEnv.
    expect(override("root").environment).toEqual({ GRANT_SUDO: "yes", JUPYTERHUB_SSH_DISABLED: "1" });
  });

  it.each(SUPPORTED_CHART_VERSIONS)("hands chart %s the volume and mounts as they are, for its jupyterhub_config.py", (version) => {
    // helm template also checks the values against the chart's schema (4.2.0 takes lists only).
    const manifests = helmTemplate(values(), { release: "jupyterhub", namespace: "jupyterhub", chartVersion: version });
    const storage = hubSecretValues(manifests).singleuser.storage;
    expect(storage.extraVolumes).toContainEqual(EXPECTED_VOLUME);
    expect(storage.extraVolumeMounts.filter((m: { name: string }) => m.name === "sshd")).toEqual(EXPECTED_MOUNTS);
    const profiles = hubSecretValues(manifests).singleuser.profileList;
    expect(profiles.find((p: { slug: string }) => p.slug === "scipy").kubespawner_override.environment).toEqual({ JUPYTERHUB_SSH_DISABLED: "1" });
    // The chart makes no Secret or ConfigMap of these: the stack's ConfigMap is the only source.
    expect(manifests.some((m) => m.kind === "ConfigMap" && m.metadata.name === "jupyterhub-ssh-server-sshd")).toBe(false);
    expect(manifest(manifests, "Deployment", "hub")).toBeDefined();
  });
});

it("delivers nothing and turns nothing off when nobody has SSH keys", async () => {
  const { resources, values } = await renderStack(asStackConfig(minimalConfig()));
  expect(configMapOf(resources, "jupyterhub-ssh-server-sshd")).toBeUndefined();
  const override = (values as Record<string, any>).singleuser.profileList[0].kubespawner_override;
  expect(override.environment).toBeUndefined();
});

it("mounts the files where images/base puts them and where the hooks look by default", () => {
  const dockerfile = fs.readFileSync(path.join(BASE, "Dockerfile"), "utf8");
  expect(dockerfile).toContain(`COPY sshd_config ${SERVER_SSHD_CONFIG}`);
  expect(dockerfile).toContain(`COPY before-notebook.d/ ${START_HOOKS_DIR}/`);
  const sshdHook = fs.readFileSync(path.join(BASE, "before-notebook.d", "20-sshd.sh"), "utf8");
  expect(sshdHook).toContain(`JUPYTERHUB_SSHD_CONFIG:-${SERVER_SSHD_CONFIG}}`);
  expect(sshdHook).toContain('"${JUPYTERHUB_SSH_DISABLED:-}" = 1');
  // Every SSH hook in images/base is delivered (the Vault hook is not SSH's).
  const sshHooks = fs.readdirSync(path.join(BASE, "before-notebook.d")).filter((f) => !f.includes("vault"));
  expect(sshHooks.sort()).toEqual(HOOKS);
  expect(SERVER_SSHD_FILES.map((f) => f.key)).toEqual([...HOOKS, "sshd_config"]);
});
