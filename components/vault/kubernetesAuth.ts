// How Vault's Kubernetes auth method reaches and trusts the cluster, and who reviews the hub's
// login. Pure: VaultAccess declares what these return, tests read them without Pulumi.
//
// Vault checks a login's ServiceAccount JWT by calling the cluster's TokenReview API
// (developer.hashicorp.com/vault/api-docs/auth/kubernetes, "Configure method"). Three things
// decide whether that works:
// - kubernetes_host: the API server as *Vault* reaches it. https://kubernetes.default.svc only
//   resolves inside the cluster.
// - kubernetes_ca_cert: "If not set, the local CA cert will be used if running in a Kubernetes
//   pod"; "When Vault is running in a non-Kubernetes environment, either kubernetes_ca_cert or
//   pem_keys must be set".
// - token_reviewer_jwt, the bearer token of the TokenReview call: "If not set, the local service
//   account token is used if running in a Kubernetes pod, otherwise the JWT submitted in the login
//   payload will be used". Whoever it belongs to needs the system:auth-delegator ClusterRole.
//   disable_local_ca_jwt stops a Vault running in *another* cluster from using its own pod's CA
//   and token, which that cluster's API server would not accept for this one.
import type { VaultSettings } from "../../settings/vaultSchema";

export type KubernetesAuthSettings = VaultSettings["kubernetesAuth"];

/** The built-in ClusterRole allowed to create TokenReviews (and SubjectAccessReviews). */
export const AUTH_DELEGATOR = "system:auth-delegator";
/** The dedicated reviewer of tokenReviewer: serviceAccount, in the hub's namespace. */
export const REVIEWER_SERVICE_ACCOUNT = "vault-token-reviewer";
export const REVIEWER_TOKEN_SECRET = "vault-token-reviewer-token";
/** Where the hub pod mounts its projected login token when the role has an audience. */
export const HUB_VAULT_JWT_DIR = "/var/run/secrets/jupyterhub-pulumi/vault";
export const HUB_VAULT_JWT_FILE = `${HUB_VAULT_JWT_DIR}/token`;
/** The kubelet refreshes a projected token at 80% of this; the hub reads the file at every login. */
export const HUB_VAULT_JWT_EXPIRATION_SECONDS = 3600;

/** The ServiceAccount whose token is the TokenReview bearer, bound to system:auth-delegator; none for local. */
export function reviewerServiceAccount(settings: KubernetesAuthSettings, hubServiceAccount: string): string | undefined {
  switch (settings.tokenReviewer) {
    case "local":
      return undefined;
    case "clientJwt":
      return hubServiceAccount;
    case "serviceAccount":
      return REVIEWER_SERVICE_ACCOUNT;
  }
}

/** Cluster-scoped, so named after the hub's namespace: two hubs in one cluster keep their own. */
export function reviewerBindingName(namespace: string): string {
  return `jupyterhub-${namespace}-vault-token-review`;
}

/** The ClusterRoleBinding that lets the reviewer's token call TokenReview. */
export function reviewerBinding(namespace: string, serviceAccount: string) {
  return {
    metadata: { name: reviewerBindingName(namespace) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: AUTH_DELEGATOR },
    subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace }],
  };
}

/**
 * The dedicated reviewer's token: a Secret of type service-account-token, which the token
 * controller fills with a long-lived token (kubernetes.io/docs, "Manually create a long-lived API
 * token for a ServiceAccount"); pulumi-kubernetes waits for it to be filled (pull request 2048).
 */
export function reviewerTokenSecret(namespace: string) {
  return {
    metadata: { name: REVIEWER_TOKEN_SECRET, namespace, annotations: { "kubernetes.io/service-account.name": REVIEWER_SERVICE_ACCOUNT } },
    type: "kubernetes.io/service-account-token",
  };
}

/** vault.kubernetes.AuthBackendConfig's arguments apart from the backend, the CA and the reviewer JWT (deploy-time values). */
export function authBackendConfigArgs(settings: KubernetesAuthSettings): { kubernetesHost: string; disableLocalCaJwt: boolean } {
  return {
    kubernetesHost: settings.kubernetesHost,
    // Only Vault running as a pod of this very cluster may fall back to its pod's CA and token.
    disableLocalCaJwt: settings.tokenReviewer !== "local",
  };
}

/** The hub pod's projected ServiceAccount token of the role's audience (hub.extraVolumes), when there is one. */
export function hubLoginTokenVolume(settings: KubernetesAuthSettings): { volume: Record<string, unknown>; mount: Record<string, unknown> } | undefined {
  if (!settings.audience) return undefined;
  const name = "vault-login-token";
  return {
    volume: {
      name,
      projected: {
        sources: [{ serviceAccountToken: { audience: settings.audience, expirationSeconds: HUB_VAULT_JWT_EXPIRATION_SECONDS, path: "token" } }],
      },
    },
    mount: { name, mountPath: HUB_VAULT_JWT_DIR, readOnly: true },
  };
}
