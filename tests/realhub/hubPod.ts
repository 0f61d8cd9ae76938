// What the kubelet gives the chart's hub container, worked out from the real chart's rendered
// manifests and the Kubernetes objects the stack declares beside the release: every volume mount
// as files at its path in the container, and the container's environment. The real-hub tier lays
// these out in a private mount namespace (tests/realhub/hub_pod.py) before starting JupyterHub
// there, so the chart's jupyterhub_config.py and the project's hub Python read exactly what they
// would read in the pod.
//
// Follows the kubelet (kubernetes/pkg/volume/{configmap,secret,projected,emptydir} and
// pkg/kubelet/kubelet_pods.go makeEnvironmentVariables):
// - a configMap / secret volume holds every key as a file, or with `items` just those keys at
//   their `path`s; a missing object fails the pod unless `optional: true`;
// - a mount with `subPath` puts that one file of the volume at the mount path;
// - env takes `value`, `valueFrom.fieldRef` (metadata.namespace, metadata.name) and
//   `valueFrom.secretKeyRef` / `configMapKeyRef`; then, for every Service in the namespace,
//   <NAME>_SERVICE_HOST and <NAME>_SERVICE_PORT (and _PORT_<PORTNAME>), the docker-links
//   variables (pkg/kubelet/envvars/envvars.go), which the chart's config reads;
// - the ServiceAccount token, CA and namespace are projected at
//   /var/run/secrets/kubernetes.io/serviceaccount unless automountServiceAccountToken is false.
//   Their content is the fake API server's, so the caller supplies it.
import type { Manifest } from "../harness/helmTemplate";
import type { RecordedResource } from "../harness/recordedResource";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface PodFile {
  readonly content: string;
  readonly mode?: number;
}

export interface HubPod {
  /** Files by their path in the container. */
  readonly files: Record<string, PodFile>;
  /** Directories the pod's volumes are mounted on whole: emptyDirs, the database PVC, and ConfigMap and Secret volumes (their files are in `files`). */
  readonly emptyDirs: string[];
  readonly env: Record<string, string>;
  readonly args: string[];
  readonly workingDir: string;
  /** Service name -> the address and ports its ClusterIP answers on (the caller picks addresses). */
  readonly services: Record<string, { address: string; ports: Record<string, number> }>;
}

type KeyedObject = { data: Record<string, string>; kind: "ConfigMap" | "Secret" };

/** Extra objects the stack's controllers make (an ExternalSecret's Secret) or that a test replaces. */
export type ObjectOverrides = Record<string, Record<string, string>>;

export interface HubPodOptions {
  readonly manifests: readonly Manifest[];
  readonly resources: readonly RecordedResource[];
  readonly namespace: string;
  /** "ConfigMap/<name>" or "Secret/<name>" -> key -> content, taking precedence over what was rendered. */
  readonly overrides?: ObjectOverrides;
  /** Service name -> the address its ClusterIP stands for. */
  readonly serviceAddress: (name: string) => string;
  /** The hub image's WORKDIR (jupyterhub/k8s-hub's Dockerfile: /srv/jupyterhub). */
  readonly workingDir?: string;
}

const decode = (value: string) => Buffer.from(value, "base64").toString("utf8");

function keyedObjects(options: HubPodOptions): Map<string, KeyedObject> {
  const objects = new Map<string, KeyedObject>();
  const add = (kind: "ConfigMap" | "Secret", name: string, data: Record<string, string>) => objects.set(`${kind}/${name}`, { kind, data });
  for (const m of options.manifests) {
    if (m.kind === "ConfigMap") add("ConfigMap", m.metadata.name, { ...(m.data ?? {}) });
    if (m.kind === "Secret") {
      const data = Object.fromEntries(Object.entries((m.data ?? {}) as Record<string, string>).map(([k, v]) => [k, decode(v)]));
      add("Secret", m.metadata.name, { ...data, ...(m.stringData ?? {}) });
    }
  }
  for (const r of options.resources) {
    const inputs = r.inputs as { metadata?: { name?: string; namespace?: string }; data?: Record<string, string>; stringData?: Record<string, string> };
    const name = inputs.metadata?.name;
    if (!name || (inputs.metadata?.namespace ?? options.namespace) !== options.namespace) continue;
    if (r.type === "kubernetes:core/v1:ConfigMap") add("ConfigMap", name, { ...(inputs.data ?? {}) });
    if (r.type === "kubernetes:core/v1:Secret") {
      const data = Object.fromEntries(Object.entries(inputs.data ?? {}).map(([k, v]) => [k, decode(v)]));
      add("Secret", name, { ...data, ...(inputs.stringData ?? {}) });
    }
  }
  for (const [ref, data] of Object.entries(options.overrides ?? {})) {
    const [kind, name] = ref.split("/") as ["ConfigMap" | "Secret", string];
    add(kind, name, { ...(objects.get(ref)?.data ?? {}), ...data });
  }
  return objects;
}

