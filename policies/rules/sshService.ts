import { isObject, type JsonObject } from "./chartValues";

/**
 * Contract with the SSH issue: every Service that exposes a user's sshd carries the label
 * `app.kubernetes.io/component: ssh`, and only those do. The SSH rules find the Services by this
 * label (they cannot tell an SSH Service by its name or selector), so the SSH component must set
 * it on every Service that carries SSH (the SSH gateway's, or per-user ones), and nothing else
 * may use it.
 */
export const SSH_COMPONENT_LABEL = { key: "app.kubernetes.io/component", value: "ssh" } as const;

export const SSH_PORT = 22;

/**
 * Where an SSH Service may forward port 22: sshd's port in the pods it selects, 2222 (images/base
 * before-notebook.d/20-sshd.sh in a user's server, GATEWAY_PORT of the SSH gateway in
 * components/ssh/gatewayObjects.ts), or the container port named `ssh`, which resolves to it.
 * Never the notebook's own port (8888), which would put the Jupyter server beside the proxy.
 */
export const SSHD_PORT = 2222;
export const SSHD_PORT_NAME = "ssh";

/** True for a Service's inputs labelled as an SSH endpoint. */
export function isSshService(props: JsonObject): boolean {
  const metadata = isObject(props.metadata) ? props.metadata : {};
  const labels = isObject(metadata.labels) ? metadata.labels : {};
  return labels[SSH_COMPONENT_LABEL.key] === SSH_COMPONENT_LABEL.value;
}

export function serviceSpec(props: JsonObject): JsonObject {
  return isObject(props.spec) ? props.spec : {};
}
