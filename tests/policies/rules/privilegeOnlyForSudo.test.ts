import { privilegeOnlyForSudo } from "../../../policies/rules/privilegeOnlyForSudo";
import { profile, releaseArgs, sudoProfile, values } from "../chartFixtures";
import { assertHasViolation, assertNoViolation, violationsOf } from "../policyHarness";

const policy = privilegeOnlyForSudo();

it("passes a sudo profile that sets uid 0, escalation and GRANT_SUDO together", () => {
  assertNoViolation(policy, releaseArgs(values({ profileList: [profile("plain"), sudoProfile()] })));
  assertNoViolation(policy, releaseArgs(values({ profileList: [profile("one", { uid: 0, environment: { GRANT_SUDO: "1" } })] })));
});

it("fails root or escalation in a profile that does not ask for sudo", () => {
  const args = releaseArgs(
    values({ profileList: [profile("root", { uid: 0 }), profile("escalate", { allow_privilege_escalation: true, environment: { GRANT_SUDO: "no" } })] }),
  );
  expect(violationsOf(policy, args)).toEqual([
    'singleuser.profileList[0] (root): uid: 0 without environment.GRANT_SUDO: "yes"; only sudo profiles may',
    'singleuser.profileList[1] (escalate): allow_privilege_escalation: true without environment.GRANT_SUDO: "yes"; only sudo profiles may',
  ]);
});

it("fails chart-wide escalation or root, and privileged containers anywhere", () => {
  assertHasViolation(policy, releaseArgs(values({ allowPrivilegeEscalation: true })), "singleuser.allowPrivilegeEscalation is true");
  assertHasViolation(policy, releaseArgs(values({ uid: 0 })), "singleuser.uid is 0");
  assertHasViolation(policy, releaseArgs(values({ profileList: [sudoProfile("root"), profile("p", { privileged: true })] })), "(p): privileged containers");
});

it("reads a choice as KubeSpawner applies it: its environment replaces the profile's", () => {
  const sudo = sudoProfile("workbench");
  sudo.profile_options = { flavour: { choices: { plain: { kubespawner_override: { environment: { TZ: "UTC" } } } } } };
  assertHasViolation(policy, releaseArgs(values({ profileList: [sudo] })), "(workbench).profile_options.flavour.choices.plain: uid: 0 and allow_privilege_escalation: true");
});
