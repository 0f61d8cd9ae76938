// SSH into your own server: per-user public keys (literal or from 1Password SSH key items), and
// the `jupyterhub:ssh` block for how the per-user endpoints are exposed.
import { z } from "zod";
import { cidr } from "./networkSchema";

const PUBLIC_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\n]*)?$/;

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
    publicKeys: z.array(publicKey).default([]).describe("Public keys allowed to log in to this user's server."),
    onePasswordKeys: z
      .array(z.strictObject({ vault: z.string().min(1), item: z.string().min(1) }))
      .default([])
      .describe("1Password SSH Key items (vault UUID and title) whose public keys may log in, read at deploy time."),
    loadBalancerIP: z.ipv4().optional().describe("Fixed address of this user's SSH endpoint (e.g. from a MetalLB pool)."),
  })
  .optional()
  .describe("SSH into this user's default server. A user with at least one key gets an endpoint.");

export const sshSchema = z
  .strictObject({
    domain: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/, { error: "must be a DNS domain such as ssh.home.arpa" })
      .optional()
      .describe("Domain of the endpoints' names, <user>.<domain>, published through an external-dns annotation."),
    sourceRanges: z
      .array(cidr)
      .default([])
      .describe(
        "Client address ranges the endpoints accept (your LAN, your VPN). Required when any user has keys: the servers' NetworkPolicy admits sshd only from these ranges.",
      ),
    annotations: z
      .record(z.string(), z.string())
      .default({})
      .describe("Annotations on every SSH Service, e.g. a MetalLB address pool."),
  })
  .prefault({})
  .describe("How users' SSH endpoints (one LoadBalancer Service on port 22 per user with keys) are exposed.");

export type SshSettings = z.output<typeof sshSchema>;
export type UserSshSettings = NonNullable<z.output<typeof userSshSchema>>;
