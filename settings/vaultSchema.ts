// The `jupyterhub:vault` block: per-user Vault tokens in every notebook, minted by the hub through
// a token role (no long-lived admin token anywhere), and the hub's own secrets kept in Vault KV.
import { z } from "zod";
import { dnsSubdomain, duration } from "./primitives";
import { destinationSchema } from "./networkSchema";
import { onePasswordFieldSchema } from "./secretSourceSchema";

// The API server's CA: public, so it may sit in the repository; or kept in 1Password with the rest.
const caCertSource = z
  .union(
    [
      z.strictObject({ file: z.string().min(1).describe("Path of a PEM file, relative to the project directory.") }),
      z.strictObject({
        onePassword: onePasswordFieldSchema("notes", "Field with the PEM text: notes (a Secure Note's text) or a field's label."),
      }),
    ],
    { error: "must be { file } or { onePassword: { vault, item, field } }" },
  )
  .meta({ "x-type": "CA source" });

const vaultPath = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/, {
  error: "must be a Vault path such as jupyter or team/jupyter (no leading or trailing slash)",
});

// KV version 2 puts data/ (and metadata/) between the mount and a secret's path in its API, and
// every client here adds it: a mount or prefix that already has it addresses <mount>/data/data/...
// (Vault's KV v2 API docs; the ExternalSecrets Vault provider with version v2 does the same).
const kvPath = (what: string, example: string) =>
  vaultPath.refine((text) => !text.split("/").some((segment) => segment === "data" || segment === "metadata"), {
    error: `is ${what} alone, e.g. ${example}: KV version 2's API adds data/ after the mount itself, so a data/ or metadata/ segment here would be doubled`,
  });

// The API server never speaks plain HTTP (its insecure port was removed in Kubernetes 1.20).
const kubernetesApiUrl = z
  .url({ protocol: /^https$/, error: "must be the API server's https:// URL, e.g. https://192.168.50.5:6443 (the API server serves TLS only)" })
  .meta({ "x-type": "URL" });

export const vaultSchema = z
  .strictObject({
    address: z
      .url({ protocol: /^https?$/, error: "must be Vault's URL as notebooks and the hub reach it, e.g. https://vault.home.arpa:8200" })
      // VAULT_ADDR is the server's root: the vault CLI, hvac and the hub's client append /v1/ to it.
      .refine((url) => !URL.canParse(url) || ["", "/"].includes(new URL(url).pathname), {
        error: "must be Vault's address without a path, e.g. https://vault.home.arpa:8200: clients add /v1/ themselves, so .../v1 would be called as .../v1/v1/...",
      })
      .transform((url) => url.replace(/\/+$/, ""))
      .meta({ "x-type": "URL" })
      .describe("Vault's address as the hub and the notebooks reach it (VAULT_ADDR in every server)."),
    networkPolicy: destinationSchema
      .optional()
      .describe(
        "Where Vault is, for the servers' NetworkPolicy, which lets servers reach no private address unless named here: { cidrs: [<Vault's address>/32] } for a Vault outside the cluster, or { namespace, podLabels } for Vault's pods inside it. Required with a vault block.",
      ),
    kvMount: kvPath("the mount", "secret").default("secret").describe("Mount of the KV version 2 secrets engine."),
    pathPrefix: kvPath("the path under the mount", "jupyter")
      .default("jupyter")
      .describe("Path under the mount: users' secrets at <prefix>/users/<user>/, shared ones at <prefix>/shared/, the hub's at <prefix>/hub."),
    kubernetesAuth: z
      .strictObject({
        mount: vaultPath.default("kubernetes").describe("Path of the Kubernetes auth method the hub logs in with."),
        create: z
          .boolean()
          .default(false)
          .describe("Enable and configure the auth method here. Off: use one that is already enabled and configured."),
        kubernetesHost: kubernetesApiUrl
          .default("https://kubernetes.default.svc")
          .describe(
            "API server URL as Vault reaches it, to review ServiceAccount tokens (only with create: true). The default resolves only inside the cluster; a Vault outside it needs the API server's own address, e.g. https://192.168.50.5:6443.",
          ),
        kubernetesCaCert: caCertSource
          .optional()
          .describe(
            "CA certificate (PEM) of the API server, for Vault's calls to it (only with create: true). Absent: Vault in a pod of this cluster uses its own ServiceAccount's CA; a Vault outside the cluster needs it.",
          ),
        tokenReviewer: z
          .enum(["local", "clientJwt", "serviceAccount"])
          .default("local")
          .describe(
            "Whose token Vault shows the API server to review the hub's login (only with create: true). local: Vault's own ServiceAccount, for a Vault running in this cluster. clientJwt: the hub's own token, so the stack binds system:auth-delegator to the hub's ServiceAccount. serviceAccount: a dedicated ServiceAccount with system:auth-delegator whose long-lived token Vault keeps.",
          ),
        audience: z
          .string()
          .min(1)
          .optional()
          .describe(
            "Audience the hub's login token must carry (the Kubernetes auth role's audience). The hub then logs in with a projected ServiceAccount token of that audience, good for nothing else. Not with tokenReviewer: clientJwt (the API server accepts no token of another audience as a reviewer).",
          ),
        deleteOnDestroy: z
          .boolean()
          .default(false)
          .describe(
            "Let `pulumi destroy` disable the auth method this stack created (only with create: true), which revokes every token logged in through it. Off: destroy leaves it in Vault (retainOnDelete).",
          ),
      })
      .prefault({})
      .describe("How the hub logs in to Vault: its ServiceAccount token, through Kubernetes auth."),
    userTokens: z
      .strictObject({
        ttl: duration.prefault("1h").describe("Lifetime of a user's token between renewals (sent as the token's ttl when it is created)."),
        maxTtl: duration
          .prefault("24h")
          .describe(
            "Hard lifetime of a user's token (the token role's explicit max TTL); the server's culling.maxAge plus culling.checkInterval must be shorter. At most vaultMaxTtl.",
          ),
        vaultMaxTtl: duration
          .prefault("768h")
          .describe(
            "The longest TTL your Vault grants a token of its token auth method: its max_lease_ttl, which is the system's 768h (32 days) unless tuned (`vault auth tune -max-lease-ttl=... token/`). Vault silently shortens a longer TTL to it, so ttl and maxTtl may not exceed it; raise it here only after tuning Vault.",
          ),
        wrapTtl: duration
          .prefault("10m")
          .refine((seconds) => seconds >= 300 && seconds <= 3600, {
            error: "must be between 5m (the chart's server start timeout) and 1h",
          })
          .describe(
            "How long the one-time wrapping token in the server's pod spec can be unwrapped. The server's start hook unwraps it seconds after the container starts; it must outlive the pod's start (image pulls included, at most the chart's 300s start timeout).",
          ),
      })
      .prefault({})
      .describe(
        "The token each user's server gets: orphan, renewable, reaching only that user's secrets. It is delivered response-wrapped (the pod spec holds only a one-time wrapping token) and unwrapped into a file in memory (VAULT_TOKEN_FILE).",
      ),
    externalSecrets: z
      .strictObject({
        storeName: dnsSubdomain("a SecretStore name").default("vault").describe("Name of the External Secrets store that reads this Vault."),
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
