// Every namespaced object a committed stack declares is created after its Namespace, never racing
// it on a fresh cluster ("namespaces ... not found", which only the Kubernetes provider's create
// retries would paper over).
//
// What makes a resource wait is the Node SDK, not the engine: the engine runs each registration as
// it arrives, and the SDK sends a registration only once (node_modules/@pulumi/pulumi/runtime/
// resource.js prepareResource, SDK 3.276):
//   - every resource in its dependsOn is registered, a component standing for its children
//     (runtime/dependsOn.js getAllTransitivelyReferencedResourceURNs);
//   - every Output among its inputs has resolved (rpc.serializeResourceProperties), and an Output
//     of a custom resource resolves once the engine has created it;
//   - its parent is registered (`await parent.urn.promise()`), and a component's own registration
//     waits for its dependsOn as above.
// So a Namespace reached through dependsOn, an input, or a parent component that depends on it
// each make the object wait. Deletion follows the same links (pkg/resource/graph/
// dependency_graph.go DependenciesOf counts the parent, in pulumi/pulumi).
//
// Rather than model that, the test observes it: the Namespace's registration is held unanswered
// until every registration that can go ahead has gone, and no namespaced object may be among them.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { deployJupyterHub } from "../../program";
import { loadSettings } from "../../settings";
import { installMocks } from "../harness/mockRuntime";
import { RENDER_ENVIRONMENT, withoutStackTraces } from "../harness/renderStack";
import type { RecordedResource } from "../harness/recordedResource";
import { committedStacks, flattenConfig, readStackConfig } from "../harness/stackConfig";

const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";

/** Kinds the Kubernetes API serves without a namespace (kubectl api-resources --namespaced=false). */
const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace",
  "PersistentVolume",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
  "StorageClass",
  "ClusterIssuer",
  "ClusterSecretStore",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "PriorityClass",
]);

/** The namespace an object lives in, for every Kubernetes object that lives in one. */
function namespaceOf(resource: RecordedResource): string | undefined {
  if (resource.type === "kubernetes:helm.sh/v3:Release") return String(resource.inputs.namespace);
  if (!resource.custom || !resource.type.startsWith("kubernetes:")) return undefined;
  const kind = resource.type.split(":").pop()!;
  if (CLUSTER_SCOPED_KINDS.has(kind)) return undefined;
  return String((resource.inputs.metadata as { namespace?: string } | undefined)?.namespace);
}

type RegisterResource = (request: { getType(): string; getName(): string }, callback: unknown) => Promise<void>;

/**
 * Runs `declare` under the mocks with the Namespace's registration held back until nothing else
 * registers any more; returns what registered meanwhile, and everything declared.
 */
async function registeredBeforeTheNamespace(config: Record<string, string>, declare: () => void) {
  const runtime = installMocks({ stack: "test", config });
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: RegisterResource };
  const register = monitor.registerResource.bind(monitor);
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  let lastRegistration = Date.now();
  const meanwhile: string[] = [];
  monitor.registerResource = (request, callback) => {
    lastRegistration = Date.now();
    if (request.getType() === NAMESPACE_TYPE) {
      held = true;
      return released.then(() => register(request, callback));
    }
    if (held) meanwhile.push(`${request.getType()}::${request.getName()}`);
    return register(request, callback);
  };
  // As renderStack runs the program: the SDK's stack trace of every promise, which jest's source
  // maps would make most of the file's CPU, is not captured.
  return withoutStackTraces(async () => {
    declare();
    // The Namespace held, then quiet for half a second under mocks: whatever could register has.
    // (It comes after the AdoptionGuard, a dynamic resource whose provider code is serialized first.)
    const deadline = Date.now() + 30_000;
    while ((!held || Date.now() - lastRegistration < 500) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const wasHeld = held;
    held = false;
    release();
    const resources = await runtime.settle();
    return { wasHeld, meanwhile, resources };
  });
}

describe.each(committedStacks())("stack %s", (stack) => {
  let result: Awaited<ReturnType<typeof registeredBeforeTheNamespace>>;
  beforeAll(async () => {
    result = await registeredBeforeTheNamespace(flattenConfig(readStackConfig(stack)), () => deployJupyterHub(loadSettings(), RENDER_ENVIRONMENT));
  });

  it("creates no namespaced object before its Namespace", () => {
    expect(result.wasHeld).toBe(true);
    const namespaced = result.resources.filter((r) => namespaceOf(r) !== undefined).map((r) => `${r.type}::${r.name}`);
    expect(namespaced.length).toBeGreaterThan(0);
    expect(result.meanwhile.filter((r) => namespaced.includes(r))).toEqual([]);
  });

  it("puts every namespaced object in the stack's one namespace", () => {
    const namespace = result.resources.find((r) => r.type === NAMESPACE_TYPE)!;
    const name = (namespace.inputs.metadata as { name: string }).name;
    for (const resource of result.resources.filter((r) => namespaceOf(r) !== undefined)) {
      expect([resource.type, resource.name, namespaceOf(resource)]).toEqual([resource.type, resource.name, name]);
    }
  });
});

describe("what makes an object wait for its Namespace (the SDK, observed)", () => {
  const declare = (link: "none" | "dependsOn" | "input" | "parent") => () => {
    const namespace = new k8s.core.v1.Namespace("ns", { metadata: { name: "hub" } });
    const metadata = { name: "cm", namespace: link === "input" ? namespace.metadata.name : "hub" };
    if (link === "parent") {
      const component = new pulumi.ComponentResource("test:index:Group", "group", {}, { dependsOn: [namespace] });
      new k8s.core.v1.ConfigMap("cm", { metadata }, { parent: component });
    } else {
      new k8s.core.v1.ConfigMap("cm", { metadata }, link === "dependsOn" ? { dependsOn: [namespace] } : {});
    }
  };

  it("an object with no link registers while the Namespace is still being created (the check can fail)", async () => {
    const { meanwhile } = await registeredBeforeTheNamespace({}, declare("none"));
    expect(meanwhile).toEqual(["kubernetes:core/v1:ConfigMap::cm"]);
  });

  it.each(["dependsOn", "input", "parent"] as const)("%s makes it wait", async (link) => {
    const { meanwhile, resources } = await registeredBeforeTheNamespace({}, declare(link));
    expect(meanwhile.filter((r) => r.includes("ConfigMap"))).toEqual([]);
    expect(resources.map((r) => r.type)).toContain("kubernetes:core/v1:ConfigMap");
  });
});