function lookup(objects: Map<string, KeyedObject>, kind: "ConfigMap" | "Secret", name: string, key: string, where: string): string {
  const object = objects.get(`${kind}/${name}`);
  if (!object) throw new Error(`${where}: no ${kind} ${name} in the chart's manifests or the stack's resources (the kubelet would not start the pod)`);
  const value = object.data[key];
  if (value === undefined) throw new Error(`${where}: ${kind} ${name} has no key ${key}; it has ${Object.keys(object.data).join(", ")}`);
  return value;
}

const envName = (service: string) => service.toUpperCase().replace(/-/g, "_");

/** The hub container of the chart's hub Deployment, as the kubelet would run it. */
export function hubPod(options: HubPodOptions): HubPod {
  const deployment = options.manifests.find((m) => m.kind === "Deployment" && m.metadata.name === "hub");
  if (!deployment) throw new Error("the rendered chart has no hub Deployment");
  const podSpec = deployment.spec.template.spec;
  const container = podSpec.containers.find((c: { name: string }) => c.name === "hub");
  const objects = keyedObjects(options);
  const files: Record<string, PodFile> = {};
  const emptyDirs: string[] = [];

  const volumes = new Map<string, any>(podSpec.volumes.map((v: { name: string }) => [v.name, v]));
  for (const mount of container.volumeMounts as { name: string; mountPath: string; subPath?: string }[]) {
    const volume = volumes.get(mount.name);
    if (!volume) throw new Error(`hub mount ${mount.mountPath} names volume ${mount.name}, which the pod does not have`);
    const source = volume.configMap ? { kind: "ConfigMap" as const, name: volume.configMap.name, ...volume.configMap } : volume.secret ? { kind: "Secret" as const, name: volume.secret.secretName, ...volume.secret } : undefined;
    if (!source) {
      if (volume.emptyDir || volume.persistentVolumeClaim) emptyDirs.push(mount.mountPath.replace(/\/$/, ""));
      else throw new Error(`hub volume ${mount.name}: a kind the real-hub tier does not lay out yet (${Object.keys(volume).join(", ")})`);
      continue;
    }
    const object = objects.get(`${source.kind}/${source.name}`);
    if (!object && source.optional) continue;
    const items: { key: string; path: string; mode?: number }[] = source.items ?? Object.keys(object?.data ?? {}).map((key) => ({ key, path: key }));
    const where = `hub volume ${mount.name}`;
    if (mount.subPath) {
      const item = items.find((i) => i.path === mount.subPath);
      if (!item) throw new Error(`${where}: subPath ${mount.subPath} is not in the volume`);
      files[mount.mountPath] = { content: lookup(objects, source.kind, source.name, item.key, where), mode: item.mode ?? source.defaultMode };
      continue;
    }
    const dir = mount.mountPath.replace(/\/$/, "");
    emptyDirs.push(dir);
    for (const item of items) files[`${dir}/${item.path}`] = { content: lookup(objects, source.kind, source.name, item.key, where), mode: item.mode ?? source.defaultMode };
  }

  const podName = "hub-0";
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (variable.value !== undefined) env[variable.name] = String(variable.value);
    else if (from?.fieldRef) {
      const field = from.fieldRef.fieldPath;
      const fields: Record<string, string> = { "metadata.namespace": options.namespace, "metadata.name": podName };
      if (!(field in fields)) throw new Error(`hub env ${variable.name}: fieldRef ${field} not laid out yet`);
      env[variable.name] = fields[field];
    } else if (from?.secretKeyRef) env[variable.name] = lookup(objects, "Secret", from.secretKeyRef.name, from.secretKeyRef.key, `hub env ${variable.name}`);
    else if (from?.configMapKeyRef) env[variable.name] = lookup(objects, "ConfigMap", from.configMapKeyRef.name, from.configMapKeyRef.key, `hub env ${variable.name}`);
    else throw new Error(`hub env ${variable.name}: a source the real-hub tier does not know`);
  }

  const services: HubPod["services"] = {};
  for (const service of options.manifests.filter((m) => m.kind === "Service")) {
    const name = service.metadata.name;
    const address = options.serviceAddress(name);
    const ports: Record<string, number> = {};
    for (const port of service.spec.ports ?? []) ports[port.name ?? String(port.port)] = port.port;
    services[name] = { address, ports };
    const prefix = envName(name);
    const first = service.spec.ports?.[0];
    env[`${prefix}_SERVICE_HOST`] = address;
    if (first) env[`${prefix}_SERVICE_PORT`] = String(first.port);
    for (const port of service.spec.ports ?? []) if (port.name) env[`${prefix}_SERVICE_PORT_${envName(port.name)}`] = String(port.port);
  }

  return {
    files,
    emptyDirs,
    env,
    args: [...(container.command ?? []), ...(container.args ?? [])],
    workingDir: container.workingDir ?? options.workingDir ?? "/srv/jupyterhub",
    services,
  };
}
