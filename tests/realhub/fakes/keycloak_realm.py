"""The realm the fake Keycloak (keycloak.py) serves, built from what a stack declares: the
`keycloak:*` resources of `npm run render -- <stack>` (resources.json), read the way Keycloak and
its Terraform provider (keycloak/terraform-provider-keycloak, which @pulumi/keycloak wraps) apply
them. A resource type, or a field, this module does not know fails loudly: a realm built from a
guess would let the real-hub tier pass against a Keycloak that does not exist.

Ids. Under Pulumi's mocks a resource's id is the placeholder "<name>-id" (offline/mockRuntime.ts);
in a preview render it is unknown, and resources.json holds nothing (a list holds null) where it
was. A reference is resolved by that placeholder, and failing that by the resource's `dependsOn`
(the one resource of the wanted type it waits for); anything else is an error.

What the claims follow (keycloak/keycloak, services/src/main/java/org/keycloak/...):
- protocol/oidc/mappers/UserClientRoleMappingMapper.java: the roles of ONE client
  (clientIdForRoleMappings) the user holds, directly or through groups
  (utils/RoleResolveUtil.getResolvedClientRoles); none: no claim at all. clientRolePrefix is put
  before each name.
- protocol/oidc/mappers/OIDCAttributeMapperHelper.mapAttributeValue: multivalued: a JSON list of
  the names; single-valued: ONE of them (the first of a Java HashSet: arbitrary; here the first
  in sorted order), with a warning in Keycloak's log. claimValueType String leaves names as they
  are.
- AbstractUserRoleMappingMapper.mapClaim / utils/JsonUtils.splitClaimPath: a claim name with
  unescaped dots is a path of nested objects ("a.b" -> {"a": {"b": ...}}); "\\." is a literal dot.
- The realm's default client scopes: `profile` (preferred_username; given_name, family_name and
  name only when set), `email` (email when set, email_verified always), `basic` (sub, Keycloak
  25+). A new realm gives every client these as defaults, so they do not depend on `scope`.
- Usernames are stored in lower case (models/jpa/UserAdapter.setUsername lower-cases).
"""

import re
import uuid
from dataclasses import dataclass, field

KEYCLOAK_PREFIX = "keycloak:"

REALM = "keycloak:index/realm:Realm"
CLIENT = "keycloak:openid/client:Client"
CLIENT_ROLE_MAPPER = "keycloak:openid/userClientRoleProtocolMapper:UserClientRoleProtocolMapper"
USER = "keycloak:index/user:User"
GROUP = "keycloak:index/group:Group"
ROLE = "keycloak:index/role:Role"
GROUP_ROLES = "keycloak:index/groupRoles:GroupRoles"
GROUP_MEMBERSHIPS = "keycloak:index/groupMemberships:GroupMemberships"
GOOGLE = "keycloak:oidc/googleIdentityProvider:GoogleIdentityProvider"
GITHUB = "keycloak:oidc/githubIdentityProvider:GithubIdentityProvider"
FLOW = "keycloak:authentication/flow:Flow"
EXECUTION = "keycloak:authentication/execution:Execution"
EXECUTION_CONFIG = "keycloak:authentication/executionConfig:ExecutionConfig"

