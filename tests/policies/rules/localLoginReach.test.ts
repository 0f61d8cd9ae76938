import { firstUseOverHttps, localLoginReach } from "../../../policies/rules/localLoginReach";
import { createResourceValidationArgs, violationsOf } from "../policyHarness";

const release = (authenticator: string, serviceType?: string, https = false) =>
  createResourceValidationArgs("kubernetes:helm.sh/v3:Release", {
    values: {
      hub: { config: { JupyterHub: { authenticator_class: authenticator } } },
      proxy: { ...(serviceType ? { service: { type: serviceType } } : {}), https: { enabled: https } },
    },
  });

describe("local-login-reach", () => {
  const policy = localLoginReach();

  it("passes dummy login behind a ClusterIP proxy (port-forward only)", () => {
    expect(violationsOf(policy, release("dummy", "ClusterIP"))).toEqual([]);
  });

  it("fails dummy login on a LoadBalancer, a NodePort, or the chart's default Service", () => {
    expect(violationsOf(policy, release("dummy", "LoadBalancer"))).toEqual([
      "hub.config.JupyterHub.authenticator_class is dummy on a LoadBalancer proxy: anyone who reaches it logs in as anyone",
    ]);
    expect(violationsOf(policy, release("dummyauthenticator.DummyAuthenticator", "NodePort"))).toHaveLength(1);
    expect(violationsOf(policy, release("dummy"))).toHaveLength(1);
  });

  it("leaves other authenticators alone", () => {
    expect(violationsOf(policy, release("generic-oauth", "LoadBalancer"))).toEqual([]);
  });
});

describe("first-use-over-https", () => {
  const policy = firstUseOverHttps();

  it("passes first-use passwords over HTTPS or behind port-forward", () => {
    expect(violationsOf(policy, release("firstuseauthenticator.FirstUseAuthenticator", "LoadBalancer", true))).toEqual([]);
    expect(violationsOf(policy, release("firstuseauthenticator.FirstUseAuthenticator", "ClusterIP"))).toEqual([]);
  });

  it("flags first-use passwords set in clear on a reachable address", () => {
    expect(violationsOf(policy, release("firstuseauthenticator.FirstUseAuthenticator", "LoadBalancer"))).toEqual([
      "first-use passwords on a LoadBalancer proxy without HTTPS: the first to log in as a user sets the password, in clear",
    ]);
  });
});
