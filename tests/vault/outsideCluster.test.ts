// Vault outside the cluster (issue 12): its Kubernetes auth method needs the API server's address,
// its CA, and someone to review the hub's login; the role may pin the login token's audience.
import { vaultValues } from "../../components/hub/vaultValues";
import { HUB_VAULT_JWT_FILE } from "../../components/vault/kubernetesAuth";
import { parseSettings } from "../../settings";
import { renderStack } from "../harness/renderStack";
import { FIXTURE_CA_CERTIFICATE } from "../harness/invokeFixtures";
import { SECRET_PLACEHOLDER, type RecordedResource } from "../harness/recordedResource";
import { asStackConfig } from "../fixtures/configs";
import { problemsOf } from "../fixtures/problemsOf";
import { inClusterVaultConfig, outsideVaultConfig, vaultConfig } from "../fixtures/vaultConfig";
import * as fs from "fs";
import * as path from "path";

const of = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";
const AUTH_CONFIG = "vault:kubernetes/authBackendConfig:AuthBackendConfig";
const TEST_CA = fs.readFileSync(path.join(__dirname, "..", "fixtures", "test-ca.pem"), "utf8");

describe("settings", () => {
  it("refuses the in-cluster defaults for a Vault on the LAN that this stack gives an auth method", () => {
    expect(problemsOf(vaultConfig({ kubernetesAuth: { create: true } }))).toEqual([
      "jupyterhub:vault.kubernetesAuth.kubernetesHost: kubernetes.default.svc resolves only inside the cluster, and Vault at https://vault.example.test:8200 is outside the cluster (vault.networkPolicy.cidrs): set the API server's address as Vault reaches it, e.g. https://192.168.50.5:6443",
      "jupyterhub:vault.kubernetesAuth.kubernetesCaCert: is required: Vault at https://vault.example.test:8200 is outside the cluster (vault.networkPolicy.cidrs) and has no pod CA to trust the API server with",
      "jupyterhub:vault.kubernetesAuth.tokenReviewer: Vault at https://vault.example.test:8200 is outside the cluster (vault.networkPolicy.cidrs) and has no ServiceAccount token of this cluster to review logins with: use clientJwt or serviceAccount",
    ]);
    expect(problemsOf(outsideVaultConfig())).toEqual([]);
  });

  it("refuses an audience with the hub's own token as the TokenReview bearer", () => {
    expect(problemsOf(outsideVaultConfig({ audience: "vault" }))).toEqual([
      "jupyterhub:vault.kubernetesAuth.audience: cannot go with tokenReviewer: clientJwt: Vault would show the API server the hub's token of this audience as the TokenReview bearer, which the API server does not accept; use tokenReviewer: serviceAccount (or local for a Vault in this cluster)",
    ]);
    expect(problemsOf(outsideVaultConfig({ audience: "vault", tokenReviewer: "serviceAccount" }))).toEqual([]);
  });

  it("refuses settings for an auth method the stack does not create", () => {
    expect(problemsOf(vaultConfig({ kubernetesAuth: { kubernetesHost: "https://192.0.2.5:6443", tokenReviewer: "clientJwt", deleteOnDestroy: true } }))).toEqual([
      "jupyterhub:vault.kubernetesAuth.kubernetesHost: only applies to an auth method this stack enables (kubernetesAuth.create: true)",
      "jupyterhub:vault.kubernetesAuth.tokenReviewer: only applies to an auth method this stack enables (kubernetesAuth.create: true)",
      "jupyterhub:vault.kubernetesAuth.deleteOnDestroy: only applies to an auth method this stack enables (kubernetesAuth.create: true)",
    ]);
  });

  it("keeps the wrapping token's life between the chart's start timeout and an hour", () => {
    expect(problemsOf(inClusterVaultConfig({ userTokens: { wrapTtl: "1m" } }))).toEqual([
      "jupyterhub:vault.userTokens.wrapTtl: must be between 5m (the chart's server start timeout) and 1h",
    ]);
  });
});

