// What `pulumi up` does to a realm's users when the stack's Keycloak users change: the engine's
// order of steps, and Keycloak's answer to each. A small model of upstream's code, so a test can
// run a rename and see whether Keycloak refuses it or a login breaks on the way.
//
// The engine (pulumi/pulumi pkg/resource/deploy/step_generator.go, GenerateSteps/generateSteps):
// - a resource registered under a URN (or an alias of one) the last state has is compared with it;
//   a change to a ForceNew input is a replace. A replace creates the new one at once and deletes
//   the old one after the program has finished (create-before-delete), unless
//   `deleteBeforeReplace`, which deletes the old one first. Dependents that only `dependsOn` it are
//   not replaced with it (calculateDependentReplacements looks at property dependencies only).
// - a resource the program no longer registers is deleted after the program has finished.
//
// The Keycloak provider (keycloak/terraform-provider-keycloak at pulumi-keycloak 6.13.0's
// submodule f1724f7, provider/resource_keycloak_user.go): `realm_id`, `username` and `import` are
// ForceNew; create is keycloak/user.go NewUser: POST /users, then one POST
// /users/{id}/federated-identity/{alias} per link.
//
// Keycloak (keycloak/keycloak, services/.../resources/admin/UsersResource.java createUser):
// 409 "User exists with same username", then, unless duplicateEmailsAllowed, 409 "User exists
// with same email". UserResource.addFederatedIdentity checks only whether *this* user has a link
// to that provider: a second user with the same (provider, provider's user id) is stored (the
// FEDERATED_IDENTITY table's key is (IDENTITY_PROVIDER, USER_ID), and its FEDERATED_USER_ID index is
// not unique), after which JpaUserProvider.getUserByFederatedIdentity throws "More results found
// for identityProvider=…" on every login through that link.
import type { RecordedResource } from "../harness/recordedResource";

const USER = "keycloak:index/user:User";
/** ForceNew inputs of keycloak_user (see above). */
const USER_FORCE_NEW = ["realmId", "username", "import"];

export interface StoredUser {
  readonly resource: string;
  readonly username: string;
  readonly email?: string;
  readonly links: readonly { identityProvider: string; userId: string }[];
}

export interface RealmState {
  readonly duplicateEmailsAllowed: boolean;
  users: StoredUser[];
}

export type Step = { readonly op: "create" | "delete"; readonly resource: string };

export interface UpdateRun {
  readonly steps: readonly Step[];
  /** The first 409 Keycloak answered, which ends `pulumi up` there. */
  readonly refused?: string;
  /** Links held by more than one user at some point: logins through them fail meanwhile. */
  readonly ambiguousLinks: readonly string[];
  readonly realm: RealmState;
}

const ref = (r: RecordedResource) => `${r.type}::${r.name}`;
const users = (resources: readonly RecordedResource[]) => resources.filter((r) => r.type === USER && r.inputs.import !== true);

/** The engine's steps for the stack's Keycloak users, from the last state's to the program's. */
export function userSteps(before: readonly RecordedResource[], after: readonly RecordedResource[]): Step[] {
  const old = new Map(users(before).map((r) => [ref(r), r]));
  const matched = new Set<string>();
  const now: Step[] = [];
  const atEnd: Step[] = [];
  for (const next of users(after)) {
    const previous = [ref(next), ...(next.aliases ?? [])].map((key) => old.get(key)).find((r) => r && !matched.has(ref(r)));
    if (!previous) {
      now.push({ op: "create", resource: ref(next) });
      continue;
    }
    matched.add(ref(previous));
    const replace = USER_FORCE_NEW.some((key) => JSON.stringify(previous.inputs[key]) !== JSON.stringify(next.inputs[key]));
    if (!replace) continue;
    if (next.deleteBeforeReplace) now.push({ op: "delete", resource: ref(previous) }, { op: "create", resource: ref(next) });
    else {
      now.push({ op: "create", resource: ref(next) });
      atEnd.push({ op: "delete", resource: ref(previous) });
    }
  }
  for (const key of old.keys()) if (!matched.has(key)) atEnd.push({ op: "delete", resource: key });
  return [...now, ...atEnd];
}

function stored(r: RecordedResource): StoredUser {
  const links = (r.inputs.federatedIdentities as StoredUser["links"] | undefined) ?? [];
  return {
    resource: ref(r),
    username: String(r.inputs.username),
    ...(r.inputs.email ? { email: String(r.inputs.email).toLowerCase() } : {}),
    links: links.map(({ identityProvider, userId }) => ({ identityProvider, userId })),
  };
}

/** Runs the steps against a realm holding the last state's users, as Keycloak answers them. */
export function runUpdate(before: readonly RecordedResource[], after: readonly RecordedResource[], duplicateEmailsAllowed = false): UpdateRun {
  const realm: RealmState = { duplicateEmailsAllowed, users: users(before).map(stored) };
  // The program's inputs win over the last state's for a resource registered under the same URN.
  const declared = new Map([...users(before), ...users(after)].map((r) => [ref(r), r]));
  const steps = userSteps(before, after);
  const ambiguous = new Set<string>();
  const done: Step[] = [];
  for (const step of steps) {
    done.push(step);
    if (step.op === "delete") {
      const index = realm.users.findIndex((u) => u.resource === step.resource);
      if (index >= 0) realm.users.splice(index, 1);
      continue;
    }
    const user = stored(declared.get(step.resource)!);
    if (realm.users.some((u) => u.username === user.username)) return { steps: done, refused: "User exists with same username", ambiguousLinks: [...ambiguous], realm };
    if (user.email && !realm.duplicateEmailsAllowed && realm.users.some((u) => u.email === user.email)) {
      return { steps: done, refused: "User exists with same email", ambiguousLinks: [...ambiguous], realm };
    }
    realm.users.push(user);
    for (const link of user.links) {
      const holders = realm.users.filter((u) => u.links.some((l) => l.identityProvider === link.identityProvider && l.userId === link.userId));
      if (holders.length > 1) ambiguous.add(`${link.identityProvider}:${link.userId}`);
    }
  }
  return { steps: done, ambiguousLinks: [...ambiguous], realm };
}