# Every input field each type may carry, and what the fake does with it. A field not listed is
# an error: it may change what Keycloak does in a way the fake would not.
KNOWN_FIELDS = {
    REALM: {
        "realm", "enabled", "displayName", "registrationAllowed", "editUsernameAllowed", "loginWithEmailAllowed",
        "duplicateEmailsAllowed", "ssoSessionIdleTimeout", "ssoSessionMaxLifespan", "accessTokenLifespan",
        "accessCodeLifespan",
    },
    CLIENT: {
        "realmId", "clientId", "name", "enabled", "accessType", "standardFlowEnabled", "implicitFlowEnabled",
        "directAccessGrantsEnabled", "serviceAccountsEnabled", "pkceCodeChallengeMethod", "rootUrl", "baseUrl",
        "validRedirectUris", "validPostLogoutRedirectUris", "webOrigins", "clientSecret", "fullScopeAllowed",
    },
    CLIENT_ROLE_MAPPER: {
        "realmId", "clientId", "name", "claimName", "claimValueType", "multivalued", "clientIdForRoleMappings",
        "clientRolePrefix", "addToIdToken", "addToAccessToken", "addToUserinfo",
    },
    USER: {"realmId", "username", "email", "emailVerified", "enabled", "firstName", "lastName", "federatedIdentities"},
    GROUP: {"realmId", "name"},
    ROLE: {"realmId", "clientId", "name", "description"},
    GROUP_ROLES: {"realmId", "groupId", "roleIds", "exhaustive"},
    GROUP_MEMBERSHIPS: {"realmId", "groupId", "members"},
    GOOGLE: {
        "realm", "alias", "clientId", "clientSecret", "firstBrokerLoginFlowAlias", "trustEmail", "syncMode",
        "storeToken", "linkOnly", "hostedDomain", "enabled",
    },
    GITHUB: {
        "realm", "alias", "clientId", "clientSecret", "firstBrokerLoginFlowAlias", "trustEmail", "syncMode",
        "storeToken", "linkOnly", "enabled",
    },
    FLOW: {"realmId", "alias", "description", "providerId"},
    EXECUTION: {"realmId", "parentFlowAlias", "authenticator", "requirement", "priority"},
    EXECUTION_CONFIG: {"realmId", "executionId", "alias", "config"},
}

# Keycloak's message for deny-access-authenticator without a configured one (Messages.ACCESS_DENIED).
ACCESS_DENIED_MESSAGE = "Access denied"


class RealmError(ValueError):
    """The stack's Keycloak resources say something this fake does not model."""


@dataclass
class Role:
    name: str
    client_id: str | None  # the clientId (not the internal id) of the client it belongs to; None: a realm role
    description: str = ""


@dataclass
class Client:
    client_id: str
    secret: str | None  # None: a public client
    enabled: bool = True
    bearer_only: bool = False
    standard_flow: bool = True
    implicit_flow: bool = False
    direct_access_grants: bool = False
    service_accounts: bool = False
    pkce_method: str | None = None
    root_url: str | None = None
    redirect_uris: list = field(default_factory=list)
    post_logout_redirect_uris: list = field(default_factory=list)
    web_origins: list = field(default_factory=list)
    roles: dict = field(default_factory=dict)  # name -> Role


@dataclass
class User:
    username: str
    id: str
    email: str | None = None
    email_verified: bool = False
    enabled: bool = True
    first_name: str | None = None
    last_name: str | None = None
    # (identity provider alias, the provider's user id) -> the provider username stored with the link
    links: dict = field(default_factory=dict)
    # A user the realm already had (keycloak.users.<name>.existing): the stack names them in
    # groups but declares nothing else, so the fake knows only the username.
    existing: bool = False


@dataclass
class Group:
    name: str
    members: set = field(default_factory=set)  # usernames
    roles: set = field(default_factory=set)  # (client_id or None, role name)


@dataclass
class ClientRoleMapper:
    name: str
    client_id: str  # the client the mapper is on
    claim_name: str
    roles_of: str  # clientIdForRoleMappings
    prefix: str = ""
    multivalued: bool = False
    value_type: str = "String"
    id_token: bool = True
    access_token: bool = True
    userinfo: bool = True


@dataclass
class IdentityProvider:
    alias: str
    first_login_flow: str
    enabled: bool = True
    hosted_domain: str | None = None


@dataclass
class FirstLoginFlow:
    """A first broker login flow of a single deny-access-authenticator: every first login is refused."""

    alias: str
    deny_message: str = ACCESS_DENIED_MESSAGE


