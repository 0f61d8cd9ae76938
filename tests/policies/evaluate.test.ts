// The pack run over rendered stacks, the way `npm run render` runs it.
import type { StackValidationPolicy } from "@pulumi/policy";
import { allPolicies } from "../../policies/allPolicies";
import { evaluatedPolicies, evaluatePolicies } from "../../policies/evaluate";
import { formatPolicyResults, policyCheck } from "../../policies/policyCheck";
import { imagesPinned } from "../../policies/rules/imagesPinned";
import type { RecordedResource } from "../harness/recordedResource";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { committedStacks, readStackConfig } from "../harness/stackConfig";

const rendered = new Map<string, RenderedStack>();
beforeAll(async () => {
  for (const stack of committedStacks()) rendered.set(stack, await renderStack(readStackConfig(stack), stack));
});

const replace = (resources: readonly RecordedResource[], type: string, change: (r: RecordedResource) => RecordedResource) =>
  resources.map((r) => (r.type === type ? change(r) : r));

describe.each(committedStacks())("committed stack %s", (stack) => {
  it("passes every mandatory rule", () => {
    const { resources, settings } = rendered.get(stack)!;
    const results = evaluatePolicies(resources, { deleteHomesOnDestroy: settings.storage.deleteHomesOnDestroy });
    expect(results.filter((r) => r.enforcementLevel === "mandatory")).toEqual([]);
  });
});

describe("a stack that breaks a mandatory rule", () => {
  // The schema already rejects what a config could get wrong (floating images, missing limits),
  // so the breakage is made in what the program declared: a namespace that destroy would delete.
  const broken = () => {
    const dev = rendered.get("dev")!;
    return { ...dev, resources: replace(dev.resources, "kubernetes:core/v1:Namespace", (r) => ({ ...r, retainOnDelete: false })) };
  };

  it("fails the render's policy check, naming the rule and the resource", () => {
    const check = policyCheck(broken());
    expect(check.failed).toBe(true);
    expect(check.results).toEqual([
      expect.objectContaining({ policy: "homes-kept-on-destroy", enforcementLevel: "mandatory", resource: "kubernetes:core/v1:Namespace::jupyterhub" }),
    ]);
    expect(check.report).toMatch(/^policies: \d+ passed, 1 mandatory failed\n {2}FAIL homes-kept-on-destroy \[mandatory\] kubernetes:core\/v1:Namespace::jupyterhub: /);
  });

  it("passes once the stack lets destroy delete homes", () => {
    const stack = broken();
    expect(policyCheck({ ...stack, settings: { ...stack.settings, storage: { ...stack.settings.storage, deleteHomesOnDestroy: true } } }).failed).toBe(false);
  });

  it("reports a rule on the release's recorded inputs", () => {
    const dev = rendered.get("dev")!;
    const resources = replace(dev.resources, "kubernetes:helm.sh/v3:Release", (release) => {
      const values = JSON.parse(JSON.stringify(release.inputs.values));
      values.singleuser.profileList[0].kubespawner_override.uid = 0;
      return { ...release, inputs: { ...release.inputs, values } };
    });
    expect(evaluatePolicies(resources, { deleteHomesOnDestroy: false })).toEqual([
      {
        policy: "privilege-only-for-sudo",
        enforcementLevel: "mandatory",
        resource: "kubernetes:helm.sh/v3:Release::jupyterhub",
        message: 'singleuser.profileList[0] (minimal): uid: 0 without environment.GRANT_SUDO: "yes"; only sudo profiles may',
      },
    ]);
  });
});

