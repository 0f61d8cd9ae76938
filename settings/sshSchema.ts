// SSH into your own servers through one gateway: per-user public keys (literal or from 1Password
// SSH key items), and the `jupyterhub:ssh` block for the gateway everyone connects to.
import { z } from "zod";
import { cidr, destinationSchema } from "./networkSchema";
import { hostname } from "./primitives";
import { nameNotSecret } from "./secretShapes";
import { parseImageReference, unpinnedReason } from "./imageReference";

const PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;

/** sshpiperd, the SSH reverse proxy the gateway runs (github.com/tg123/sshpiper, kubernetes plugin). */
export const SSHPIPERD_IMAGE = "ghcr.io/tg123/sshpiperd:v1.6.1";

/**
 * The oldest sshpiperd whose kubernetes plugin reads what the Pipes carry: `from[].authorized_keys_secret`
 * and the `sshpiper.com/authorizedkeys_field_name` annotation came in v1.5.0 (sshpiper commit 706a36b4,
 * plugin/kubernetes/skel.go). An older plugin sees a `from` entry with no authorized_keys_data and
 * makes it a password login with no htpasswd, which accepts any password (v1.4.8 skel.go TestPassword).
 */
export const SSHPIPERD_MIN_VERSION = [1, 5, 0] as const;

/** Why an sshpiperd image cannot serve the Pipes, or undefined when its tag is recent enough (or says no version). */
export function sshpiperdImageProblem(image: string): string | undefined {
  const reference = parseImageReference(image);
  if (!reference) return "is not an image reference (registry/repository:tag)";
  const unpinned = unpinnedReason(reference);
  if (unpinned) return unpinned;
  const version = /^v?(\d+)\.(\d+)\.(\d+)/.exec(reference.tag!);
  if (!version) return undefined;
  const [major, minor, patch] = version.slice(1).map(Number);
  const [wantMajor, wantMinor, wantPatch] = SSHPIPERD_MIN_VERSION;
  const older = major !== wantMajor ? major < wantMajor : minor !== wantMinor ? minor < wantMinor : patch < wantPatch;
  if (!older) return undefined;
  return `is sshpiperd ${version[0]}, older than v${SSHPIPERD_MIN_VERSION.join(".")}, whose kubernetes plugin is the first to read the keys Secret the Pipes name; an older one lets anyone in with any password. Use ${SSHPIPERD_IMAGE} or leave ssh.image out`;
}

export const publicKey = z
  .string()
  .superRefine((key, ctx) => {
    if (key.includes("PRIVATE KEY")) {
      ctx.addIssue({ code: "custom", message: "is a private key; give the public key (the .pub file), and keep the private one to yourself" });
    } else if (!PUBLIC_KEY.test(key.trim())) {
      ctx.addIssue({ code: "custom", message: "must be an OpenSSH public key line such as 'ssh-ed25519 AAAA… me@laptop'" });
    }
  })
  .meta({ "x-type": "SSH public key" });

export const userSshSchema = z
  .strictObject({
    publicKeys: z.array(publicKey).default([]).describe("Public keys allowed to log in to this user's servers."),
    onePasswordKeys: z
      .array(z.strictObject({ vault: nameNotSecret("a vault UUID"), item: nameNotSecret("an item title") }))
      .default([])
      .describe("1Password SSH Key items (vault UUID and title) whose public keys may log in, read at deploy time."),
  })
  .optional()
  .describe("SSH into this user's servers through the gateway (jupyterhub:ssh). A user with at least one key may connect.");

export const sshSchema = z
  .strictObject({
    host: hostname
      .optional()
      .describe("Name users connect to, e.g. ssh.home.arpa; published for the gateway's address through an external-dns annotation."),
    service: z
      .strictObject({
        type: z
          .enum(["LoadBalancer", "NodePort"])
          .default("LoadBalancer")
          .describe("LoadBalancer (e.g. MetalLB) or NodePort (a local cluster)."),
        loadBalancerIP: z.ipv4().optional().describe("Fixed address of the gateway (e.g. from a MetalLB pool). LoadBalancer only."),
        nodePort: z.int().min(30000).max(32767).optional().describe("Fixed node port. NodePort only."),
      })
      .prefault({})
      .describe("How the gateway is exposed: one address and port 22 for every user and server."),
    sourceRanges: z
      .array(cidr)
      .default([])
      .describe(
        "Client address ranges that may connect (your LAN, your VPN). Required when any user has keys: the load balancer and the gateway's NetworkPolicy admit only these.",
      ),
    apiServer: destinationSchema
      .optional()
      .describe(
        "Where the Kubernetes API server is, the one place the gateway connects to besides the servers (it watches Pipes there): its own addresses, as `kubectl get endpoints kubernetes -n default` lists them, e.g. { cidrs: [192.168.50.10/32] }; port: that list's port, default 6443. NetworkPolicy sees this address, not the kubernetes Service's. Unset: the gateway may reach every private address on 443 and 6443.",
      ),
    annotations: z
      .record(z.string(), z.string())
      .default({})
      .describe("Annotations on the gateway's Service, e.g. a MetalLB address pool."),
    image: z
      .string()
      .superRefine((image, ctx) => {
        const problem = sshpiperdImageProblem(image);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .default(SSHPIPERD_IMAGE)
      .describe("The sshpiperd image (v1.6.1 is the version the gateway's Pipe objects are written for)."),
    installPipeCrd: z
      .boolean()
      .default(true)
      .describe("Declare sshpiper's Pipe CustomResourceDefinition. Off: it is installed already (e.g. by sshpiper's own chart)."),
  })
  .prefault({})
  .describe(
    "The SSH gateway: one sshpiperd for the whole hub. `ssh <user>@<host>` reaches the user's default server, `ssh <user>+<server>@<host>` a named one.",
  );

export type SshSettings = z.output<typeof sshSchema>;
export type UserSshSettings = NonNullable<z.output<typeof userSshSchema>>;