@dataclass
class Realm:
    name: str
    enabled: bool = True
    display_name: str | None = None
    login_with_email: bool = True
    # Keycloak's defaults for a new realm (RealmManager / the admin console's defaults).
    sso_idle_timeout: int = 1800
    sso_max_lifespan: int = 36000
    access_token_lifespan: int = 300
    access_code_lifespan: int = 60
    clients: dict = field(default_factory=dict)  # clientId -> Client
    users: dict = field(default_factory=dict)  # username -> User
    groups: dict = field(default_factory=dict)  # name -> Group
    mappers: list = field(default_factory=list)  # ClientRoleMapper
    identity_providers: dict = field(default_factory=dict)  # alias -> IdentityProvider
    flows: dict = field(default_factory=dict)  # alias -> FirstLoginFlow

    # --- who is who --------------------------------------------------------------------------

    def find_user(self, typed):
        """The user a person means by what they type in the username field: a username, or an
        email when the realm allows login with email (KeycloakModelUtils.findUserByNameOrEmail)."""
        typed = (typed or "").strip().lower()
        if typed in self.users:
            return self.users[typed]
        if self.login_with_email and "@" in typed:
            for user in self.users.values():
                if user.email and user.email.lower() == typed:
                    return user
        return None

    def linked_user(self, alias, provider_user_id):
        """The user a brokered account is linked to (IdentityBrokerService: getUserByFederatedIdentity)."""
        for user in self.users.values():
            if (alias, provider_user_id) in user.links:
                return user
        return None

    def client_roles(self, username, client_id):
        """Role names of one client a user holds through their groups."""
        return sorted(
            {name for group in self.groups.values() if username in group.members for (owner, name) in group.roles if owner == client_id}
        )

    def groups_of(self, username):
        return sorted(group.name for group in self.groups.values() if username in group.members)

    # --- what a test changes ---------------------------------------------------------------

    def disable(self, username):
        self.users[username].enabled = False

    def remove_member(self, group, username):
        self.groups[group].members.discard(username)

    # --- claims ------------------------------------------------------------------------------

    def user_claims(self, user):
        """The claims of the default client scopes (basic, profile, email) for this user."""
        claims = {"sub": user.id, "email_verified": bool(user.email_verified)}
        names = [n for n in (user.first_name, user.last_name) if n]
        if names:
            claims["name"] = " ".join(names)
        claims["preferred_username"] = user.username
        if user.first_name:
            claims["given_name"] = user.first_name
        if user.last_name:
            claims["family_name"] = user.last_name
        if user.email:
            claims["email"] = user.email
        return claims

    def mapper_claims(self, user, client_id, token):
        """The client role mappers' claims for a token of `client_id` ("id", "access" or "userinfo")."""
        claims = {}
        for mapper in self.mappers:
            if mapper.client_id != client_id or not getattr(mapper, {"id": "id_token", "access": "access_token", "userinfo": "userinfo"}[token]):
                continue
            roles = [mapper.prefix + role for role in self.client_roles(user.username, mapper.roles_of)]
            if not roles:
                continue  # RoleResolveUtil found no access for that client: no claim
            set_claim(claims, mapper.claim_name, roles if mapper.multivalued else roles[0])
        return claims


def split_claim_path(name):
    """utils/JsonUtils.splitClaimPath: unescaped dots separate nested claims; "\\." is a dot."""
    parts, current, index = [], "", 0
    while index < len(name):
        char = name[index]
        if char == "\\" and index + 1 < len(name) and name[index + 1] == ".":
            current += "."
            index += 2
            continue
        if char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
        index += 1
    parts.append(current)
    return parts


def set_claim(claims, name, value):
    path = split_claim_path(name)
    target = claims
    for component in path[:-1]:
        target = target.setdefault(component, {})
    last = target.get(path[-1])
    if isinstance(last, list) and isinstance(value, list):
        last.extend(value)  # another mapper's roles join the same claim
    else:
        target[path[-1]] = value


