// A stack with Vault under mocks: the Vault resources, the hub's secrets through Vault, the hook.
import { vaultHookConfig } from "../../components/hub/vaultValues";
import { externalSecretSpec } from "../../components/secrets/HubSecretEnvironment";
import { parseSettings } from "../../settings";
import { renderStack, type RenderedStack } from "../harness/renderStack";
import { SECRET_PLACEHOLDER, type RecordedResource } from "../harness/recordedResource";
import { asStackConfig, minimalConfig } from "../fixtures/configs";
import { inClusterVaultConfig, vaultConfig } from "../fixtures/vaultConfig";
import { problemsOf } from "../fixtures/problemsOf";

const of = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);


describe("vault settings", () => {
  it("fills the defaults", () => {
    expect(parseSettings(vaultConfig()).vault).toEqual({
      address: "https://vault.example.test:8200",
      networkPolicy: { cidrs: ["192.0.2.10/32"] },
      kvMount: "secret",
      pathPrefix: "jupyter",
      kubernetesAuth: { mount: "kubernetes", create: false, kubernetesHost: "https://kubernetes.default.svc", tokenReviewer: "local", deleteOnDestroy: false },
      userTokens: { ttl: 3600, maxTtl: 86400, vaultMaxTtl: 2764800, wrapTtl: 600 },
      externalSecrets: { storeName: "vault", storeKind: "ClusterSecretStore", refreshInterval: 3600 },
      onFailure: "refuse",
      timeout: 10,
    });
  });

  it("rejects a server max age the user token would not outlive, naming both values", () => {
    expect(problemsOf({ ...vaultConfig({ userTokens: { maxTtl: "8h" } }), culling: { maxAge: "12h" } })).toEqual([
      "jupyterhub:culling.maxAge: servers may live 43800s (culling.maxAge 43200s, and the culler looks only every culling.checkInterval 600s), but a user's Vault token ends after vault.userTokens.maxTtl 28800s; set culling.maxAge plus culling.checkInterval shorter than that",
    ]);
  });

  it("rejects servers without a max age when Vault is on", () => {
    expect(problemsOf({ ...vaultConfig(), culling: { maxAge: 0 } })).toEqual([
      "jupyterhub:culling.maxAge: servers may live unlimited (culling.maxAge 0 or culling off), but a user's Vault token ends after vault.userTokens.maxTtl 86400s; set culling.maxAge plus culling.checkInterval shorter than that",
    ]);
  });

  it("rejects a bad address and an unknown failure mode", () => {
    expect(problemsOf(vaultConfig({ address: "vault.example.test", onFailure: "ignore" }))).toEqual([
      "jupyterhub:vault.address: must be Vault's URL as notebooks and the hub reach it, e.g. https://vault.home.arpa:8200",
      'jupyterhub:vault.onFailure: Invalid option: expected one of "refuse"|"continue"',
    ]);
  });
});