describe("evaluatePolicies", () => {
  const resource = (type: string, name: string, parent: string | null = null, inputs: Record<string, unknown> = {}): RecordedResource => ({
    type,
    name,
    parent,
    provider: null,
    custom: true,
    protect: false,
    retainOnDelete: true,
    dependsOn: [],
    inputs,
  });
  const resources = [
    resource("jupyterhub:hub:Hub", "hub", null),
    resource("kubernetes:helm.sh/v3:Release", "hub", "jupyterhub:hub:Hub::hub", { values: { singleuser: { image: "x/y:latest" } } }),
  ];

  it("gives rules URNs with the parent's type, and maps a stack rule's URN back to the resource", () => {
    const seen: string[] = [];
    const stackPolicy: StackValidationPolicy = {
      name: "one-release",
      description: "test",
      enforcementLevel: "advisory",
      validateStack: (args, report) => {
        for (const r of args.resources) seen.push(r.urn);
        report("looked", args.resources[1].urn);
      },
    };
    expect(evaluatePolicies(resources, { deleteHomesOnDestroy: false, stack: "dev" }, [stackPolicy])).toEqual([
      { policy: "one-release", enforcementLevel: "advisory", resource: "kubernetes:helm.sh/v3:Release::hub", message: "looked" },
    ]);
    expect(seen).toEqual([
      "urn:pulumi:dev::jupyterhub::jupyterhub:hub:Hub::hub",
      "urn:pulumi:dev::jupyterhub::jupyterhub:hub:Hub$kubernetes:helm.sh/v3:Release::hub",
    ]);
  });

  it("skips disabled rules, treats notApplicable as a pass and rejects asynchronous rules", () => {
    const disabled = { ...imagesPinned(), enforcementLevel: "disabled" as const };
    expect(evaluatePolicies(resources, { deleteHomesOnDestroy: false }, [disabled])).toEqual([]);
    expect(evaluatePolicies(resources, { deleteHomesOnDestroy: false }, [imagesPinned()])).toHaveLength(1);
    const notApplicable = { name: "n/a", description: "", validateResource: (args: { notApplicable(): never }) => args.notApplicable() };
    expect(evaluatePolicies(resources, { deleteHomesOnDestroy: false }, [notApplicable])).toEqual([]);
    const asynchronous = { name: "async", description: "", validateResource: async () => undefined };
    expect(() => evaluatePolicies(resources, { deleteHomesOnDestroy: false }, [asynchronous])).toThrow(/async is asynchronous/);
  });

  it("lists the pack's rules and the stack-level ones, and formats a clean result", () => {
    const names = evaluatedPolicies().map((p) => p.name);
    expect(names).toEqual([...allPolicies.map((p) => p.name), "homes-kept-on-destroy", "cull-before-vault-token-expiry"]);
    expect(new Set(names).size).toBe(names.length);
    expect(formatPolicyResults([])).toBe(`policies: ${names.length} passed`);
  });
});

describe("issue 12's bypasses, made in what the homelab stack declares", () => {
  const homelab = () => rendered.get("homelab")!.resources;
  const change = (type: string, name: string, inputs: (current: Record<string, unknown>) => Record<string, unknown>) =>
    homelab().map((r) => (r.type === type && r.name === name ? { ...r, inputs: inputs(r.inputs) } : r));
  const mandatory = (resources: readonly RecordedResource[]) =>
    evaluatePolicies(resources, { deleteHomesOnDestroy: false }).filter((r) => r.enforcementLevel === "mandatory");

  it("the homelab stack declares each resource the rules below look at", () => {
    const names = homelab().map((r) => `${r.type}::${r.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "keycloak:openid/client:Client::jupyterhub-hub",
        "vault:index/policy:Policy::jupyterhub-hub",
        "vault:index/policy:Policy::jupyterhub-user",
        "kubernetes:core/v1:Namespace::jupyterhub",
        "kubernetes:helm.sh/v3:Release::jupyterhub",
      ]),
    );
  });

  it("a login callback on another host than the release serves", () => {
    const resources = change("keycloak:openid/client:Client", "jupyterhub-hub", (inputs) => ({
      ...inputs,
      validRedirectUris: ["https://attacker.example/hub/oauth_callback"],
    }));
    expect(mandatory(resources)).toEqual([
      expect.objectContaining({ policy: "oauth-redirect-exact", resource: "keycloak:openid/client:Client::jupyterhub-hub" }),
    ]);
  });

  it("a hub Vault policy of path \"*\" with sudo, and a user policy reading everyone's secrets", () => {
    const hub = change("vault:index/policy:Policy", "jupyterhub-hub", (inputs) => ({ ...inputs, policy: `path "*" { capabilities = ["read", "sudo"] }` }));
    expect(mandatory(hub).map((r) => r.policy)).toEqual(["vault-hub-policy-minimal", "vault-hub-policy-minimal", "vault-hub-policy-minimal"]);
    const user = change("vault:index/policy:Policy", "jupyterhub-user", (inputs) => ({
      ...inputs,
      policy: `${String(inputs.policy)}\npath "secret/data/*" { capabilities = ["read", "list"] }\n`,
    }));
    expect(mandatory(user)).toEqual([expect.objectContaining({ policy: "vault-user-policy-own-path", message: expect.stringContaining('path "secret/data/*"') })]);
  });

  it("a namespace without the Pod Security label, and a sudo profile with default capabilities", () => {
    const namespace = change("kubernetes:core/v1:Namespace", "jupyterhub", (inputs) => ({ ...inputs, metadata: { name: "jupyterhub" } }));
    expect(mandatory(namespace).map((r) => r.policy)).toEqual(["namespace-pod-security"]);
    const release = change("kubernetes:helm.sh/v3:Release", "jupyterhub", (inputs) => {
      const values = JSON.parse(JSON.stringify(inputs.values));
      for (const profile of values.singleuser.profileList) delete profile.kubespawner_override.container_security_context;
      return { ...inputs, values };
    });
    expect(mandatory(release)).toEqual([
      expect.objectContaining({ policy: "privilege-only-for-sudo", message: expect.stringContaining("(workbench): the sudo profile keeps the runtime's default capabilities") }),
    ]);
  });
});