def keycloak_duration(value, key):
    """Seconds from the provider's Go-style durations ("3600s", "12h", "1h30m")."""
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", str(value))
    if not match or not any(match.groups()):
        raise RealmError(f"{key}: {value!r} is not a duration the Keycloak provider takes (e.g. 3600s)")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def stable_user_id(realm, username):
    """A user's id (Keycloak: a random UUID given at creation), stable across runs for the same realm."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"keycloak:{realm}:user:{username}"))


class _Resources:
    """The stack's Keycloak resources, and how one names another."""

    def __init__(self, resources):
        self.all = [r for r in resources if str(r.get("type", "")).startswith(KEYCLOAK_PREFIX)]
        for resource in self.all:
            known = KNOWN_FIELDS.get(resource["type"])
            if known is None:
                raise RealmError(f"{resource['type']} ({resource['name']}): the fake Keycloak does not model this resource type")
            unknown = sorted(set(resource.get("inputs", {})) - known)
            if unknown:
                raise RealmError(f"{resource['type']} ({resource['name']}): fields the fake Keycloak does not model: {', '.join(unknown)}")
        self.by_placeholder = {f"{r['name']}-id": r for r in self.all}
        self.by_reference = {f"{r['type']}::{r['name']}": r for r in self.all}

    def of(self, kind):
        return [r for r in self.all if r["type"] == kind]

    def resolve(self, resource, value, kind, what):
        """The resource of type `kind` that `value` (an id) names, in `resource`'s field `what`."""
        target = self.by_placeholder.get(value) if isinstance(value, str) else None
        if target is not None:
            if target["type"] != kind:
                raise RealmError(f"{resource['name']}.{what} names {target['type']} {target['name']}, not a {kind}")
            return target
        if value is not None:
            raise RealmError(f"{resource['name']}.{what} = {value!r} names no {kind} of this stack")
        # Unknown in a preview: the one resource of that type this one waits for.
        candidates = [self.by_reference[d] for d in resource.get("dependsOn", []) if d.startswith(f"{kind}::") and d in self.by_reference]
        if len(candidates) != 1:
            raise RealmError(f"{resource['name']}.{what} is unknown and dependsOn names {len(candidates)} {kind}s, not one")
        return candidates[0]

    def resolve_all(self, resource, values, kind, what):
        values = list(values or [])
        if all(isinstance(v, str) for v in values):
            return [self.resolve(resource, v, kind, what) for v in values]
        candidates = [self.by_reference[d] for d in resource.get("dependsOn", []) if d.startswith(f"{kind}::") and d in self.by_reference]
        if len(candidates) != len(values):
            raise RealmError(f"{resource['name']}.{what} holds unknown ids and dependsOn names {len(candidates)} {kind}s for {len(values)}")
        return candidates


def realm_from_resources(resources, client_secret):
    """The realm a stack's Keycloak resources make (resources.json as a list); `client_secret` is
    the hub client's secret, which Keycloak generates and the render only shows as "[secret]"."""
    found = _Resources(resources)
    if not found.all:
        raise RealmError("the stack declares no Keycloak resources (no jupyterhub:keycloak block?)")
    realm = _realm(found)

    clients_by_resource = {}
    for resource in found.of(CLIENT):
        client = _client(resource["inputs"], resource["name"], client_secret)
        if client.client_id in realm.clients:
            raise RealmError(f"two clients with clientId {client.client_id}")
        realm.clients[client.client_id] = client
        clients_by_resource[resource["name"]] = client
    if sum(1 for c in realm.clients.values() if c.secret is not None) > 1:
        raise RealmError("more than one confidential client: realm_from_resources takes one client secret")

    roles_by_resource = {}
    for resource in found.of(ROLE):
        inputs = resource["inputs"]
        owner = None
        if "clientId" in inputs:
            owner = clients_by_resource[found.resolve(resource, inputs["clientId"], CLIENT, "clientId")["name"]].client_id
        role = Role(name=inputs["name"], client_id=owner, description=inputs.get("description", ""))
        if owner is not None:
            if role.name in realm.clients[owner].roles:
                raise RealmError(f"two roles {role.name} on client {owner}")
            realm.clients[owner].roles[role.name] = role
        roles_by_resource[resource["name"]] = role

    for resource in found.of(USER):
        user = _user(realm.name, resource["inputs"], resource["name"])
        if user.username in realm.users:
            raise RealmError(f"two users named {user.username}")
        realm.users[user.username] = user

    groups_by_resource = {}
    for resource in found.of(GROUP):
        group = Group(name=resource["inputs"]["name"])
        if group.name in realm.groups:
            raise RealmError(f"two top-level groups named {group.name}")
        realm.groups[group.name] = group
        groups_by_resource[resource["name"]] = group

    for resource in found.of(GROUP_ROLES):
        inputs = resource["inputs"]
        group = groups_by_resource[found.resolve(resource, inputs.get("groupId"), GROUP, "groupId")["name"]]
        for role_resource in found.resolve_all(resource, inputs.get("roleIds"), ROLE, "roleIds"):
            role = roles_by_resource[role_resource["name"]]
            group.roles.add((role.client_id, role.name))

    with_members = set()
    for resource in found.of(GROUP_MEMBERSHIPS):
        inputs = resource["inputs"]
        group = groups_by_resource[found.resolve(resource, inputs.get("groupId"), GROUP, "groupId")["name"]]
        if group.name in with_members:
            # The provider's group_memberships owns the whole member list of its group.
            raise RealmError(f"two GroupMemberships for group {group.name}")
        with_members.add(group.name)
        for member in inputs.get("members", []):
            username = member.lower()
            if username not in realm.users:
                # Named, not declared: a user the existing realm already has (keycloak.users.<name>.existing).
                realm.users[username] = User(username=username, id=stable_user_id(realm.name, username), existing=True)
            group.members.add(username)

    for resource in found.of(CLIENT_ROLE_MAPPER):
        realm.mappers.append(_client_role_mapper(found, resource, clients_by_resource, realm))

    realm.flows = _first_login_flows(found)
    for resource in found.of(GOOGLE) + found.of(GITHUB):
        provider = _identity_provider(resource, realm)
        if provider.alias in realm.identity_providers:
            raise RealmError(f"two identity providers with alias {provider.alias}")
        realm.identity_providers[provider.alias] = provider
    for user in realm.users.values():
        for alias, _ in user.links:
            if alias not in realm.identity_providers:
                raise RealmError(f"user {user.username} is linked to identity provider {alias!r}, which the stack does not declare")
    return realm


