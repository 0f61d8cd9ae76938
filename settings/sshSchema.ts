// SSH into your own servers through one gateway: per-user public keys (literal or from 1Password
// SSH key items), and the `jupyterhub:ssh` block for the gateway everyone connects to.
import { z } from "zod";
import { cidr } from "./networkSchema";
import { hostname } from "./primitives";

const PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;

/** sshpiperd, the SSH reverse proxy the gateway runs (github.com/tg123/sshpiper, kubernetes plugin). */
export const SSHPIPERD_IMAGE = "ghcr.io/tg123/sshpiperd:v1.6.1";

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
      .array(z.strictObject({ vault: z.string().min(1), item: z.string().min(1) }))
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
    annotations: z
      .record(z.string(), z.string())
      .default({})
      .describe("Annotations on the gateway's Service, e.g. a MetalLB address pool."),
    image: z
      .string()
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
