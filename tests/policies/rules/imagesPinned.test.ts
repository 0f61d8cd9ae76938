import { imagesPinned, unpinnedImageReason } from "../../../policies/rules/imagesPinned";
import { profile, releaseArgs, values } from "../chartFixtures";
import { assertHasViolation, assertNoViolation, createResourceValidationArgs, violationsOf } from "../policyHarness";

const policy = imagesPinned();

it("passes tagged and digest-pinned images", () => {
  const digest = `sha256:${"a".repeat(64)}`;
  assertNoViolation(policy, releaseArgs());
  assertNoViolation(policy, releaseArgs(values({ profileList: [profile("x", { image: `quay.io/jupyter/base-notebook@${digest}` })] })));
  assertNoViolation(policy, releaseArgs(values({ image: { name: "quay.io/jupyter/base-notebook", tag: `2025-10-06@${digest}` } })));
});

it("fails a profile image on latest or without a tag", () => {
  const args = releaseArgs(values({ profileList: [profile("minimal"), profile("floating", { image: "quay.io/jupyter/scipy-notebook:latest" })] }));
  assertHasViolation(policy, args, "singleuser.profileList[1] (floating): 'quay.io/jupyter/scipy-notebook:latest' uses the floating tag latest");
  assertHasViolation(policy, releaseArgs(values({ profileList: [profile("bare", { image: "busybox" })] })), /\(bare\): 'busybox' has neither tag nor digest/);
});

it("fails the chart-wide singleuser.image and a profile option's choice", () => {
  assertHasViolation(policy, releaseArgs(values({ image: { name: "quay.io/jupyter/minimal-notebook", tag: "latest" } })), /^singleuser\.image: /);
  const withChoice = profile("choose");
  withChoice.profile_options = {
    image: { choices: { new: { display_name: "New", kubespawner_override: { image: "quay.io/jupyter/r-notebook:latest" } } } },
  };
  assertHasViolation(policy, releaseArgs(values({ profileList: [withChoice] })), "singleuser.profileList[0] (choose).profile_options.image.choices.new:");
});

it("fails an unlisted choice, which lets users type any image", () => {
  const free = profile("free");
  free.profile_options = { image: { unlisted_choice: { enabled: true, kubespawner_override: { image: "{value}" } } } };
  assertHasViolation(policy, releaseArgs(values({ profileList: [free] })), /unlisted_choice: '\{value\}' is not a pinned image reference/);
});

it("looks only at Helm releases", () => {
  expect(violationsOf(policy, createResourceValidationArgs("kubernetes:core/v1:Pod", { values: values({ image: "x:latest" }) }))).toEqual([]);
});

it("explains why a reference is not pinned", () => {
  expect(unpinnedImageReason("quay.io/jupyter/minimal-notebook:2025-10-06")).toBeUndefined();
  expect(unpinnedImageReason("Not An Image")).toMatch(/is not a pinned image reference/);
});
