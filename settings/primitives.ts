// Value types shared by the settings schemas: each validates one kind of value and says what is
// wrong in words a user can act on. `x-type` names the kind in the generated reference.
import { z } from "zod";
import { parseBytes, parseCpu, parseDuration } from "./quantities";
import { parseImageReference, unpinnedReason } from "./imageReference";

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const dnsLabel = (what: string) =>
  z
    .string()
    .max(63, { error: `${what} must be at most 63 characters` })
    .regex(DNS_LABEL, {
      error: `${what} must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit`,
    });

// Kubernetes object names (most kinds) are DNS subdomains: lower case only, so "Longhorn" names
// nothing that exists (apimachinery validation IsDNS1123Subdomain).
export const dnsSubdomain = (what: string) =>
  z
    .string()
    .max(253, { error: `${what} must be at most 253 characters` })
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
      error: `${what} must be a Kubernetes object name: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
    });

// The kubelet mounts an NFS volume on the node, with the node's resolver, which knows nothing of
// the cluster's DNS: a Service name (*.svc, *.cluster.local) does not resolve there (outside GKE)
// and the pod stays ContainerCreating ("mount.nfs: Failed to resolve server"; kubernetes/kubernetes
// issues 8735 and 44528, kubernetes/examples issue 390).
const CLUSTER_DNS = /(^|\.)(svc|cluster\.local)\.?$/i;

export const nfsServer = z
  .string()
  .regex(/^[A-Za-z0-9.-]+$/, { error: "must be the NFS server's hostname or IP address" })
  .refine((server) => !CLUSTER_DNS.test(server) && !/\.svc\./i.test(server), {
    error:
      "is a cluster DNS name, which only pods resolve, and NFS volumes are mounted by the node: give the server's IP address (for an NFS server running in the cluster, its Service's clusterIP) or a name your nodes resolve",
  });

export const hostname = z
  .string()
  .meta({ "x-type": "hostname" })
  .max(253, { error: "a hostname must be at most 253 characters" })
  .refine((host) => host.split(".").every((label) => label.length <= 63 && DNS_LABEL.test(label)), {
    error: "must be a lower-case DNS hostname such as hub.home.arpa (no scheme, port or path)",
  });

// JupyterHub lower-cases usernames at login, so an upper-case name here could never match one.
export const username = z
  .string()
  .meta({ "x-type": "username" })
  .max(128, { error: "a username must be at most 128 characters" })
  .regex(/^[a-z0-9][a-z0-9._@+-]*$/, {
    error:
      "must be a lower-case username: letters, digits and . _ @ + -, starting with a letter or digit (JupyterHub lower-cases names at login)",
  });

export const groupName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  error: "must be a group name: letters, digits and . _ -, starting with a letter or digit",
});

// Kubernetes takes a quantity as a string or a number (`cpu: 1`, `memory: 1073741824`), and so
// does this: a number is read as its decimal text.
const quantityText = z.union([z.string(), z.number()]).transform((q) => String(q));

export const cpuQuantity = quantityText
  .pipe(
    z.string().refine((q) => parseCpu(q) !== undefined && parseCpu(q)! > 0, {
      error: "must be a positive Kubernetes CPU quantity such as 500m, 1 or 2.5",
    }),
  )
  .meta({ "x-type": "CPU quantity" });

export const byteQuantity = quantityText
  .pipe(
    z.string().refine((q) => (parseBytes(q) ?? 0) > 0, {
      error: "must be a positive Kubernetes byte quantity such as 512Mi, 4Gi or 10G",
    }),
  )
  .meta({ "x-type": "byte quantity" });

// Parsed to whole seconds, which is what the chart and the idle culler take.
export const duration = z
  .union([z.number(), z.string()])
  .refine((v) => parseDuration(v) !== undefined, {
    error: "must be a duration: whole seconds (3600) or a string such as 90s, 15m, 8h, 1d, 1h30m",
  })
  .transform((v) => parseDuration(v)!)
  .meta({ "x-type": "duration" });

export const imageReference = z.string().meta({ "x-type": "image reference" }).superRefine((text, ctx) => {
  const reference = parseImageReference(text);
  if (!reference) {
    ctx.addIssue({ code: "custom", message: `'${text}' is not an image reference (registry/repository:tag)` });
    return;
  }
  const reason = unpinnedReason(reference);
  if (reason) ctx.addIssue({ code: "custom", message: `'${text}' ${reason}` });
});

