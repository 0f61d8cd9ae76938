// The one schema for the `jupyterhub:` config namespace. It validates, holds every default and
// documents every key: the README's configuration reference is generated from it
// (`npm run docs`), so a description here is the user-facing documentation.
import { z } from "zod";
import { keycloakSchema } from "./keycloakSchema";
import { imagesSchema, profileImageSchema } from "./imagesSchema";
import { publishedImages } from "./publishedImagesFile";
import { sharedVolumesSchema } from "./sharedVolumesSchema";
import { sshSchema, userSshSchema } from "./sshSchema";
import { vaultSchema } from "./vaultSchema";
import { caBundleSchema } from "./caBundleSchema";
import { formerUsersSchema, userLifecycleFields } from "./lifecycleSchema";
import { profileSchedulingFields } from "./schedulingSchema";
import { chartValuesSchema } from "./chartValuesSchema";
import { byteQuantity, cpuQuantity, dnsLabel, dnsSubdomain, duration, groupName, hostname, nfsServer, username } from "./primitives";
import { parseBytes, parseCpu } from "./quantities";

/** Chart versions whose defaults and schema the rendered values are checked against. */
export const SUPPORTED_CHART_VERSIONS = ["4.2.0", "4.4.0"] as const;
export const DEFAULT_CHART_VERSION = "4.4.0";

const resourceRange = (what: "CPU" | "memory", quantity: z.ZodType<string>, parse: (q: string) => number | undefined) =>
  z
    .strictObject({
      guarantee: quantity
        .optional()
        .describe(`${what === "CPU" ? "CPU" : "Memory"} reserved for the server on its node (Kubernetes request). Omit to reserve none.`),
      limit: quantity.describe(`Most ${what} the server may use (Kubernetes limit).`),
    })
    .superRefine((range, ctx) => {
      if (range.guarantee === undefined) return;
      const guarantee = parse(range.guarantee);
      const limit = parse(range.limit);
      if (guarantee !== undefined && limit !== undefined && guarantee > limit) {
        ctx.addIssue({
          code: "custom",
          path: ["guarantee"],
          message: `${range.guarantee} is more than the limit ${range.limit}`,
        });
      }
    });