describe("a Vault stack", () => {
  let rendered: RenderedStack;
  beforeAll(async () => {
    rendered = await renderStack(asStackConfig(inClusterVaultConfig({ kubernetesAuth: { create: true, mount: "k8s" } })), "vault");
  });

  it("binds the hub's Kubernetes auth role to the hub's ServiceAccount in its namespace only", () => {
    const [role] = of(rendered.resources, "vault:kubernetes/authBackendRole:AuthBackendRole");
    expect(role.inputs).toEqual({
      backend: "k8s",
      roleName: "jupyterhub-hub-jupyterhub",
      boundServiceAccountNames: ["hub"],
      boundServiceAccountNamespaces: ["jupyterhub"],
      tokenPolicies: ["jupyterhub-hub-jupyterhub"],
      tokenNoDefaultPolicy: true,
      tokenTtl: 900,
      tokenMaxTtl: 900,
    });
  });

  it("mints orphan, renewable user tokens with only the user policy, for configured users, capped at maxTtl, with no field Vault ignores", () => {
    const [role] = of(rendered.resources, "vault:tokenauth/authBackendRole:AuthBackendRole");
    // token_ttl, token_max_ttl and token_policies would be sent and ignored by a token role
    // (vault/token_store.go); the TTL between renewals is the hook's `ttl` on create.
    expect(role.inputs).toEqual({
      roleName: "jupyterhub-user-jupyterhub",
      allowedPolicies: ["jupyterhub-user-jupyterhub"],
      tokenNoDefaultPolicy: true,
      orphan: true,
      renewable: true,
      allowedEntityAliases: ["ada", "grace"],
      tokenType: "service",
      tokenExplicitMaxTtl: 86400,
    });
  });

  it("lets the hub mint only wrapped tokens, for at most userTokens.wrapTtl, and revoke by accessor", () => {
    const [policy] = of(rendered.resources, "vault:index/policy:Policy").filter((p) => p.inputs.name === "jupyterhub-hub-jupyterhub");
    expect(policy.inputs.policy).toBe(
      'path "auth/token/create/jupyterhub-user-jupyterhub" {\n  capabilities = ["create", "update"]\n  min_wrapping_ttl = "1s"\n  max_wrapping_ttl = "600s"\n}\n\npath "auth/token/revoke-accessor" {\n  capabilities = ["update"]\n}\n',
    );
  });

  it("templates the user policy on the token auth method's accessor", () => {
    const policies = Object.fromEntries(of(rendered.resources, "vault:index/policy:Policy").map((p) => [p.inputs.name, p.inputs.policy]));
    expect(Object.keys(policies).sort()).toEqual(["jupyterhub-hub-jupyterhub", "jupyterhub-user-jupyterhub"]);
    expect(policies["jupyterhub-user-jupyterhub"]).toContain('path "secret/data/jupyter/users/{{identity.entity.aliases.auth_token_0f1e2d3c.name}}/*"');
  });

  it("enables and configures Kubernetes auth when asked, for a Vault running in this cluster by default", () => {
    expect(of(rendered.resources, "vault:index/authBackend:AuthBackend")[0].inputs).toMatchObject({ type: "kubernetes", path: "k8s" });
    expect(of(rendered.resources, "vault:kubernetes/authBackendConfig:AuthBackendConfig")[0].inputs).toEqual({
      backend: "k8s",
      kubernetesHost: "https://kubernetes.default.svc",
      disableLocalCaJwt: false,
    });
    expect(of(rendered.resources, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")).toEqual([]);
  });

  it("leaves the auth method in Vault on `pulumi destroy` unless deleteOnDestroy says otherwise", async () => {
    const kept = of(rendered.resources, "vault:index/authBackend:AuthBackend")[0];
    expect(kept.retainOnDelete).toBe(true);
    // Roles and policies are the stack's own: destroy deletes them.
    for (const type of ["vault:kubernetes/authBackendRole:AuthBackendRole", "vault:tokenauth/authBackendRole:AuthBackendRole", "vault:index/policy:Policy"]) {
      for (const resource of of(rendered.resources, type)) expect(resource.retainOnDelete).toBe(false);
    }
    const owned = await renderStack(asStackConfig(inClusterVaultConfig({ kubernetesAuth: { create: true, deleteOnDestroy: true } })));
    expect(of(owned.resources, "vault:index/authBackend:AuthBackend")[0].retainOnDelete).toBe(false);
  });

  it("keeps the hub's OAuth secret in Vault KV and syncs it with an ExternalSecret instead of writing a Secret", () => {
    expect(of(rendered.resources, "kubernetes:core/v1:Secret")).toEqual([]);
    expect(of(rendered.resources, "vault:kv/secretV2:SecretV2")[0].inputs).toEqual({ mount: "secret", name: "jupyter/hub", dataJson: SECRET_PLACEHOLDER });
    const [externalSecret] = of(rendered.resources, "kubernetes:external-secrets.io/v1:ExternalSecret");
    expect(externalSecret.inputs).toEqual({
      apiVersion: "external-secrets.io/v1",
      kind: "ExternalSecret",
      metadata: { name: "jupyterhub-hub-env", namespace: "jupyterhub" },
      spec: {
        refreshInterval: "3600s",
        secretStoreRef: { name: "vault", kind: "ClusterSecretStore" },
        target: { name: "jupyterhub-hub-env", creationPolicy: "Owner" },
        data: [{ secretKey: "OAUTH_CLIENT_SECRET", remoteRef: { key: "jupyter/hub", property: "OAUTH_CLIENT_SECRET" } }],
      },
    });
  });

  it("loads both hooks with their configuration and mounts the notebook helper, with no token in values", () => {
    const values = rendered.values as Record<string, any>;
    expect(values.hub.extraFiles["python-vault-token-hook"]).toMatchObject({
      mountPath: "/usr/local/etc/jupyterhub-pulumi/vault_token_hook.py",
      stringData: expect.stringContaining("def install("),
    });
    expect(values.hub.extraConfig["40-vault-hook"]).toMatch(/\nvault_token_hook\.install\(c, get_config\("custom\.vault"\)\)\n$/);
    expect(values.custom.vault).toEqual({
      address: "http://vault.vault.svc:8200",
      kubernetesAuthMount: "k8s",
      hubRole: "jupyterhub-hub-jupyterhub",
      tokenRole: "jupyterhub-user-jupyterhub",
      kvMount: "secret",
      pathPrefix: "jupyter",
      onFailure: "refuse",
      timeoutSeconds: 10,
      tokenTtlSeconds: 3600,
      wrapTtlSeconds: 600,
      tokenDir: "/run/jupyterhub-vault",
    });
    expect(values.hub.extraVolumes).toBeUndefined();
    expect(values.singleuser.extraFiles["vault-secrets"]).toMatchObject({ mountPath: "/opt/jupyterhub/python/vault_secrets.py", mode: 0o644 });
    expect(values.singleuser.extraEnv).toEqual({ PYTHONPATH: "/opt/jupyterhub/python" });
    expect(JSON.stringify(values)).not.toMatch(/hvs\.|render-placeholder|fixture-/);
  });
});

it("uses an existing Kubernetes auth method without declaring one, and writes no hub secret without one to keep", async () => {
  const networkPolicy = { namespace: "vault", podLabels: { "app.kubernetes.io/name": "vault" } };
  const config = { ...minimalConfig(), culling: { maxAge: "8h" }, vault: { address: "http://vault.vault.svc:8200", networkPolicy } };
  const { resources, values } = await renderStack(asStackConfig(config));
  // An in-cluster Vault: its pods in their namespace, one peer holding both selectors, the URL's port.
  expect((values.singleuser as any).networkPolicy.egress).toContainEqual({
    to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "vault" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "vault" } } }],
    ports: [{ port: 8200, protocol: "TCP" }],
  });
  expect(of(resources, "vault:index/authBackend:AuthBackend")).toEqual([]);
  expect(of(resources, "vault:kubernetes/authBackendRole:AuthBackendRole")[0].inputs).toMatchObject({ backend: "kubernetes" });
  expect(resources.filter((r) => /ExternalSecret|secretV2|core\/v1:Secret/.test(r.type))).toEqual([]);
});

