// Keycloak login under mocks: what a Keycloak stack declares, and the hub wiring that uses it.
import { authConfig, hubSecretEnvironment, OAUTH_CLIENT_SECRET } from "../../components/hub/authValues";
import { logoutUrl, realmEndpoints } from "../../components/identity/keycloakEndpoints";
import { groupMembers, hubClientArgs, keycloakGroupNames, userGroupNames, UNLINKED_LOGIN_MESSAGE } from "../../components/identity/keycloakInputs";
import { parseSettings } from "../../settings";
import { SettingsError } from "../../settings/SettingsError";
import { RELEASE_TYPE, renderStack, type RenderedStack } from "../harness/renderStack";
import { SECRET_PLACEHOLDER, type RecordedResource } from "../harness/recordedResource";
import { asStackConfig, keycloakConfig, minimalConfig, profile, type RawConfig } from "../fixtures/configs";

const of = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const settings = parseSettings(keycloakConfig());
const keycloakSettings = settings.keycloak!;

describe("pure inputs", () => {
  it("makes a confidential standard-flow client with PKCE and an exact redirect URI", () => {
    expect(hubClientArgs(keycloakSettings, "https://hub.example.test/")).toEqual({
      clientId: "jupyterhub",
      name: "JupyterHub",
      enabled: true,
      accessType: "CONFIDENTIAL",
      standardFlowEnabled: true,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      pkceCodeChallengeMethod: "S256",
      rootUrl: "https://hub.example.test/",
      baseUrl: "https://hub.example.test/",
      validRedirectUris: ["https://hub.example.test/hub/oauth_callback"],
      validPostLogoutRedirectUris: ["https://hub.example.test/"],
      webOrigins: ["https://hub.example.test"],
    });
  });

  it("puts every user in the login group, admins in the admin group, and each in their own groups", () => {
    expect(keycloakGroupNames(settings, keycloakSettings)).toEqual(["jupyterhub", "jupyterhub-admins", "lab"]);
    expect(userGroupNames(settings.users[0], keycloakSettings)).toEqual(["jupyterhub", "jupyterhub-admins", "lab"]);
    expect(userGroupNames(settings.users[1], keycloakSettings)).toEqual(["jupyterhub"]);
    expect(groupMembers(settings.users, ["jupyterhub", "jupyterhub-admins", "lab", "empty"], keycloakSettings)).toEqual(
      new Map([
        ["jupyterhub", ["ada", "grace"]],
        ["jupyterhub-admins", ["ada"]],
        ["lab", ["ada"]],
        ["empty", []],
      ]),
    );
  });

  it("knows the realm's endpoints and a logout that ends the Keycloak session", () => {
    expect(realmEndpoints(keycloakSettings)).toEqual({
      issuer: "https://auth.example.test/realms/lab",
      authorize: "https://auth.example.test/realms/lab/protocol/openid-connect/auth",
      token: "https://auth.example.test/realms/lab/protocol/openid-connect/token",
      userinfo: "https://auth.example.test/realms/lab/protocol/openid-connect/userinfo",
      endSession: "https://auth.example.test/realms/lab/protocol/openid-connect/logout",
    });
    expect(logoutUrl(keycloakSettings, "https://hub.example.test/")).toBe(
      "https://auth.example.test/realms/lab/protocol/openid-connect/logout?client_id=jupyterhub&post_logout_redirect_uri=https%3A%2F%2Fhub.example.test%2F",
    );
  });
});