/** YAML or JSON text of a kubeconfig, as opposed to a path: paths have no line breaks or keys. */
export function looksLikeKubeconfigContents(text: string): boolean {
  return /[\r\n]/.test(text) || /^\s*[{[]/.test(text) || /(^|\s)(apiVersion|clusters|users|contexts|current-context)\s*:/.test(text);
}

export const clusterSchema = z
  .strictObject({
    context: z
      .string()
      .min(1)
      .optional()
      .describe("kubeconfig context to deploy to. Default: the kubeconfig's current context."),
    kubeconfig: z
      .string()
      .min(1)
      .refine((text) => !looksLikeKubeconfigContents(text), {
        // Contents would be a provider input kept in plain text in the state and an argument of
        // the kubectl the lifecycle providers run (visible in ps): a path is neither a secret nor long.
        error:
          "is a kubeconfig's contents (the value is not repeated here), and it would be kept in plain text in the stack's state and passed on kubectl's command line: write it to a file outside the repository and give that file's path here, or leave this out and set KUBECONFIG",
      })
      .optional()
      .describe("Path to the kubeconfig file (a path, never the file's contents). Default: $KUBECONFIG, else ~/.kube/config."),
  })
  .describe(
    "Which Kubernetes cluster to deploy to. Set it here rather than as kubernetes:context, so that every resource of the stack targets the same cluster.",
  );

export const hubSchema = z
  .strictObject({
    host: hostname.describe(
      "Public hostname of the hub, e.g. hub.home.arpa. Users browse to it; HTTPS certificates and login redirects use it.",
    ),
    port: z
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("Port users browse to, when it is not the scheme's own (e.g. 8080 for `kubectl port-forward svc/proxy-public 8080:80`). Goes into the hub's URL and login redirects."),
    namespace: dnsLabel("a namespace").default("jupyterhub").describe("Kubernetes namespace of the hub and the users' servers."),
    releaseName: dnsLabel("a release name")
      .max(40, { error: "a release name must be at most 40 characters (the chart appends suffixes)" })
      .default("jupyterhub")
      .describe("Helm release name."),
    chartVersion: z
      .enum(SUPPORTED_CHART_VERSIONS, {
        error: `must be a Zero to JupyterHub chart version this program is verified against: ${SUPPORTED_CHART_VERSIONS.join(", ")}`,
      })
      .default(DEFAULT_CHART_VERSION)
      .describe("Zero to JupyterHub chart version."),
    service: z
      .strictObject({
        type: z
          .enum(["LoadBalancer", "NodePort", "ClusterIP"])
          .default("LoadBalancer")
          .describe("Service type of the hub's public proxy. ClusterIP suits a local cluster reached with kubectl port-forward."),
        loadBalancerIP: z
          .ipv4()
          .optional()
          .describe("Fixed address for the LoadBalancer (e.g. one from a MetalLB pool)."),
      })
      .prefault({})
      .describe("How the hub is exposed."),
  })
  .describe("The hub itself.");

export const authSchema = z
  .discriminatedUnion("type", [
    z
      .strictObject({
        type: z.literal("local"),
        authenticator: z
          .enum(["firstuse", "dummy"])
          .default("firstuse")
          .describe(
            "firstuse: each configured user sets a password at first login (kept in the hub's database). dummy: any password is accepted; only for a hub reached through kubectl port-forward (hub.service.type ClusterIP).",
          ),
      })
      .describe("Login handled by the hub alone, with no external service. Only configured users may log in."),
  ])
  .prefault({ type: "local" })
  .describe("Local login, used when there is no jupyterhub:keycloak block.");

export const userSchema = z.strictObject({
  name: username.describe("Username at login (lower case)."),
  email: z
    .email()
    .optional()
    .describe("Email address, given to the Keycloak user the stack creates. It links nothing: keycloak.users.<name>.identities does."),
  admin: z.boolean().default(false).describe("Hub administrator."),
  groups: z.array(groupName).default([]).describe("Groups the user belongs to; profiles can be limited to groups."),
  ssh: userSshSchema,
  ...userLifecycleFields,
});

export const usersSchema = z
  .array(userSchema)
  .min(1, { error: "list at least one user: only configured users may log in" })
  .describe("Who may log in.");

export const groupsSchema = z
  .array(groupName)
  .default([])
  .describe("Groups declared up front, in addition to those users name (a profile may name a group nobody is in yet).");

export const profileSchema = z.strictObject({
  slug: dnsLabel("a profile slug").describe("Stable identifier of the profile (used in URLs and by the spawner)."),
  displayName: z.string().min(1).describe("Name shown on the spawn page."),
  description: z.string().default("").describe("Text shown under the name."),
  image: profileImageSchema.describe(
    `A pinned image reference (registry/repository:tag, optionally @sha256:<digest>); { build: <folder> } for an image built from images/<folder> (needs jupyterhub:images); or { published: <name> } for the image this project's CI publishes from images/<name> (${Object.keys(publishedImages()).join(", ")}): public on GHCR, pinned by digest in images/published.json, no build and no registry credentials.`,
  ),
  cpu: resourceRange("CPU", cpuQuantity, parseCpu).describe("CPU for the server."),
  memory: resourceRange("memory", byteQuantity, parseBytes).describe("Memory for the server."),
  gpus: z.int().min(0).max(16).default(0).describe("Number of NVIDIA GPUs (nvidia.com/gpu) for the server."),
  ...profileSchedulingFields,
  default: z.boolean().default(false).describe("Preselected profile; exactly one enabled profile must be the default."),
  sudo: z
    .boolean()
    .default(false)
    .describe("Users get sudo in their server (starts as root with GRANT_SUDO and allows privilege escalation)."),
  allowedGroups: z
    .array(groupName)
    .default([])
    .describe("Groups whose members may use this profile; empty means every user."),
  enabled: z.boolean().default(true).describe("Offer the profile. A disabled profile stays in config but is not offered."),
  sshd: z
    .boolean()
    .optional()
    .describe(
      "Servers run sshd on port 2222 and SSH reaches them. The deployment mounts sshd's start hooks and config (those of images/base) into every server; the image must have sshd (openssh-server) and Jupyter Docker Stacks' start.sh, which runs the hooks. Default: true for an image built from images/ or published by this project ({ build } or { published }), false for any other (refused for Docker Stacks and JupyterHub images, which have no sshd); false turns sshd off even where the image has it.",
    ),
});

export const profilesSchema = z
  .array(profileSchema)
  .min(1, { error: "list at least one profile" })
  .describe("What users can start: image and resources. Shown on the spawn page in this order.");

export const cullingSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Stop idle servers."),
    idleTimeout: duration.prefault("1h").describe("A server idle this long is stopped."),
    checkInterval: duration.prefault("10m").describe("How often to look for idle servers."),
    maxAge: duration
      .prefault(0)
      .describe("Stop any server this old, idle or not; 0 turns it off."),
    users: z.boolean().default(false).describe("Also delete users who have been idle (never wanted with a configured user list)."),
  })
  .prefault({})
  .describe("Stopping idle servers.");

const deleteHomesOnDestroy = z
  .boolean()
  .default(false)
  .describe(
    "Let `pulumi destroy` delete users' homes. Off: destroy keeps the namespace and the home claims in it, and a later `pulumi up` adopts them.",
  );