it("builds the hook configuration and the ExternalSecret from settings alone", () => {
  const vault = parseSettings(vaultConfig()).vault!;
  expect(vaultHookConfig(vault, "lab")).toMatchObject({ hubRole: "jupyterhub-hub-lab", tokenRole: "jupyterhub-user-lab" });
  expect(externalSecretSpec(vault, "s", ["B", "A"]).data).toEqual([
    { secretKey: "A", remoteRef: { key: "jupyter/hub", property: "A" } },
    { secretKey: "B", remoteRef: { key: "jupyter/hub", property: "B" } },
  ]);
});

it("mounts the hub's projected login token of the role's audience, where the hook reads it", async () => {
  const config = inClusterVaultConfig({ kubernetesAuth: { create: true, audience: "vault", tokenReviewer: "serviceAccount" } });
  const { values } = await renderStack(asStackConfig(config));
  const hub = values.hub as { extraVolumes: { name: string; projected?: unknown }[]; extraVolumeMounts: { name: string; mountPath: string }[] };
  const volume = hub.extraVolumes.find((v) => v.projected)!;
  expect(volume.projected).toMatchObject({ sources: [{ serviceAccountToken: { audience: "vault", path: "token" } }] });
  const mount = hub.extraVolumeMounts.find((m) => m.name === volume.name)!;
  expect((values.custom as { vault: { jwtFile: string } }).vault.jwtFile).toBe(`${mount.mountPath}/token`);
});