def _realm_names(found):
    names = set()
    for resource in found.all:
        inputs = resource["inputs"]
        name = inputs.get("realm") if resource["type"] in (REALM, GOOGLE, GITHUB) else inputs.get("realmId")
        if name is None:
            raise RealmError(f"{resource['name']}: realm unknown (a preview render?): render the stack without --preview")
        names.add(name)
    return names


def _realm(found):
    names = _realm_names(found)
    if len(names) != 1:
        raise RealmError(f"the stack's Keycloak resources name several realms: {sorted(names)}")
    (name,) = names
    realm = Realm(name=name)
    declared = found.of(REALM)
    if len(declared) > 1:
        raise RealmError("more than one keycloak Realm resource")
    if declared:
        # A realm the stack creates; without one it names an existing realm, whose settings the
        # stack does not say, and the fake keeps Keycloak's defaults.
        inputs = declared[0]["inputs"]
        realm.enabled = inputs.get("enabled", True)
        realm.display_name = inputs.get("displayName")
        realm.login_with_email = inputs.get("loginWithEmailAllowed", True)
        for key, attribute in (
            ("ssoSessionIdleTimeout", "sso_idle_timeout"),
            ("ssoSessionMaxLifespan", "sso_max_lifespan"),
            ("accessTokenLifespan", "access_token_lifespan"),
            ("accessCodeLifespan", "access_code_lifespan"),
        ):
            if key in inputs:
                setattr(realm, attribute, keycloak_duration(inputs[key], key))
    return realm


def _client(inputs, name, client_secret):
    access = inputs.get("accessType")
    if access not in ("CONFIDENTIAL", "PUBLIC", "BEARER-ONLY"):
        raise RealmError(f"client {name}: accessType {access!r} is not CONFIDENTIAL, PUBLIC or BEARER-ONLY")
    if access == "CONFIDENTIAL" and not client_secret:
        raise RealmError(f"client {name} is confidential: pass its secret to realm_from_resources")
    if inputs.get("fullScopeAllowed") is False:
        # Keycloak then keeps other clients' roles out of tokens; this client's own roles stay
        # (TokenManager.getAccess), which is all the mappers here read. Not modelled further.
        pass
    return Client(
        client_id=inputs["clientId"],
        secret=client_secret if access == "CONFIDENTIAL" else None,
        enabled=inputs.get("enabled", True),
        bearer_only=access == "BEARER-ONLY",
        standard_flow=inputs.get("standardFlowEnabled", False),
        implicit_flow=inputs.get("implicitFlowEnabled", False),
        direct_access_grants=inputs.get("directAccessGrantsEnabled", False),
        service_accounts=inputs.get("serviceAccountsEnabled", False),
        pkce_method=inputs.get("pkceCodeChallengeMethod") or None,
        root_url=inputs.get("rootUrl"),
        redirect_uris=list(inputs.get("validRedirectUris", [])),
        post_logout_redirect_uris=list(inputs.get("validPostLogoutRedirectUris", [])),
        web_origins=list(inputs.get("webOrigins", [])),
    )