describe("hub configuration for Keycloak", () => {
  const config = authConfig(settings);

  it("uses GenericOAuthenticator with the realm, groups from the token, auth state and PKCE", () => {
    expect(config.JupyterHub).toEqual({ authenticator_class: "generic-oauth" });
    expect(config.GenericOAuthenticator).toEqual({
      client_id: "jupyterhub",
      oauth_callback_url: "https://hub.example.test/hub/oauth_callback",
      authorize_url: "https://auth.example.test/realms/lab/protocol/openid-connect/auth",
      token_url: "https://auth.example.test/realms/lab/protocol/openid-connect/token",
      userdata_url: "https://auth.example.test/realms/lab/protocol/openid-connect/userinfo",
      scope: ["openid", "profile", "email"],
      username_claim: "preferred_username",
      login_service: "Keycloak",
      enable_pkce: true,
      manage_groups: true,
      auth_state_groups_key: "oauth_user.jupyterhub_groups",
      allowed_groups: ["jupyterhub"],
      admin_groups: ["jupyterhub-admins"],
      enable_auth_state: true,
      refresh_pre_spawn: true,
      logout_redirect_url: logoutUrl(keycloakSettings, "https://hub.example.test/"),
    });
  });

  it("lists no users and loads no groups itself: Keycloak owns both", () => {
    expect(config.Authenticator).toBeUndefined();
    expect(JSON.stringify(config)).not.toContain("load_groups");
  });

  it("takes the client secret from the environment, nothing else", () => {
    expect(hubSecretEnvironment(settings)).toEqual([OAUTH_CLIENT_SECRET]);
    expect(hubSecretEnvironment(parseSettings(minimalConfig()))).toEqual([]);
    expect(JSON.stringify(config)).not.toMatch(/client_secret/);
  });
});

