// The harness itself: it must fail loudly on what it does not know and never leak a secret.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { installMocks } from "./mockRuntime";
import { redact, SECRET_PLACEHOLDER, urnToReference } from "./recordedResource";

it("rejects an invoke it has no fixture for instead of answering {}", async () => {
  installMocks({ stack: "harness" });
  await expect(pulumi.runtime.invoke("docker:index/getRegistryImage:getRegistryImage", { name: "ghcr.io/x/y:1" })).rejects.toThrow(
    "no fixture for invoke 'docker:index/getRegistryImage:getRegistryImage'",
  );
});

it("records secret inputs as [secret], nested ones included", async () => {
  const runtime = installMocks({ stack: "harness" });
  new k8s.core.v1.Secret("token", {
    metadata: { name: "token", labels: { visible: "yes" } },
    stringData: { token: pulumi.secret("hunter2") },
  });
  const [secret] = await runtime.settle();
  expect(secret.inputs.stringData).toBe(SECRET_PLACEHOLDER);
  expect(secret.inputs.metadata).toEqual({ labels: { visible: "yes" }, name: "token" });
  expect(JSON.stringify(secret)).not.toContain("hunter2");
});

it("records parent, provider and resource options", async () => {
  const runtime = installMocks({ stack: "harness" });
  const provider = new k8s.Provider("cluster", {});
  const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
  new k8s.core.v1.ConfigMap("kept", { data: { a: "b" } }, { parent, provider, retainOnDelete: true, protect: true });
  const recorded = (await runtime.settle()).find((r) => r.name === "kept")!;
  expect(recorded).toMatchObject({
    parent: "test:index:Parent::parent",
    provider: "pulumi:providers:kubernetes::cluster",
    protect: true,
    retainOnDelete: true,
    custom: true,
  });
});

describe("redact", () => {
  it("sorts map keys at every depth and keeps lists in order", () => {
    expect(JSON.stringify(redact({ b: [{ z: 1, a: 2 }, 3], a: null }))).toBe('{"a":null,"b":[{"a":2,"z":1},3]}');
  });

  it("names a parent by type and name, nested types included", () => {
    expect(urnToReference("urn:pulumi:dev::jupyterhub::jupyterhub:hub:Hub$kubernetes:helm.sh/v3:Release::jupyterhub")).toBe(
      "kubernetes:helm.sh/v3:Release::jupyterhub",
    );
    expect(urnToReference("")).toBeNull();
  });
});
