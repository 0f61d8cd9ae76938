// What `pulumi preview --diff` shows of the chart values: under a preview (mocks with dryRun, where
// what providers compute is unknown), only the built images' references are unknown; every other
// value is known, so it shows in the diff and the policies that read values can check it.
import { placeholderImages, withBuiltImages } from "../../components/hub/releaseValues";
import { RELEASE_TYPE, renderStack } from "../harness/renderStack";
import { readStackConfig } from "../harness/stackConfig";
import * as pulumi from "@pulumi/pulumi";

it("keeps every value known in a homelab preview but the built images' references", async () => {
  const { resources } = await renderStack(readStackConfig("homelab"), "homelab", undefined, { preview: true });
  const values = resources.find((r) => r.type === RELEASE_TYPE)!.inputs.values as Record<string, any>;
  expect(values).toBeDefined();
  expect(values.hub.config.KubeSpawner).toEqual({ delete_pvc: false });
  expect(values.proxy.https.hosts).toEqual(["jupyter.home.arpa"]);
  const byslug = Object.fromEntries(values.singleuser.profileList.map((p: any) => [p.slug, p.kubespawner_override]));
  // An external image is known; a built one waits for its digest.
  expect(byslug.minimal.image).toBe("quay.io/jupyter/minimal-notebook:2025-10-06");
  expect(pulumi.isUnknown(byslug.datascience.image)).toBe(true);
  expect(byslug.datascience).toMatchObject({ cpu_limit: 4, mem_limit: 8 * 1024 ** 3 });
  // The chart's default image is the default profile's (built): its name and tag are unknown alone.
  expect(pulumi.isUnknown(values.singleuser.image.name)).toBe(true);
  expect(pulumi.isUnknown(values.singleuser.image.tag)).toBe(true);
  // The CA init container runs the profile's image: unknown there too, its script known.
  const caInit = byslug.datascience.init_containers.find((c: { name: string }) => c.name === "ca-trust");
  expect(pulumi.isUnknown(caInit.image)).toBe(true);
  expect(caInit.command[0]).toBe("sh");
});

it("replaces each placeholder form with the pushed reference's matching part, and refuses a stray one", async () => {
  const placeholders = placeholderImages(["datascience"]);
  const pushed = { datascience: "ghcr.io/me/jupyter-datascience:ctx-1@sha256:" + "a".repeat(64) };
  const values = {
    singleuser: { image: { name: "placeholder.invalid/built-datascience", tag: "pending-datascience" } },
    profile: placeholders.datascience,
    other: "quay.io/jupyter/minimal-notebook:2025-10-06",
  };
  const resolved = await new Promise((resolve) => pulumi.output(withBuiltImages(values, placeholders, pushed)).apply(resolve));
  expect(resolved).toEqual({
    singleuser: { image: { name: "ghcr.io/me/jupyter-datascience", tag: `ctx-1@sha256:${"a".repeat(64)}` } },
    profile: pushed.datascience,
    other: "quay.io/jupyter/minimal-notebook:2025-10-06",
  });
  expect(() => withBuiltImages({ x: "prefix placeholder.invalid/built-datascience" }, placeholders, pushed)).toThrow(/placeholder reached the chart values/);
});