export const storageSchema = z
  .discriminatedUnion("type", [
    z
      .strictObject({
        type: z.literal("dynamic"),
        capacity: byteQuantity.default("10Gi").describe("Size of each user's home volume."),
        storageClass: dnsSubdomain("a StorageClass name")
          .optional()
          .describe("StorageClass of the home volumes. Default: the cluster's default StorageClass."),
        deleteHomesOnDestroy,
      })
      .describe("One PersistentVolumeClaim per user, provisioned by the cluster."),
    z
      .strictObject({
        type: z.literal("nfs"),
        server: nfsServer.describe("NFS server, by an address or a name the nodes resolve (the kubelet mounts it, not a pod)."),
        path: z.string().regex(/^\/\S*$/, { error: "must be the absolute exported path, e.g. /export/jupyter/homes" }).describe("Exported directory that holds the homes."),
        mountOptions: z.array(z.string().min(1)).default(["nfsvers=4.1", "hard"]).describe("NFS mount options."),
        capacity: byteQuantity.default("500Gi").describe("Size the PersistentVolume announces (NFS does not enforce it)."),
        deleteHomesOnDestroy,
      })
      .describe(
        "Homes on an NFS export: one PersistentVolume (ReadWriteMany, reclaim Retain) and claim, each user's home in the sub-directory named after them (KubeSpawner's slug of the name: the homes output says which), handed to the notebook user at first start.",
      ),
  ])
  .prefault({ type: "dynamic" })
  .describe("Where users' home directories live.");

export const namedServersSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe("Let users run several named servers besides their default one."),
    limitPerUser: z.int().min(0).default(0).describe("Most named servers per user; 0 means no limit."),
  })
  .prefault({})
  .describe("Named servers.");

export const httpsSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("none") }).describe("Plain HTTP (local clusters, or TLS terminated in front of the hub)."),
    z
      .strictObject({
        type: z.literal("letsencrypt"),
        contactEmail: z.email().describe("Email Let's Encrypt writes to about the certificate."),
      })
      .describe("Certificate from Let's Encrypt for hub.host; the host must be publicly resolvable."),
    z
      .strictObject({
        type: z.literal("secret"),
        secretName: dnsLabel("a secret name").describe("kubernetes.io/tls Secret in the hub's namespace."),
      })
      .describe(
        "Certificate from a kubernetes.io/tls Secret made elsewhere. It must exist in the hub's namespace before `pulumi up`: the proxy cannot start without it. When cert-manager makes it, prefer type certManager.",
      ),
    z
      .strictObject({
        type: z.literal("certManager"),
        issuer: z
          .strictObject({
            name: dnsSubdomain("an issuer name").describe("Name of the cert-manager Issuer or ClusterIssuer."),
            kind: z.enum(["ClusterIssuer", "Issuer"]).default("ClusterIssuer").describe("ClusterIssuer, or an Issuer in the hub's namespace."),
          })
          .describe("The cert-manager issuer that signs the hub's certificate."),
        secretName: dnsLabel("a secret name").optional().describe("Secret cert-manager writes the certificate to. Default: <releaseName>-tls."),
      })
      .describe(
        "A cert-manager Certificate for hub.host, declared by this stack in the hub's namespace; the hub is installed once cert-manager reports it Ready (needs cert-manager's CRDs).",
      ),
  ])
  .prefault({ type: "none" })
  .describe("HTTPS on the hub's proxy.");

export const prePullerSchema = z
  .strictObject({
    hook: z.boolean().default(true).describe("Pull profile images on every node before an upgrade finishes."),
    continuous: z.boolean().default(true).describe("Pull profile images on nodes that join later."),
  })
  .prefault({})
  .describe("Pulling images onto nodes ahead of users' first start.");

/** Every key of the `jupyterhub:` namespace. The order here is the order of the docs. */
export const settingsShape = {
  hub: hubSchema,
  cluster: clusterSchema.prefault({}),
  auth: authSchema,
  keycloak: keycloakSchema,
  vault: vaultSchema,
  images: imagesSchema,
  ssh: sshSchema,
  sharedVolumes: sharedVolumesSchema,
  users: usersSchema,
  formerUsers: formerUsersSchema,
  groups: groupsSchema,
  profiles: profilesSchema,
  culling: cullingSchema,
  storage: storageSchema,
  namedServers: namedServersSchema,
  https: httpsSchema,
  caBundle: caBundleSchema,
  prePuller: prePullerSchema,
  chartValues: chartValuesSchema,
} as const;

export const settingsSchema = z.strictObject(settingsShape);

export type Settings = Readonly<z.output<typeof settingsSchema>>;
export type SettingsInput = z.input<typeof settingsSchema>;
export type Profile = z.output<typeof profileSchema>;
export type User = z.output<typeof userSchema>;