describe("a Keycloak stack under mocks", () => {
  let rendered: RenderedStack;
  beforeAll(async () => {
    rendered = await renderStack(asStackConfig(keycloakConfig()), "keycloak");
  });

  it("declares the client, groups with their roles, claim mapper, users, the refusing flow and Google, under the Identity component", () => {
    const { resources } = rendered;
    const identityChildren = resources.filter((r) => r.parent === "jupyterhub:identity:Identity::jupyterhub").map((r) => `${r.type} ${r.name}`);
    const perGroup = (group: string) => [
      `keycloak:index/group:Group jupyterhub-group-${group}`,
      `keycloak:index/groupMemberships:GroupMemberships jupyterhub-group-${group}-members`,
      `keycloak:index/groupRoles:GroupRoles jupyterhub-group-${group}-role`,
      `keycloak:index/role:Role jupyterhub-role-${group}`,
    ];
    expect(identityChildren.sort()).toEqual(
      [
        "keycloak:authentication/execution:Execution jupyterhub-first-login-refuse",
        "keycloak:authentication/executionConfig:ExecutionConfig jupyterhub-first-login-refuse-message",
        "keycloak:authentication/flow:Flow jupyterhub-first-login",
        ...perGroup("jupyterhub"),
        ...perGroup("jupyterhub-admins"),
        ...perGroup("lab"),
        "keycloak:index/user:User jupyterhub-user-ada",
        "keycloak:index/user:User jupyterhub-user-grace",
        "keycloak:oidc/googleIdentityProvider:GoogleIdentityProvider jupyterhub-google",
        "keycloak:openid/client:Client jupyterhub-hub",
        "keycloak:openid/userClientRoleProtocolMapper:UserClientRoleProtocolMapper jupyterhub-groups-claim",
      ].sort(),
    );
    for (const child of resources.filter((r) => r.parent === "jupyterhub:identity:Identity::jupyterhub")) {
      expect(child.provider).toBe("pulumi:providers:keycloak::keycloak");
    }
  });

  it("uses the existing realm by name, with a provider that does not log in at start-up", () => {
    expect(of(rendered.resources, "keycloak:index/realm:Realm")).toEqual([]);
    expect(of(rendered.resources, "keycloak:openid/client:Client")[0].inputs).toMatchObject({ realmId: "lab" });
    expect(of(rendered.resources, "pulumi:providers:keycloak")[0].inputs).toMatchObject({
      url: "https://auth.example.test",
      realm: "master",
      initialLogin: "false",
    });
  });

  // Issue 12: `fullPath: false` let any group named jupyterhub-admins, anywhere in the realm, grant admin.
  it("makes the group claim of the hub client's own roles, each granted to exactly the group of that name the stack made", () => {
    const { resources } = rendered;
    expect(of(resources, "keycloak:openid/groupMembershipProtocolMapper:GroupMembershipProtocolMapper")).toEqual([]);
    const mappers = of(resources, "keycloak:openid/userClientRoleProtocolMapper:UserClientRoleProtocolMapper");
    expect(mappers.map((m) => m.inputs)).toEqual([
      {
        realmId: "lab",
        clientId: "jupyterhub-hub-id",
        clientIdForRoleMappings: "jupyterhub",
        name: "jupyterhub-groups",
        claimName: "jupyterhub_groups",
        multivalued: true,
        addToIdToken: true,
        addToAccessToken: true,
        addToUserinfo: true,
      },
    ]);
    const roles = of(resources, "keycloak:index/role:Role");
    expect(roles.map((r) => [r.inputs.name, r.inputs.clientId])).toEqual([
      ["jupyterhub", "jupyterhub-hub-id"],
      ["jupyterhub-admins", "jupyterhub-hub-id"],
      ["lab", "jupyterhub-hub-id"],
    ]);
    // Each role goes to one group, the stack's group of the same name, named by the id Keycloak gave it.
    const grants = Object.fromEntries(of(resources, "keycloak:index/groupRoles:GroupRoles").map((g) => [g.inputs.groupId, g.inputs]));
    expect(grants).toEqual(
      Object.fromEntries(
        roles.map((role) => {
          const groupId = `jupyterhub-group-${role.inputs.name}-id`;
          return [groupId, { realmId: "lab", groupId, roleIds: [`${role.name}-id`], exhaustive: false }];
        }),
      ),
    );
    const groups = of(resources, "keycloak:index/group:Group").map((g) => g.inputs);
    expect(groups.every((g) => g.parentId === undefined)).toBe(true);
  });

  it("admits, makes admin and gates profiles by exactly those role names", () => {
    const oauth = authConfig(settings).GenericOAuthenticator;
    const roleNames = of(rendered.resources, "keycloak:index/role:Role").map((r) => r.inputs.name);
    expect(roleNames).toEqual(expect.arrayContaining([...(oauth.allowed_groups as string[]), ...(oauth.admin_groups as string[])]));
    expect(roleNames).toEqual(expect.arrayContaining([...settings.users.flatMap((u) => u.groups), ...settings.groups]));
  });

  it("creates each configured user with a verified email once the identity providers exist, and sets every group's members", () => {
    const users = of(rendered.resources, "keycloak:index/user:User");
    expect(users[0].inputs).toEqual({ realmId: "lab", username: "ada", email: "ada@example.test", emailVerified: true, enabled: true, federatedIdentities: [] });
    for (const user of users) expect(user.dependsOn).toContain("keycloak:oidc/googleIdentityProvider:GoogleIdentityProvider::jupyterhub-google");
    const memberships = Object.fromEntries(
      of(rendered.resources, "keycloak:index/groupMemberships:GroupMemberships").map((m) => [m.inputs.groupId, m.inputs.members]),
    );
    expect(memberships).toEqual({
      "jupyterhub-group-jupyterhub-id": ["ada", "grace"],
      "jupyterhub-group-jupyterhub-admins-id": ["ada"],
      "jupyterhub-group-lab-id": ["ada"],
    });
  });

  it("brokers Google, its secret from 1Password, with a first-login flow that only refuses", () => {
    const [google] = of(rendered.resources, "keycloak:oidc/googleIdentityProvider:GoogleIdentityProvider");
    expect(google.inputs).toMatchObject({
      realm: "lab",
      alias: "google",
      clientId: "1234.apps.googleusercontent.com",
      clientSecret: SECRET_PLACEHOLDER,
      trustEmail: false,
      syncMode: "IMPORT",
      linkOnly: false,
      firstBrokerLoginFlowAlias: "jupyterhub-linked-accounts-only",
    });
    expect(google.dependsOn).toEqual(
      expect.arrayContaining([
        "keycloak:authentication/execution:Execution::jupyterhub-first-login-refuse",
        "keycloak:authentication/executionConfig:ExecutionConfig::jupyterhub-first-login-refuse-message",
      ]),
    );
    expect(of(rendered.resources, "keycloak:authentication/execution:Execution").map((e) => e.inputs)).toEqual([
      { realmId: "lab", parentFlowAlias: "jupyterhub-linked-accounts-only", authenticator: "deny-access-authenticator", requirement: "REQUIRED", priority: 10 },
    ]);
    expect(of(rendered.resources, "keycloak:authentication/executionConfig:ExecutionConfig")[0].inputs).toEqual({
      realmId: "lab",
      executionId: "jupyterhub-first-login-refuse-id",
      alias: "jupyterhub-linked-accounts-only-message",
      config: { denyErrorMessage: UNLINKED_LOGIN_MESSAGE },
    });
    // None of the authenticators that match a user by email or username is anywhere.
    expect(JSON.stringify(rendered.resources)).not.toMatch(/idp-auto-link|idp-detect-existing-broker-user|idp-create-user-if-unique|idp-confirm-link/);
  });

  it("hands the client secret to the hub through a secret Kubernetes Secret the values only reference", () => {
    const [secret] = of(rendered.resources, "kubernetes:core/v1:Secret");
    expect(secret.parent).toBe("jupyterhub:secrets:HubSecretEnvironment::jupyterhub");
    expect(secret.inputs).toMatchObject({ metadata: { name: "jupyterhub-hub-env", namespace: "jupyterhub" }, stringData: SECRET_PLACEHOLDER });
    const values = of(rendered.resources, RELEASE_TYPE)[0].inputs.values as { hub: { extraEnv: unknown } };
    expect(values.hub.extraEnv).toEqual({
      OAUTH_CLIENT_SECRET: { valueFrom: { secretKeyRef: { name: "jupyterhub-hub-env", key: "OAUTH_CLIENT_SECRET" } } },
    });
    expect(JSON.stringify(rendered.resources)).not.toMatch(/fixture-|render-placeholder/);
  });
});

