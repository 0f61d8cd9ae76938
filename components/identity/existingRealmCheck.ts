// An existing realm (keycloak.createRealm: false) is Keycloak's admin's, not the stack's: its
// settings are read at `pulumi up` and the ones the hub cannot live with are refused.
import type * as keycloak from "@pulumi/keycloak";

const WHAT_TO_DO = "turn it off in the realm, or let the stack create a realm of its own (createRealm: true)";

/**
 * Why the realm lets a user change their own username, which the hub keys homes, Vault secrets and
 * SSH on: a user could take a former user's name (the stack deleted that Keycloak account) or a
 * renamed user's earlier one, and log in to that hub account with its home. Keycloak lets a user
 * edit their username when `editUsernameAllowed` is on (userprofile/DeclarativeUserProfileProviderFactory
 * editUsernameCondition; validator/UsernameMutationValidator refuses it otherwise), and with
 * `registrationEmailAsUsername` the username follows the email the user may edit
 * (userprofile/DefaultAttributes normalizeAttributes: setUserName(email)).
 */
export function selfRenameProblems(realm: Pick<keycloak.GetRealmResult, "editUsernameAllowed" | "registrationEmailAsUsername">): string[] {
  return [
    ...(realm.editUsernameAllowed
      ? [`lets users change their own username (Realm settings, Login: Edit username), and the hub keys homes on it: a user could take a former user's name and home; ${WHAT_TO_DO}`]
      : []),
    ...(realm.registrationEmailAsUsername
      ? [`uses the email as username (Realm settings, Login: Email as username), so a user who changes their email changes their username, and the hub keys homes on it; ${WHAT_TO_DO}`]
      : []),
  ];
}
