// The `jupyterhub:vault` block: per-user Vault tokens in every notebook, minted by the hub through
// a token role (no long-lived admin token anywhere), and the hub's own secrets kept in Vault KV.
import { z } from "zod";
import { duration } from "./primitives";
import { destinationSchema } from "./networkSchema";

const vaultPath = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/, {
  error: "must be a Vault path such as jupyter or team/jupyter (no leading or trailing slash)",
});

export const vaultSchema = z
  .strictObject({
    address: z
      .url({ protocol: /^https?$/, error: "must be Vault's URL as notebooks and the hub reach it, e.g. https://vault.home.arpa:8200" })
      .transform((url) => url.replace(/\/+$/, ""))
      .meta({ "x-type": "URL" })
      .describe("Vault's address as the hub and the notebooks reach it (VAULT_ADDR in every server)."),
    networkPolicy: destinationSchema
      .optional()
      .describe(
        "Where Vault is, for the servers' NetworkPolicy, which lets servers reach no private address unless named here: { cidrs: [<Vault's address>/32] } for a Vault outside the cluster, or { namespace, podLabels } for Vault's pods inside it. Required with a vault block.",
      ),
    kvMount: vaultPath.default("secret").describe("Mount of the KV version 2 secrets engine."),
    pathPrefix: vaultPath
      .default("jupyter")
      .describe("Path under the mount: users' secrets at <prefix>/users/<user>/, shared ones at <prefix>/shared/, the hub's at <prefix>/hub."),
    kubernetesAuth: z
      .strictObject({
        mount: vaultPath.default("kubernetes").describe("Path of the Kubernetes auth method the hub logs in with."),
        create: z
          .boolean()
          .default(false)
          .describe("Enable and configure the auth method here. Off: use one that is already enabled and configured."),
        kubernetesHost: z
          .url()
          .default("https://kubernetes.default.svc")
          .describe("API server URL Vault uses to review ServiceAccount tokens (only with create: true)."),
      })
      .prefault({})
      .describe("How the hub logs in to Vault: its ServiceAccount token, through Kubernetes auth."),
    userTokens: z
      .strictObject({
        ttl: duration.prefault("1h").describe("Lifetime of a user's token between renewals."),
        maxTtl: duration.prefault("24h").describe("Hard lifetime of a user's token; the server's culling.maxAge must be shorter."),
      })
      .prefault({})
      .describe("The token each user's server gets as NOTEBOOK_VAULT_TOKEN: orphan, renewable, reaching only that user's secrets."),
    externalSecrets: z
      .strictObject({
        storeName: z.string().min(1).default("vault").describe("Name of the External Secrets store that reads this Vault."),
        storeKind: z.enum(["ClusterSecretStore", "SecretStore"]).default("ClusterSecretStore").describe("Kind of that store."),
        refreshInterval: duration.prefault("1h").describe("How often the operator syncs the hub's secrets from Vault."),
      })
      .prefault({})
      .describe("The External Secrets Operator store (Vault provider, KV v2, path = kvMount) that syncs the hub's secrets."),
    onFailure: z
      .enum(["refuse", "continue"])
      .default("refuse")
      .describe("When the hub cannot get a user's token: refuse the spawn with a message, or start the server without a token and say so."),
    timeout: duration.prefault("10s").describe("How long the hub waits for Vault per request when a server starts."),
  })
  .optional()
  .describe("Per-user Vault tokens and Vault-kept hub secrets. Absent: no Vault; the hub's secrets are written as a Kubernetes Secret.");

export type VaultSettings = NonNullable<z.output<typeof vaultSchema>>;
