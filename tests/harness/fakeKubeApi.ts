// A small Kubernetes API server on loopback, for the real kubectl: namespaces and pods only,
// answering as kube-apiserver does for what kubectl asks of them.
// - Discovery: legacy /api, /api/v1 and /apis (k8s.io/client-go discovery/discovery_client.go
//   falls back to them when the answer is not the aggregated apidiscovery.k8s.io/v2 type).
// - Errors are metav1.Status objects: `<resource> "<name>" not found` with reason NotFound and
//   code 404 (k8s.io/apimachinery pkg/api/errors/errors.go, NewNotFound); an unknown path gets the
//   same 404 with "the server could not find the requested resource" (NewGenericServerResponse).
// - Listing pods in a namespace that does not exist is an empty list, not an error (the registry
//   lists by key prefix, k8s.io/apiserver pkg/registry/generic/registry/store.go), and a list
//   filters by equality label selectors (`a=b,c=d`).
// - kubectl's `get` of one or more objects with -o json, and DELETE of a pod, which answers with
//   the pod and removes it after its grace period (terminationGracePeriodSeconds, here `graceMs`),
//   or when the test says its containers have exited (`endTerminating`).
// Each request is recorded, so tests can say what the code under test asked the cluster.
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";

export interface FakePod {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly phase?: string;
  /** Container names and whether each is ready. */
  readonly containers?: Record<string, boolean>;
}

export interface FakeKubeApi {
  readonly url: string;
  /** A kubeconfig file that points kubectl at this server, and the flags that use it. */
  readonly kubeconfig: string;
  readonly kubectlFlags: string[];
  readonly namespaces: Set<string>;
  readonly pods: Map<string, FakePod[]>;
  readonly requests: string[];
  /** How long a deleted pod stays (terminating) before it is gone; Infinity: until endTerminating(). */
  graceMs: number;
  /** Every terminating pod is gone now: its containers exited before the grace period ended. */
  endTerminating(): void;
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string, details?: Record<string, string>) => ({
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message,
  reason,
  ...(details ? { details } : {}),
  code,
});

const RESOURCES = {
  kind: "APIResourceList",
  groupVersion: "v1",
  resources: [
    { name: "namespaces", singularName: "namespace", namespaced: false, kind: "Namespace", verbs: ["create", "delete", "get", "list", "patch", "update", "watch"], shortNames: ["ns"] },
    { name: "pods", singularName: "pod", namespaced: true, kind: "Pod", verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], shortNames: ["po"], categories: ["all"] },
  ],
};

function podObject(namespace: string, pod: FakePod, deleting: boolean) {
  return {
    kind: "Pod",
    apiVersion: "v1",
    metadata: { name: pod.name, namespace, labels: pod.labels, uid: `uid-${namespace}-${pod.name}`, ...(deleting ? { deletionTimestamp: new Date().toISOString() } : {}) },
    spec: { containers: Object.keys(pod.containers ?? { notebook: true }).map((name) => ({ name, image: "x" })) },
    status: {
      phase: pod.phase ?? "Running",
      containerStatuses: Object.entries(pod.containers ?? { notebook: true }).map(([name, ready]) => ({ name, ready, restartCount: 0, image: "x", imageID: "", state: ready ? { running: {} } : { waiting: { reason: "CrashLoopBackOff" } } })),
    },
  };
}

function matches(labels: Record<string, string>, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const [key, value] = term.split("=");
    return labels[key] === value;
  });
}

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const namespaces = new Set<string>();
  const pods = new Map<string, FakePod[]>();
  const deleting = new Map<string, () => void>();
  const requests: string[] = [];
  const api = {
    graceMs: 0,
    endTerminating: () => {
      for (const gone of [...deleting.values()]) gone();
    },
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://fake");
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    req.resume();
    const p = url.pathname.replace(/\/+$/, "");
    if (req.method === "GET" && p === "/api") return send(200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: url.host }] });
    if (req.method === "GET" && p === "/apis") return send(200, { kind: "APIGroupList", apiVersion: "v1", groups: [] });
    if (req.method === "GET" && p === "/api/v1") return send(200, RESOURCES);
    const namespaced = p.match(/^\/api\/v1\/namespaces\/([^/]+)(?:\/pods(?:\/([^/]+))?)?$/);
    if (!namespaced) return send(404, status(404, "NotFound", "the server could not find the requested resource"));
    const [, namespace, podName] = namespaced;
    const isPods = p.includes("/pods");
    if (!isPods) {
      if (req.method !== "GET") return send(405, status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
      return namespaces.has(namespace)
        ? send(200, { kind: "Namespace", apiVersion: "v1", metadata: { name: namespace }, status: { phase: "Active" } })
        : send(404, status(404, "NotFound", `namespaces "${namespace}" not found`, { name: namespace, kind: "namespaces" }));
    }
    const inNamespace = pods.get(namespace) ?? [];
    if (!podName && req.method === "GET") {
      const items = inNamespace.filter((pod) => matches(pod.labels, url.searchParams.get("labelSelector"))).map((pod) => podObject(namespace, pod, deleting.has(`${namespace}/${pod.name}`)));
      return send(200, { kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "1" }, items });
    }
    const pod = inNamespace.find((candidate) => candidate.name === podName);
    if (!pod) return send(404, status(404, "NotFound", `pods "${podName}" not found`, { name: podName!, kind: "pods" }));
    if (req.method === "GET") return send(200, podObject(namespace, pod, deleting.has(`${namespace}/${pod.name}`)));
    if (req.method === "DELETE") {
      const key = `${namespace}/${pod.name}`;
      const gone = () => {
        pods.set(namespace, (pods.get(namespace) ?? []).filter((candidate) => candidate !== pod));
        deleting.delete(key);
      };
      deleting.set(key, gone);
      if (Number.isFinite(api.graceMs)) setTimeout(gone, api.graceMs).unref();
      return send(200, podObject(namespace, pod, true));
    }
    return send(405, status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-kube-"));
  const kubeconfig = path.join(dir, "config");
  fs.writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server: url } }],
      users: [{ name: "fake", user: {} }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "fake" } }],
      "current-context": "fake",
    }),
  );
  return Object.assign(api, {
    url,
    kubeconfig,
    // A cache of its own: kubectl keeps discovery under ~/.kube/cache otherwise.
    kubectlFlags: ["--kubeconfig", kubeconfig, "--context", "fake", "--cache-dir", path.join(dir, "cache")],
    namespaces,
    pods,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  });
}
