import { namespaceMetadata } from "../../../components/namespace/HubNamespace";
import { NAMESPACE } from "../../../policies/resourceTypes";
import { namespacePodSecurity } from "../../../policies/rules/namespacePodSecurity";
import { assertHasViolation, assertNoViolation, createResourceValidationArgs } from "../policyHarness";

const policy = namespacePodSecurity();
const namespace = (labels?: Record<string, string>) => createResourceValidationArgs(NAMESPACE, { metadata: { name: "jupyterhub", ...(labels ? { labels } : {}) } });

it("passes the hub's namespace as components/namespace declares it, and restricted", () => {
  assertNoViolation(policy, createResourceValidationArgs(NAMESPACE, { metadata: namespaceMetadata("jupyterhub") }));
  assertNoViolation(policy, namespace({ "pod-security.kubernetes.io/enforce": "restricted" }));
});

it("fails a namespace without the enforce label, or one enforcing privileged (issue 12)", () => {
  assertHasViolation(policy, namespace(), "has no pod-security.kubernetes.io/enforce label");
  assertHasViolation(policy, namespace({ "app.kubernetes.io/part-of": "jupyterhub", "pod-security.kubernetes.io/warn": "baseline" }), "has no pod-security.kubernetes.io/enforce label");
  assertHasViolation(policy, namespace({ "pod-security.kubernetes.io/enforce": "privileged" }), "is 'privileged'; it must be baseline");
});

it("leaves other resources alone", () => {
  assertNoViolation(policy, createResourceValidationArgs("kubernetes:core/v1:ConfigMap", { metadata: { name: "x" } }));
});
