// Issue 12, critical finding: a stranger's GitHub or Google account must not become a configured
// user. Each attack is run against the Keycloak resources the stack declares, through a model of
// Keycloak's broker login (keycloakBrokerModel.ts, citing the upstream code it follows).
import { renderStack } from "../harness/renderStack";
import { readStackConfig } from "../harness/stackConfig";
import type { RecordedResource } from "../harness/recordedResource";
import { asStackConfig, keycloakConfig, type RawConfig } from "../fixtures/configs";
import { brokerLogin, type BrokeredIdentity } from "./keycloakBrokerModel";

const GITHUB = { github: { clientId: "gh-client", clientSecret: { env: "GITHUB_CLIENT_SECRET" } } };
const GOOGLE = { google: { clientId: "1234.apps.googleusercontent.com", clientSecret: { env: "GOOGLE_CLIENT_SECRET" } } };

/** ada (admin, ada@example.test) and grace, with Google and GitHub brokered. */
function config(keycloak: RawConfig = {}): RawConfig {
  const base = keycloakConfig();
  return { ...base, keycloak: { ...(base.keycloak as RawConfig), identityProviders: { ...GOOGLE, ...GITHUB }, ...keycloak } };
}

async function declared(raw: RawConfig): Promise<RecordedResource[]> {
  return (await renderStack(asStackConfig(raw))).resources;
}

const refused = { outcome: "refused" } as const;

describe("the attacks of issue 12, against what the stack declares", () => {
  let resources: RecordedResource[];
  beforeAll(async () => {
    resources = await declared(config());
  });

  // GitHubIdentityProvider.extractIdentityFromProfile: username = `login`, id = numeric `id`,
  // email = the public profile email, else searchEmail(): the primary one, `verified` unread.
  it("refuses a GitHub account whose login is a configured username, with another email", () => {
    const attacker: BrokeredIdentity = { idp: "github", id: "9000001", username: "ada", email: "mallory@evil.test", emailVerified: true };
    expect(brokerLogin(resources, attacker)).toMatchObject(refused);
  });

  it("refuses a GitHub account named like a configured user in other letter case, with no public email", () => {
    const attacker: BrokeredIdentity = { idp: "github", id: "9000002", username: "Ada" };
    expect(brokerLogin(resources, attacker)).toMatchObject(refused);
  });

  it("refuses a GitHub account whose unverified primary email is a configured user's", () => {
    const attacker: BrokeredIdentity = { idp: "github", id: "9000003", username: "mallory", email: "ada@example.test", emailVerified: false };
    expect(brokerLogin(resources, attacker)).toMatchObject(refused);
  });

  it("refuses a Google account with a configured user's email, unverified", () => {
    const attacker: BrokeredIdentity = { idp: "google", id: "100000000000000000001", username: "ada@example.test", email: "ada@example.test", emailVerified: false };
    expect(brokerLogin(resources, attacker)).toMatchObject(refused);
  });

  it("refuses even a verified email that matches: only the linked id proves who it is", () => {
    const sameEmail: BrokeredIdentity = { idp: "google", id: "100000000000000000002", username: "ada@example.test", email: "ada@example.test", emailVerified: true };
    expect(brokerLogin(resources, sameEmail)).toMatchObject(refused);
  });

  it("creates nobody for a login that matches no one, and says why", () => {
    const stranger: BrokeredIdentity = { idp: "github", id: "9000004", username: "stranger", email: "stranger@example.test" };
    const outcome = brokerLogin(resources, stranger);
    expect(outcome).toMatchObject(refused);
    expect(outcome.outcome === "refused" && outcome.message).toMatch(/not linked to a JupyterHub user/);
  });
});

describe("logins that prove who they are", () => {
  let resources: RecordedResource[];
  beforeAll(async () => {
    resources = await declared(
      config({
        users: {
          ada: { identities: { github: { userId: "583231", username: "ada-l" }, google: { userId: "104500000000000000001" } } },
          grace: { identities: { github: { userId: "1024" } } },
        },
      }),
    );
  });

  it("logs ada in by her GitHub id and by her Google sub, whatever the login name or email says", () => {
    expect(brokerLogin(resources, { idp: "github", id: "583231", username: "renamed-later", email: "new@example.test" })).toEqual({
      outcome: "login",
      user: "ada",
      via: "linked identity",
    });
    expect(brokerLogin(resources, { idp: "google", id: "104500000000000000001", username: "ada@example.test", email: "ada@example.test" })).toEqual({
      outcome: "login",
      user: "ada",
      via: "linked identity",
    });
  });

  it("still refuses a GitHub account named `ada` with another id", () => {
    expect(brokerLogin(resources, { idp: "github", id: "9000001", username: "ada", email: "ada@example.test" })).toMatchObject(refused);
  });

  it("does not take one provider's id for another's", () => {
    expect(brokerLogin(resources, { idp: "google", id: "583231", username: "x@example.test" })).toMatchObject(refused);
  });

  it("logs grace in by her GitHub id only", () => {
    expect(brokerLogin(resources, { idp: "github", id: "1024", username: "grace" })).toMatchObject({ outcome: "login", user: "grace" });
    expect(brokerLogin(resources, { idp: "google", id: "1024", username: "grace@example.test", email: "grace@example.test" })).toMatchObject(refused);
  });
});

describe("an existing realm that already has users", () => {
  it("does not link a stranger to a user who was there before the stack either", async () => {
    const resources = await declared(config({ users: { ada: { existing: true } } }));
    const before = [{ username: "ada", email: "ada@example.test" }, { username: "bob", email: "bob@example.test" }];
    expect(brokerLogin(resources, { idp: "github", id: "9000005", username: "ada" }, before)).toMatchObject(refused);
    expect(brokerLogin(resources, { idp: "github", id: "9000006", username: "bob" }, before)).toMatchObject(refused);
    expect(brokerLogin(resources, { idp: "google", id: "9000007", username: "x", email: "ada@example.test", emailVerified: false }, before)).toMatchObject(refused);
  });
});

describe("the homelab stack with GitHub brokered as well", () => {
  let resources: RecordedResource[];
  beforeAll(async () => {
    const homelab = readStackConfig("homelab");
    const keycloak = homelab["jupyterhub:keycloak"] as RawConfig;
    ({ resources } = await renderStack({
      ...homelab,
      "jupyterhub:keycloak": {
        ...keycloak,
        identityProviders: { ...(keycloak.identityProviders as RawConfig), ...GITHUB },
        users: { maria: { identities: { github: { userId: "583231", username: "maria-s" }, google: { userId: "104500000000000000001" } } } },
      },
    }));
  });

  it("renders, with maria linked and a GitHub account named `maria` refused", () => {
    expect(brokerLogin(resources, { idp: "github", id: "583231", username: "maria-s" })).toMatchObject({ outcome: "login", user: "maria" });
    expect(brokerLogin(resources, { idp: "github", id: "9000008", username: "maria", email: "maria.santos@gmail.com" })).toMatchObject(refused);
    expect(brokerLogin(resources, { idp: "google", id: "9000009", username: "tomas", email: "maria.santos@gmail.com", emailVerified: false })).toMatchObject(
      refused,
    );
  });

  it("keeps the homelab realm on destroy", () => {
    expect(resources.find((r) => r.type === "keycloak:index/realm:Realm")?.retainOnDelete).toBe(true);
  });
});
