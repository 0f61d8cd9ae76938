import { profileLimits } from "../../../policies/rules/profileLimits";
import { profile, releaseArgs, sudoProfile, values } from "../chartFixtures";
import { assertHasViolation, assertNoViolation, violationsOf } from "../policyHarness";

const policy = profileLimits();

it("passes profiles with CPU and memory limits", () => {
  assertNoViolation(policy, releaseArgs(values({ profileList: [profile("a"), sudoProfile(), profile("b", { cpu_limit: "4", mem_limit: "8G" })] })));
});

it("fails a profile without a CPU or memory limit", () => {
  const args = releaseArgs(values({ profileList: [profile("ok"), profile("unbounded", { cpu_limit: undefined, mem_limit: 0 })] }));
  expect(violationsOf(policy, args)).toEqual([
    "singleuser.profileList[1] (unbounded): no CPU limit (kubespawner_override.cpu_limit)",
    "singleuser.profileList[1] (unbounded): no memory limit (kubespawner_override.mem_limit)",
  ]);
});

it("accepts the chart-wide limits a profile falls back to", () => {
  const bare = profile("bare", { cpu_limit: undefined, mem_limit: undefined });
  assertNoViolation(policy, releaseArgs(values({ profileList: [bare], cpu: { limit: 1 }, memory: { limit: "1G" } })));
  assertHasViolation(policy, releaseArgs(values({ profileList: [bare], cpu: { limit: 1 } })), "(bare): no memory limit");
});

it("without profiles, needs limits on the default server", () => {
  assertHasViolation(policy, releaseArgs(values({ profileList: [] })), "singleuser.cpu.limit: the default server has no CPU limit");
  assertNoViolation(policy, releaseArgs(values({ profileList: [], cpu: { limit: 2 }, memory: { limit: "2G" } })));
});
