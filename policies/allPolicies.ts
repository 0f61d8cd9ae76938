// Every CrossGuard rule of the pack, in the order they are reported. index.ts registers them
// with the analyzer; evaluate.ts runs them over a rendered stack. Adding a rule: a factory in
// rules/, listed here, with a passing and a failing test in tests/policies/.
import type { Policies } from "@pulumi/policy";
import { homeVolumesRetained } from "./rules/homeVolumesRetained";
import { imagesPinned } from "./rules/imagesPinned";
import { firstUseOverHttps, localLoginReach } from "./rules/localLoginReach";
import { namespacePodSecurity } from "./rules/namespacePodSecurity";
import { noPlainSecretsInValues } from "./rules/noPlainSecretsInValues";
import { oauthRedirectExact } from "./rules/oauthRedirectExact";
import { privilegeOnlyForSudo } from "./rules/privilegeOnlyForSudo";
import { profileLimits } from "./rules/profileLimits";
import { sshServicePortOnly } from "./rules/sshServicePortOnly";
import { sshServiceSourceRanges } from "./rules/sshServiceSourceRanges";
import { vaultHubPolicyMinimal } from "./rules/vaultHubPolicyMinimal";
import { vaultUserPolicyOwnPath } from "./rules/vaultUserPolicyOwnPath";

export const allPolicies: Policies = [
  imagesPinned(),
  profileLimits(),
  privilegeOnlyForSudo(),
  namespacePodSecurity(),
  sshServicePortOnly(),
  sshServiceSourceRanges(),
  noPlainSecretsInValues(),
  homeVolumesRetained(),
  oauthRedirectExact(),
  localLoginReach(),
  firstUseOverHttps(),
  vaultUserPolicyOwnPath(),
  vaultHubPolicyMinimal(),
];
