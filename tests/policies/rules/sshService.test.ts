import { SERVICE } from "../../../policies/resourceTypes";
import { SSH_COMPONENT_LABEL } from "../../../policies/rules/sshService";
import { sshServicePortOnly } from "../../../policies/rules/sshServicePortOnly";
import { sshServiceSourceRanges } from "../../../policies/rules/sshServiceSourceRanges";
import { assertHasViolation, assertNoViolation, createResourceValidationArgs } from "../policyHarness";

function service(spec: Record<string, unknown>, component: string = SSH_COMPONENT_LABEL.value) {
  return createResourceValidationArgs(SERVICE, {
    metadata: { name: "ssh-ada", labels: { [SSH_COMPONENT_LABEL.key]: component } },
    spec: { selector: { "hub.jupyter.org/username": "ada" }, ...spec },
  });
}

const ssh = { name: "ssh", port: 22, targetPort: 2222 };

describe("ssh-service-port-22-only", () => {
  const policy = sshServicePortOnly();

  it("passes one port, 22", () => {
    assertNoViolation(policy, service({ type: "LoadBalancer", ports: [ssh] }));
  });

  it("fails a second port or another port", () => {
    assertHasViolation(policy, service({ ports: [ssh, { name: "http", port: 8888 }] }), "exactly one port (22); it exposes 2");
    assertHasViolation(policy, service({ ports: [{ port: 2222, targetPort: 2222 }] }), "must expose port 22; it exposes 2222");
    assertHasViolation(policy, service({}), "it exposes 0");
  });

  it("leaves Services without the SSH label alone", () => {
    assertNoViolation(policy, service({ ports: [{ port: 80 }, { port: 443 }] }, "proxy"));
  });
});

describe("ssh-service-source-ranges (advisory)", () => {
  const policy = sshServiceSourceRanges();

  it("passes a LoadBalancer with source ranges, and a ClusterIP without", () => {
    assertNoViolation(policy, service({ type: "LoadBalancer", ports: [ssh], loadBalancerSourceRanges: ["192.168.50.0/24"] }));
    assertNoViolation(policy, service({ type: "ClusterIP", ports: [ssh] }));
  });

  it("warns about a LoadBalancer open to everyone", () => {
    expect(policy.enforcementLevel).toBe("advisory");
    assertHasViolation(policy, service({ type: "LoadBalancer", ports: [ssh] }), "without spec.loadBalancerSourceRanges");
    assertHasViolation(policy, service({ type: "LoadBalancer", ports: [ssh], loadBalancerSourceRanges: ["0.0.0.0/0"] }), "opens SSH to every address");
  });
});

describe("ssh-service-port-22-only: the port a Service forwards to (issue 12)", () => {
  const policy = sshServicePortOnly();

  it("passes port 22 forwarded to sshd by number or by the port's name, as the SSH gateway's Service does", () => {
    assertNoViolation(policy, service({ ports: [{ name: "ssh", port: 22, targetPort: "ssh" }] }));
    assertNoViolation(policy, service({ type: "LoadBalancer", ports: [{ name: "ssh", protocol: "TCP", port: 22, targetPort: 2222 }] }));
  });

  it("fails port 22 forwarded to the notebook's port, or to anything but sshd", () => {
    assertHasViolation(
      policy,
      service({ ports: [{ name: "ssh", port: 22, targetPort: 8888 }] }),
      "an SSH Service must forward to sshd (targetPort 2222 or 'ssh'); it forwards to 8888",
    );
    assertHasViolation(policy, service({ ports: [{ port: 22, targetPort: "notebook-port" }] }), `it forwards to "notebook-port"`);
    assertHasViolation(policy, service({ ports: [{ port: 22, targetPort: 22 }] }), "it forwards to 22");
  });

  it("fails a port 22 without targetPort, which Kubernetes forwards to 22", () => {
    assertHasViolation(policy, service({ ports: [{ port: 22 }] }), "must set targetPort 2222 (sshd); without it Kubernetes forwards to port 22");
  });
});
