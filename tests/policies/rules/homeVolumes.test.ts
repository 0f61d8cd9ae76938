import { NAMESPACE, PERSISTENT_VOLUME, PERSISTENT_VOLUME_CLAIM } from "../../../policies/resourceTypes";
import { homesKeptOnDestroy } from "../../../policies/rules/homesKeptOnDestroy";
import { homeVolumesRetained } from "../../../policies/rules/homeVolumesRetained";
import type { StackResource } from "../../../policies/stackResource";
import { assertHasViolation, assertNoViolation, createResourceValidationArgs } from "../policyHarness";

describe("home-volumes-retained", () => {
  const policy = homeVolumesRetained();
  const volume = (reclaim?: string) =>
    createResourceValidationArgs(PERSISTENT_VOLUME, { spec: { nfs: { server: "nas", path: "/homes" }, ...(reclaim ? { persistentVolumeReclaimPolicy: reclaim } : {}) } });

  it("passes Retain", () => assertNoViolation(policy, volume("Retain")));

  it("fails Delete, Recycle or no explicit policy", () => {
    assertHasViolation(policy, volume("Delete"), "is 'Delete'; home volumes must be Retain");
    assertHasViolation(policy, volume("Recycle"), "is 'Recycle'");
    assertHasViolation(policy, volume(), "is not set");
  });
});

describe("homes-kept-on-destroy", () => {
  const resource = (type: string, options: Partial<StackResource> = {}): StackResource => ({
    type,
    name: "homes",
    parent: null,
    protect: false,
    retainOnDelete: false,
    inputs: {},
    ...options,
  });

  it("passes a retained namespace, a protected claim and other deletable resources", () => {
    const resources = [
      resource(NAMESPACE, { retainOnDelete: true }),
      resource(PERSISTENT_VOLUME_CLAIM, { protect: true }),
      resource("kubernetes:helm.sh/v3:Release"),
    ];
    expect(homesKeptOnDestroy(resources, { allowDelete: false })).toEqual([]);
  });

  it("fails a namespace, volume or claim that destroy would delete", () => {
    const resources = [resource(NAMESPACE), resource(PERSISTENT_VOLUME, { retainOnDelete: true }), resource(PERSISTENT_VOLUME_CLAIM)];
    expect(homesKeptOnDestroy(resources, { allowDelete: false })).toEqual([
      { resource: `${NAMESPACE}::homes`, message: expect.stringContaining("pulumi destroy would delete this Namespace") },
      { resource: `${PERSISTENT_VOLUME_CLAIM}::homes`, message: expect.stringContaining("storage.deleteHomesOnDestroy: true") },
    ]);
  });

  it("allows deletion when the stack asks for it", () => {
    expect(homesKeptOnDestroy([resource(NAMESPACE)], { allowDelete: true })).toEqual([]);
  });
});