describe("tokenReviewer: clientJwt", () => {
  it("binds system:auth-delegator to the hub's ServiceAccount and keeps Vault off any local CA and token", async () => {
    const { resources } = await renderStack(asStackConfig(outsideVaultConfig()));
    const [binding] = of(resources, CLUSTER_ROLE_BINDING);
    expect(binding.inputs).toEqual({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "jupyterhub-jupyterhub-vault-token-review" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:auth-delegator" },
      subjects: [{ kind: "ServiceAccount", name: "hub", namespace: "jupyterhub" }],
    });
    expect(binding.provider).toBe("pulumi:providers:kubernetes::kubernetes");
    expect(binding.dependsOn).toContain("kubernetes:core/v1:Namespace::jupyterhub");
    expect(of(resources, AUTH_CONFIG)[0].inputs).toEqual({
      backend: "k8s",
      kubernetesHost: "https://192.0.2.5:6443",
      kubernetesCaCert: TEST_CA,
      disableLocalCaJwt: true,
    });
    expect(of(resources, "kubernetes:core/v1:ServiceAccount")).toEqual([]);
  });

  it("reads the API server's CA from 1Password when told so, as public text", async () => {
    const item = { onePassword: { vault: "vault-uuid", item: "k3s API server CA" } };
    const { resources } = await renderStack(asStackConfig(outsideVaultConfig({ kubernetesCaCert: item })));
    expect(of(resources, AUTH_CONFIG)[0].inputs.kubernetesCaCert).toBe(FIXTURE_CA_CERTIFICATE);
  });

  it("fails before declaring Vault's config when the CA file is missing", async () => {
    await expect(renderStack(asStackConfig(outsideVaultConfig({ kubernetesCaCert: { file: "no/such/ca.pem" } })))).rejects.toThrow(
      "jupyterhub:vault.kubernetesAuth.kubernetesCaCert.file: no/such/ca.pem does not exist",
    );
  });
});

describe("tokenReviewer: serviceAccount", () => {
  it("makes a dedicated reviewer with system:auth-delegator and gives Vault its token as a secret", async () => {
    const { resources } = await renderStack(asStackConfig(outsideVaultConfig({ tokenReviewer: "serviceAccount", audience: "vault" })));
    expect(of(resources, "kubernetes:core/v1:ServiceAccount").map((r) => r.inputs.metadata)).toEqual([{ name: "vault-token-reviewer", namespace: "jupyterhub" }]);
    const [secret] = of(resources, "kubernetes:core/v1:Secret").filter((s) => (s.inputs.metadata as { name: string }).name === "vault-token-reviewer-token");
    expect(secret.inputs).toMatchObject({
      type: "kubernetes.io/service-account-token",
      metadata: { annotations: { "kubernetes.io/service-account.name": "vault-token-reviewer" }, namespace: "jupyterhub" },
    });
    expect(of(resources, CLUSTER_ROLE_BINDING)[0].inputs.subjects).toEqual([{ kind: "ServiceAccount", name: "vault-token-reviewer", namespace: "jupyterhub" }]);
    const [config] = of(resources, AUTH_CONFIG);
    expect(config.inputs).toMatchObject({ tokenReviewerJwt: SECRET_PLACEHOLDER, disableLocalCaJwt: true });
    expect(config.dependsOn).toContain("kubernetes:core/v1:Secret::jupyterhub-vault-token-reviewer-token");
  });
});

describe("audience", () => {
  it("pins the hub's role to it, and the hub logs in with a projected token of that audience", async () => {
    const config = outsideVaultConfig({ tokenReviewer: "serviceAccount", audience: "vault" });
    const { resources } = await renderStack(asStackConfig(config));
    expect(of(resources, "vault:kubernetes/authBackendRole:AuthBackendRole")[0].inputs).toMatchObject({ audience: "vault" });
    const values = vaultValues(parseSettings(config))!;
    expect(values.custom.vault).toMatchObject({ jwtFile: HUB_VAULT_JWT_FILE });
    expect(values.hubExtraVolumes).toEqual([
      {
        name: "vault-login-token",
        projected: { sources: [{ serviceAccountToken: { audience: "vault", expirationSeconds: 3600, path: "token" } }] },
      },
    ]);
    expect(values.hubExtraVolumeMounts).toEqual([{ name: "vault-login-token", mountPath: "/var/run/secrets/jupyterhub-pulumi/vault", readOnly: true }]);
  });

  it("is absent by default: the role takes the hub's ServiceAccount token as it is", async () => {
    const { resources } = await renderStack(asStackConfig(outsideVaultConfig()));
    expect(of(resources, "vault:kubernetes/authBackendRole:AuthBackendRole")[0].inputs).not.toHaveProperty("audience");
    expect(vaultValues(parseSettings(outsideVaultConfig()))!.hubExtraVolumes).toEqual([]);
  });
});
