// What Keycloak does with a login through a brokered identity provider, given the Keycloak
// resources a stack declares: a small model of upstream's code, so a test can state an attack
// ("GitHub account `maria` signs in") and get Keycloak's answer for exactly what we declare.
//
// Modelled from keycloak/keycloak (services/src/main/java/org/keycloak/...):
// - services/resources/IdentityBrokerService.java, authenticated(): the user linked to
//   (provider alias, the provider's user id) logs in directly (getUserByFederatedIdentity);
//   only an unlinked identity goes through the IdP's first-broker-login flow; linkOnly refuses.
// - authentication/authenticators/broker/IdpCreateUserIfUniqueAuthenticator.java,
//   checkExistingUser(): an existing user is found by the brokered email (when duplicate emails
//   are not allowed), by a username equal to that email (login with email), then by the brokered
//   USERNAME, then by an email equal to that username. Nothing in it reads whether the email was
//   verified.
// - .../IdpDetectExistingBrokerUserAuthenticator.java: that match, or an error page.
// - .../IdpAutoLinkAuthenticator.java: logs in as the matched user, no question asked.
// - .../IdpCreateUserIfUniqueAuthenticator.java authenticateImpl(): creates a user when nothing
//   matched; a REQUIRED one shows an error page when something did.
// - authentication/authenticators/access/DenyAccessAuthenticator.java: always an error page,
//   with the execution config's `denyErrorMessage`.
// Anything else (subflows, other requirements, other authenticators) throws: the model must not
// pass a flow it does not understand.
import type { RecordedResource } from "../harness/recordedResource";

/** What the identity provider hands Keycloak (BrokeredIdentityContext). */
export interface BrokeredIdentity {
  /** The identity provider's alias in the realm. */
  readonly idp: string;
  /** The provider's immutable user id: GitHub's numeric `id`, Google's `sub`. */
  readonly id: string;
  /** GitHub: the `login`; Google: `preferred_username`, else the email. */
  readonly username: string;
  readonly email?: string;
  /** Whether the provider verified the email; Keycloak's matching never looks (see above). */
  readonly emailVerified?: boolean;
}

export interface RealmUser {
  readonly username: string;
  readonly email?: string;
  readonly enabled?: boolean;
  readonly federatedIdentities?: readonly { identityProvider: string; userId: string }[];
}

export type LoginOutcome =
  | { readonly outcome: "login"; readonly user: string; readonly via: "linked identity" | "auto-link" | "new user" }
  | { readonly outcome: "refused"; readonly message: string };

const IDP_TYPES: Record<string, string> = {
  "keycloak:oidc/githubIdentityProvider:GithubIdentityProvider": "github",
  "keycloak:oidc/googleIdentityProvider:GoogleIdentityProvider": "google",
};

const of = (resources: readonly RecordedResource[], type: string) => resources.filter((r) => r.type === type);

/** Users of the realm: the ones the stack declares, plus any that were there before it. */
export function realmUsers(resources: readonly RecordedResource[], preExisting: readonly RealmUser[] = []): RealmUser[] {
  const declared = of(resources, "keycloak:index/user:User")
    .filter((r) => r.inputs.import !== true)
    .map((r) => ({
      username: String(r.inputs.username),
      email: r.inputs.email as string | undefined,
      enabled: r.inputs.enabled as boolean | undefined,
      federatedIdentities: (r.inputs.federatedIdentities as RealmUser["federatedIdentities"]) ?? [],
    }));
  return [...preExisting, ...declared];
}