describe("deploy-time secrets", () => {
  const withGithubFromEnv = (): RawConfig => {
    const config = keycloakConfig();
    return {
      ...config,
      keycloak: { ...(config.keycloak as RawConfig), identityProviders: { github: { clientId: "gh", clientSecret: { env: "GITHUB_CLIENT_SECRET" } } } },
    };
  };

  it("fails before declaring anything when an environment variable the stack names is missing", async () => {
    await expect(renderStack(asStackConfig(withGithubFromEnv()), "keycloak", {})).rejects.toThrow(
      new SettingsError([
        { key: "jupyterhub:keycloak.identityProviders.github.clientSecret", message: "environment variable GITHUB_CLIENT_SECRET is not set" },
      ]),
    );
  });

  it("reads the variable as a secret when it is set", async () => {
    const { resources } = await renderStack(asStackConfig(withGithubFromEnv()), "keycloak", { GITHUB_CLIENT_SECRET: "from-env" });
    const [github] = of(resources, "keycloak:oidc/githubIdentityProvider:GithubIdentityProvider");
    expect(github.inputs).toMatchObject({ alias: "github", clientId: "gh", clientSecret: SECRET_PLACEHOLDER, trustEmail: false });
  });
});

it("creates the realm, with its session lifetimes, when the stack owns it", async () => {
  const config = keycloakConfig();
  const { resources } = await renderStack(
    asStackConfig({ ...config, keycloak: { ...(config.keycloak as RawConfig), createRealm: true, sessions: { idleTimeout: "12h" } } }),
  );
  expect(of(resources, "keycloak:index/realm:Realm")[0].inputs).toMatchObject({
    realm: "lab",
    registrationAllowed: false,
    ssoSessionIdleTimeout: "43200s",
    ssoSessionMaxLifespan: "604800s",
  });
});

it("gates profiles by group in the hub, with the Python filter and the groups per profile", async () => {
  const config = { ...keycloakConfig(), profiles: [profile({ default: true }), profile({ slug: "gpu", allowedGroups: ["lab"] })] };
  const values = (await renderStack(asStackConfig(config))).values as Record<string, any>;
  expect(values.custom.profileGroups).toEqual({ gpu: ["lab"] });
  expect(values.hub.extraFiles["python-profile-filter"].stringData).toContain("def allowed_profiles(");
  expect(values.hub.extraConfig["50-profile-filter"]).toMatch(/\nprofile_filter\.install\(c, get_config\("custom.profileGroups", \{\}\), KubeSpawner\)\n$/);
});
