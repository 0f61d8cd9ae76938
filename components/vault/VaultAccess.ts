import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as vault from "@pulumi/vault";
import type { VaultSettings } from "../../settings/vaultSchema";
import { authBackendConfigArgs, reviewerBinding, reviewerServiceAccount, reviewerTokenSecret, REVIEWER_SERVICE_ACCOUNT } from "./kubernetesAuth";
import { hubPolicy, userPolicy, vaultNames, type VaultNames } from "./vaultPolicies";

export interface VaultAccessArgs {
  readonly vault: VaultSettings;
  /** The hub's namespace; the hub's ServiceAccount there is the only one that may log in. */
  readonly namespace: string;
  /** Name of the hub's ServiceAccount (the chart's default is "hub"). */
  readonly hubServiceAccount: string;
  /** Usernames the hub may mint tokens for. */
  readonly usernames: readonly string[];
  /** PEM of the API server's CA (kubernetesAuth.kubernetesCaCert), read at deploy time. */
  readonly kubernetesCaCert?: pulumi.Input<string>;
}

/** How long the hub's own Vault token lives: enough for a burst of spawns, then log in again. */
export const HUB_TOKEN_TTL_SECONDS = 900;

/**
 * The fields of the user token role, each one Vault's token store keeps. A token role is not like
 * other auth methods' roles: its schema has only token_bound_cidrs, token_explicit_max_ttl,
 * token_period, token_type, token_no_default_policy and token_num_uses of the common token fields
 * (hashicorp/vault vault/token_store.go: tokenutil.AddTokenFieldsWithAllowList on the roles path),
 * and ignores token_ttl, token_max_ttl and token_policies, which the provider would send. The TTL
 * between renewals is therefore sent by the hub with each create (`ttl`), the hard limit lives
 * here as token_explicit_max_ttl, and the policy comes from allowed_policies (a create that names
 * no policies gets exactly the role's allowed ones).
 */
export function userTokenRoleArgs(settings: VaultSettings, names: VaultNames, userPolicyName: pulumi.Input<string>, usernames: readonly string[]) {
  return {
    roleName: names.tokenRole,
    allowedPolicies: [userPolicyName],
    tokenNoDefaultPolicy: true,
    // Orphans outlive the hub's short login; the entity alias carries the username into the policy.
    orphan: true,
    renewable: true,
    allowedEntityAliases: [...usernames],
    tokenType: "service",
    tokenExplicitMaxTtl: settings.userTokens.maxTtl,
  };
}

/**
 * What lets the hub mint per-user tokens without a long-lived admin token: the hub's Kubernetes
 * auth role and policy, the user token role, and the user policy; with kubernetesAuth.create, the
 * auth method itself, its configuration and whoever reviews the hub's login for Vault.
 */
export class VaultAccess extends pulumi.ComponentResource {
  public readonly names: VaultNames;

  constructor(name: string, args: VaultAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jupyterhub:vault:VaultAccess", name, {}, opts);
    const settings = args.vault;
    const names = vaultNames(args.namespace);
    const child = { parent: this };

    const kubernetesAuthPath = settings.kubernetesAuth.create
      ? this.kubernetesAuth(name, args, opts?.dependsOn)
      : pulumi.output(settings.kubernetesAuth.mount);

    const hub = new vault.Policy(`${name}-hub`, { name: names.hubPolicy, policy: hubPolicy(names, settings.userTokens.wrapTtl) }, child);
    // The user policy is templated on the token auth method's accessor, which only Vault knows.
    const tokenAuth = vault.getAuthBackendOutput({ path: "token" }, child);
    const user = new vault.Policy(
      `${name}-user`,
      { name: names.userPolicy, policy: tokenAuth.accessor.apply((accessor) => userPolicy(settings, accessor)) },
      child,
    );

    new vault.kubernetes.AuthBackendRole(
      `${name}-hub`,
      {
        backend: kubernetesAuthPath,
        roleName: names.hubRole,
        boundServiceAccountNames: [args.hubServiceAccount],
        boundServiceAccountNamespaces: [args.namespace],
        // Vault checks the login JWT carries it and asks TokenReview for it; the hub logs in with
        // a projected token of exactly this audience (components/hub/vaultValues.ts).
        ...(settings.kubernetesAuth.audience ? { audience: settings.kubernetesAuth.audience } : {}),
        tokenPolicies: [hub.name],
        tokenNoDefaultPolicy: true,
        tokenTtl: HUB_TOKEN_TTL_SECONDS,
        tokenMaxTtl: HUB_TOKEN_TTL_SECONDS,
      },
      child,
    );
    new vault.tokenauth.AuthBackendRole(`${name}-user-tokens`, userTokenRoleArgs(settings, names, user.name, args.usernames), child);

    this.names = names;
    this.registerOutputs({});
  }

  private kubernetesAuth(name: string, args: VaultAccessArgs, dependsOn: pulumi.ComponentResourceOptions["dependsOn"]): pulumi.Output<string> {
    const settings = args.vault.kubernetesAuth;
    // `pulumi destroy` would disable the auth method, and Vault revokes every token logged in
    // through it; the stack owns it only when the config says so (README, "What destroy removes").
    const owned = { parent: this, retainOnDelete: !settings.deleteOnDestroy };
    const backend = new vault.AuthBackend(
      `${name}-kubernetes`,
      { type: "kubernetes", path: settings.mount, description: "Kubernetes ServiceAccounts (JupyterHub's hub)" },
      owned,
    );
    const reviewerJwt = this.tokenReviewer(name, args, dependsOn);
    const caCert = args.kubernetesCaCert === undefined ? undefined : pulumi.output(args.kubernetesCaCert);
    const config = new vault.kubernetes.AuthBackendConfig(
      `${name}-kubernetes`,
      {
        backend: backend.path,
        ...authBackendConfigArgs(settings),
        ...(caCert ? { kubernetesCaCert: caCert } : {}),
        ...(reviewerJwt ? { tokenReviewerJwt: reviewerJwt } : {}),
      },
      owned,
    );
    return config.backend.apply((path) => path ?? settings.mount);
  }

  /** RBAC for the reviewer of tokenReviewer clientJwt or serviceAccount; the dedicated one's JWT. */
  private tokenReviewer(name: string, args: VaultAccessArgs, dependsOn: pulumi.ComponentResourceOptions["dependsOn"]): pulumi.Output<string> | undefined {
    const settings = args.vault.kubernetesAuth;
    const reviewer = reviewerServiceAccount(settings, args.hubServiceAccount);
    if (!reviewer) return undefined;
    const child = { parent: this, dependsOn };
    new k8s.rbac.v1.ClusterRoleBinding(`${name}-vault-token-review`, reviewerBinding(args.namespace, reviewer), child);
    if (settings.tokenReviewer !== "serviceAccount") return undefined;
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-${REVIEWER_SERVICE_ACCOUNT}`,
      { metadata: { name: REVIEWER_SERVICE_ACCOUNT, namespace: args.namespace } },
      child,
    );
    const secret = new k8s.core.v1.Secret(`${name}-${REVIEWER_SERVICE_ACCOUNT}-token`, reviewerTokenSecret(args.namespace), {
      ...child,
      dependsOn: [account],
    });
    // Vault keeps this JWT as token_reviewer_jwt: a Pulumi secret end to end. The token controller
    // fills it in before pulumi-kubernetes returns the Secret (its service-account-token awaiter);
    // it is empty only under mocks.
    return pulumi.secret(secret.data.apply((data) => (data?.token ? Buffer.from(data.token, "base64").toString("utf8") : "")));
  }
}