export function brokerLogin(
  resources: readonly RecordedResource[],
  identity: BrokeredIdentity,
  preExisting: readonly RealmUser[] = [],
): LoginOutcome {
  const idp = Object.entries(IDP_TYPES)
    .flatMap(([type, defaultAlias]) => of(resources, type).map((r) => ({ r, alias: (r.inputs.alias as string | undefined) ?? defaultAlias })))
    .find(({ alias }) => alias === identity.idp)?.r;
  if (!idp) return { outcome: "refused", message: `no identity provider '${identity.idp}' in the realm` };
  if (idp.inputs.enabled === false) return { outcome: "refused", message: "identity provider disabled" };

  const realm = of(resources, "keycloak:index/realm:Realm")[0]?.inputs ?? {};
  // Keycloak's defaults for a realm this stack does not create.
  const duplicateEmailsAllowed = realm.duplicateEmailsAllowed === true;
  const loginWithEmailAllowed = realm.loginWithEmailAllowed !== false;
  const users = realmUsers(resources, preExisting);
  const lower = (s: string | undefined) => s?.toLowerCase();

  const linked = users.find((u) => u.federatedIdentities?.some((f) => f.identityProvider === identity.idp && f.userId === identity.id));
  if (idp.inputs.linkOnly === true) return { outcome: "refused", message: "link only" };
  if (linked) {
    return linked.enabled === false ? { outcome: "refused", message: "account disabled" } : { outcome: "login", user: linked.username, via: "linked identity" };
  }

  // IdpCreateUserIfUniqueAuthenticator.checkExistingUser, in upstream's order.
  const checkExistingUser = (): RealmUser | undefined => {
    const email = lower(identity.email);
    const username = lower(identity.username)!;
    if (email && !duplicateEmailsAllowed) {
      const byEmail = users.find((u) => lower(u.email) === email);
      if (byEmail) return byEmail;
      if (loginWithEmailAllowed) {
        const byUsername = users.find((u) => u.username === email);
        if (byUsername) return byUsername;
      }
    }
    const byUsername = users.find((u) => u.username === username);
    if (byUsername) return byUsername;
    if (loginWithEmailAllowed && username.indexOf("@") > 0) return users.find((u) => lower(u.email) === username);
    return undefined;
  };

  const flowAlias = idp.inputs.firstBrokerLoginFlowAlias as string | undefined;
  if (!flowAlias) throw new Error("not modelled: Keycloak's built-in 'first broker login' flow");
  if (!of(resources, "keycloak:authentication/flow:Flow").some((f) => f.inputs.alias === flowAlias)) {
    throw new Error(`the identity provider names first-broker-login flow '${flowAlias}', which the stack does not declare`);
  }
  if (of(resources, "keycloak:authentication/subflow:Subflow").some((s) => s.inputs.parentFlowAlias === flowAlias)) {
    throw new Error("not modelled: subflows");
  }
  const executions = of(resources, "keycloak:authentication/execution:Execution")
    .filter((e) => e.inputs.parentFlowAlias === flowAlias)
    .sort((a, b) => Number(a.inputs.priority) - Number(b.inputs.priority));
  const configOf = (execution: RecordedResource) =>
    of(resources, "keycloak:authentication/executionConfig:ExecutionConfig").find((c) => c.inputs.executionId === `${execution.name}-id`)?.inputs
      .config as Record<string, string> | undefined;

  let existing: RealmUser | undefined;
  for (const execution of executions) {
    const { authenticator, requirement } = execution.inputs as { authenticator: string; requirement: string };
    if (requirement === "DISABLED") continue;
    if (requirement !== "REQUIRED") throw new Error(`not modelled: requirement ${requirement}`);
    switch (authenticator) {
      case "idp-detect-existing-broker-user":
        if (existing) continue;
        existing = checkExistingUser();
        if (!existing) return { outcome: "refused", message: "federatedIdentityUnavailableMessage" };
        continue;
      case "idp-create-user-if-unique": {
        if (existing) continue;
        const duplicate = checkExistingUser();
        if (duplicate) return { outcome: "refused", message: "federatedIdentityExistsMessage" };
        return { outcome: "login", user: lower(identity.username)!, via: "new user" };
      }
      case "idp-auto-link":
        if (!existing) throw new Error("Keycloak: idp-auto-link without an existing user fails the flow");
        return { outcome: "login", user: existing.username, via: "auto-link" };
      case "deny-access-authenticator":
        return { outcome: "refused", message: configOf(execution)?.denyErrorMessage ?? "access-denied" };
      default:
        throw new Error(`not modelled: authenticator ${authenticator}`);
    }
  }
  throw new Error(`first-broker-login flow '${flowAlias}' ended without a user`);
}