def _user(realm_name, inputs, name):
    username = inputs["username"].lower()
    links = {}
    for link in inputs.get("federatedIdentities", []):
        unknown = sorted(set(link) - {"identityProvider", "userId", "userName"})
        if unknown:
            raise RealmError(f"user {name}: federated identity fields not modelled: {', '.join(unknown)}")
        links[(link["identityProvider"], link["userId"])] = link.get("userName")
    return User(
        username=username,
        id=stable_user_id(realm_name, username),
        email=inputs.get("email") or None,
        email_verified=inputs.get("emailVerified", False),
        enabled=inputs.get("enabled", True),
        first_name=inputs.get("firstName") or None,
        last_name=inputs.get("lastName") or None,
        links=links,
    )


def _client_role_mapper(found, resource, clients_by_resource, realm):
    inputs = resource["inputs"]
    client = clients_by_resource[found.resolve(resource, inputs.get("clientId"), CLIENT, "clientId")["name"]]
    roles_of = inputs.get("clientIdForRoleMappings")
    if not roles_of:
        raise RealmError(f"mapper {resource['name']}: without clientIdForRoleMappings Keycloak maps every client's roles; not modelled")
    if roles_of not in realm.clients:
        raise RealmError(f"mapper {resource['name']}: clientIdForRoleMappings {roles_of!r} is no client of this stack")
    value_type = inputs.get("claimValueType", "String")
    if value_type != "String":
        raise RealmError(f"mapper {resource['name']}: claimValueType {value_type!r} not modelled (role names are Strings)")
    return ClientRoleMapper(
        name=inputs["name"],
        client_id=client.client_id,
        claim_name=inputs["claimName"],
        roles_of=roles_of,
        prefix=inputs.get("clientRolePrefix") or "",
        multivalued=inputs.get("multivalued", False),
        value_type=value_type,
        id_token=inputs.get("addToIdToken", True),
        access_token=inputs.get("addToAccessToken", True),
        userinfo=inputs.get("addToUserinfo", True),
    )


def _first_login_flows(found):
    executions = {}
    for resource in found.of(EXECUTION):
        inputs = resource["inputs"]
        if inputs.get("authenticator") != "deny-access-authenticator" or inputs.get("requirement") != "REQUIRED":
            raise RealmError(
                f"execution {resource['name']}: only a REQUIRED deny-access-authenticator is modelled, not "
                f"{inputs.get('requirement')} {inputs.get('authenticator')}"
            )
        executions[resource["name"]] = (inputs.get("parentFlowAlias"), ACCESS_DENIED_MESSAGE)
    for resource in found.of(EXECUTION_CONFIG):
        execution = found.resolve(resource, resource["inputs"].get("executionId"), EXECUTION, "executionId")
        config = resource["inputs"].get("config", {})
        unknown = sorted(set(config) - {"denyErrorMessage"})
        if unknown:
            raise RealmError(f"execution config {resource['name']}: keys not modelled: {', '.join(unknown)}")
        parent, _ = executions[execution["name"]]
        executions[execution["name"]] = (parent, config.get("denyErrorMessage", ACCESS_DENIED_MESSAGE))
    flows = {}
    for resource in found.of(FLOW):
        alias = resource["inputs"]["alias"]
        if resource["inputs"].get("providerId", "basic-flow") != "basic-flow":
            raise RealmError(f"flow {alias}: providerId {resource['inputs']['providerId']!r} not modelled")
        steps = [message for parent, message in executions.values() if parent == alias]
        if len(steps) != 1:
            raise RealmError(f"flow {alias}: {len(steps)} executions; only a flow of one deny-access-authenticator is modelled")
        flows[alias] = FirstLoginFlow(alias=alias, deny_message=steps[0])
    orphans = [parent for parent, _ in executions.values() if parent not in flows]
    if orphans:
        raise RealmError(f"executions in flows the stack does not declare: {sorted(set(orphans))}")
    return flows


def _identity_provider(resource, realm):
    inputs = resource["inputs"]
    if inputs.get("linkOnly"):
        raise RealmError(f"identity provider {inputs['alias']}: linkOnly not modelled")
    flow = inputs.get("firstBrokerLoginFlowAlias")
    if flow not in realm.flows:
        # Keycloak's built-in "first broker login" flow reviews, matches by email/username and
        # links or creates users: the fake does not model it (and the stack must not use it).
        raise RealmError(f"identity provider {inputs['alias']}: first broker login flow {flow!r} is not a flow of this stack")
    return IdentityProvider(alias=inputs["alias"], first_login_flow=flow, enabled=inputs.get("enabled", True), hosted_domain=inputs.get("hostedDomain"))
