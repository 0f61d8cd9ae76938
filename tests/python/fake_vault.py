"""A stand-in for the Vault HTTP API on 127.0.0.1, answering the endpoints the hub's hooks and the
notebook helper use with the response shapes and the rules Vault documents, inconvenient ones
included. It records every request, and runs on a clock of its own that only tests move
(advance()).

What it follows (hashicorp/vault; Vault's API docs, developer.hashicorp.com/vault/api-docs):
- Token roles (vault/token_store.go, the roles path): a role keeps its own fields and, of the
  common token fields, only token_bound_cidrs, token_explicit_max_ttl, token_period, token_type,
  token_no_default_policy and token_num_uses (tokenutil.AddTokenFieldsWithAllowList). Anything
  else a caller sends (token_ttl, token_max_ttl, token_policies) is ignored, with a warning;
  `ignored_role_fields` lists what was.
- Create against a role (handleCreateCommon): `ttl` from the request; the role's token_period or
  the request's (which needs sudo, refused here); explicit max the lesser of the role's and the
  request's; then framework.CalculateTTL (sdk/framework/lease.go): a period wins; else the ttl,
  else the mount's default lease TTL (768h unless tuned); capped by the mount's max lease TTL and
  the explicit max. So a create without `ttl` lives until the explicit max. entity_alias must
  match allowed_entity_aliases (globs allowed), or 400. A create names no policies here: the
  token gets the role's allowed_policies.
- Renewal (authRenew, ExpirationManager.RenewToken): CalculateTTL again with the lease's TTL (the
  one computed at create), the role's period and explicit max, from the token's issue time; a
  token past its TTL is gone, and refused with 403 like an unknown one.
- Response wrapping (vault/wrapping.go, "Response wrapping"): X-Vault-Wrap-TTL replaces the
  reply with `wrap_info` {token, accessor, ttl, creation_time, creation_path, wrapped_accessor =
  the new token's accessor}; sys/wrapping/unwrap with the wrapping token as X-Vault-Token answers
  the original reply once; used or expired: 400 "wrapping token is not valid or does not exist".
- Policies on the wrapping TTL (vault/acl.go AllowOperation): with min_wrapping_ttl on a path, a
  request without wrapping, or wrapped shorter than the minimum or longer than max_wrapping_ttl,
  is refused as permission denied. `hub_policy` is the hub's policy as paths and these limits.
- revoke-accessor (handleUpdateRevokeAccessor): 204; an accessor Vault does not know: 200 with
  the warning "No token found with this accessor"; no accessor: 400.
- A token Vault does not know, or no longer knows (revoked, expired), is refused with 403
  "permission denied" on every path (vault/request_handling.go).
- The user token role sets token_no_default_policy, so a user token may call only what the user
  policy grants (components/vault/vaultPolicies.ts, userPolicy): `user_policy_self_paths`
  mirrors its self-management blocks (lookup-self, renew-self; no revoke-self).
- The templated user policy reaches only <kv>/…/users/<the token's entity alias>/ and reads
  …/shared/; writes elsewhere get 403.
- `tls=(certfile, keyfile)` serves HTTPS with that certificate instead of HTTP; `host` and `port`
  bind it elsewhere than a free port on 127.0.0.1 (the real-hub tier's Vault at the stack's address).
"""

import datetime
import fnmatch
import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from loopback_server import LoopbackServer, refusing_port

HUB_TOKEN = "hvs.CAESIhub-token-for-tests-000000000"
SERVICE_ACCOUNT_JWT = "eyJhbGciOiJSUzI1NiJ9.service-account.signature"
DENIED = 403, {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}
SPENT_WRAPPING_TOKEN = 400, {"errors": ["wrapping token is not valid or does not exist"]}
# Vault's system default and max lease TTL, 32 days (what an untuned token mount uses).
SYSTEM_LEASE_TTL = 768 * 3600
HUB_LOGIN_TTL = 900
# The self-management blocks of userPolicy in components/vault/vaultPolicies.ts.
USER_POLICY_SELF_PATHS = {"auth/token/lookup-self", "auth/token/renew-self"}
# What a token role keeps (vault/token_store.go, the roles path's fields and its allow list).
TOKEN_ROLE_FIELDS = {
    "allowed_policies",
    "disallowed_policies",
    "allowed_policies_glob",
    "disallowed_policies_glob",
    "orphan",
    "period",
    "path_suffix",
    "explicit_max_ttl",
    "renewable",
    "bound_cidrs",
    "allowed_entity_aliases",
    "token_bound_cidrs",
    "token_explicit_max_ttl",
    "token_period",
    "token_type",
    "token_no_default_policy",
    "token_num_uses",
}


def user_token_for(alias, serial=0):
    """The token the fake mints for `alias`: serial 0 the first time, then 1, 2, …"""
    return f"hvs.CAESIuser-token-{alias}-{serial:010d}"


def accessor_for(alias, serial=0):
    return f"accessor-{alias}-{serial}"


def default_token_role(token_role="jupyterhub-user-jupyterhub", explicit_max_ttl=86400):
    """The user token role as components/vault/VaultAccess.ts declares it, in Vault's field names."""
    return {
        "allowed_policies": [token_role],
        "token_no_default_policy": True,
        "orphan": True,
        "renewable": True,
        "allowed_entity_aliases": ["*"],
        "token_type": "service",
        "token_explicit_max_ttl": explicit_max_ttl,
    }


def default_hub_policy(token_role="jupyterhub-user-jupyterhub", max_wrapping_ttl=600):
    """The hub's policy (components/vault/vaultPolicies.ts, hubPolicy) as paths and wrapping limits."""
    return {
        f"auth/token/create/{token_role}": {"min_wrapping_ttl": 1, "max_wrapping_ttl": max_wrapping_ttl},
        "auth/token/revoke-accessor": {},
    }


def parse_duration(value):
    """Seconds of a duration the way Vault reads one (parseutil.ParseDurationSecond): 90, "90", "90s", "15m", "1h30m"."""
    if value is None or value == "":
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    parts = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    if not parts or not any(parts.groups()):
        raise ValueError(f"time: invalid duration {text!r}")
    hours, minutes, seconds = (int(group or 0) for group in parts.groups())
    return hours * 3600 + minutes * 60 + seconds


class TtlError(Exception):
    pass


def calculate_ttl(mount_default, mount_max, increment, backend_ttl, period, backend_max_ttl, explicit_max_ttl, start, now):
    """framework.CalculateTTL (sdk/framework/lease.go), in whole seconds."""
    max_ttl = mount_max
    if 0 < backend_max_ttl < max_ttl:
        max_ttl = backend_max_ttl
    if 0 < explicit_max_ttl < max_ttl:
        max_ttl = explicit_max_ttl
    if max_ttl <= 0:
        raise TtlError("max TTL must be greater than zero")
    max_valid_time = None
    if period > 0:
        ttl = min(period, max_ttl)
        if explicit_max_ttl > 0:
            max_valid_time = start + explicit_max_ttl
    else:
        ttl = increment or backend_ttl or mount_default
        max_valid_time = start + max_ttl
    if max_valid_time is not None:
        max_valid_ttl = int(max_valid_time - now)
        if max_valid_ttl <= 0:
            raise TtlError("past the max TTL, cannot renew")
        ttl = min(ttl, max_valid_ttl)
    return int(ttl)


class FakeVault(LoopbackServer):
    def __init__(
        self,
        hub_role="jupyterhub-hub-jupyterhub",
        token_role="jupyterhub-user-jupyterhub",
        tls=None,
        role=None,
        hub_policy=None,
        default_lease_ttl=SYSTEM_LEASE_TTL,
        max_lease_ttl=SYSTEM_LEASE_TTL,
        hub_jwt=SERVICE_ACCOUNT_JWT,
        kubernetes_mount="kubernetes",
        host="127.0.0.1",
        port=0,
    ):
        self.hub_role = hub_role
        self.kubernetes_mount = kubernetes_mount
        self.token_role = token_role
        self.hub_jwt = hub_jwt
        sent = default_token_role(token_role) if role is None else dict(role)
        # What Vault keeps of the role; the rest it ignores (and warns about, which the provider does not show).
        self.role = {key: value for key, value in sent.items() if key in TOKEN_ROLE_FIELDS}
        self.ignored_role_fields = sorted(key for key in sent if key not in TOKEN_ROLE_FIELDS)
        self.hub_policy = default_hub_policy(token_role) if hub_policy is None else hub_policy
        self.default_lease_ttl = default_lease_ttl
        self.max_lease_ttl = max_lease_ttl
        self.requests = []
        self.headers = []
        self.deny_token_create = False
        self.revoked_hub_tokens = set()
        self.delay_seconds = 0.0
        self.kv = {}
        self.logins = 0
        self._epoch = float(int(time.time()))
        self._offset = 0.0
        self._hub_tokens = {}
        # Live user tokens: token -> entry; revoked or expired ones are forgotten.
        self.user_tokens = {}
        self.revoked_user_tokens = set()
        self.wrapping_tokens = {}
        self.user_policy_self_paths = set(USER_POLICY_SELF_PATHS)
        self._minted = {}
        self._wrapped = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY, as Vault has it (Go's net package sets it on every TCP connection): with
            # Nagle's algorithm on, an answer's body waited for the client's delayed ACK of its headers.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _reply(self, status, body=None):
                payload = json.dumps(body).encode() if body is not None else b""
                try:
                    self.send_response(status)
                    if payload:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw.strip() else None
                token = self.headers.get("X-Vault-Token")
                headers = {name: value for name, value in self.headers.items() if name.lower().startswith("x-vault-")}
                fake.requests.append((self.command, self.path, body, token))
                fake.headers.append(headers)
                if fake.delay_seconds:
                    time.sleep(fake.delay_seconds)
                with fake._lock:
                    status, reply = fake.route(self.command, self.path, body, token, headers)
                self._reply(status, reply)

            do_GET = do_POST = do_PUT = do_DELETE = do_LIST = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                connection, address = super().get_request()
                if tls_context is not None:
                    # The handshake happens in the handler's thread, on its first read.
                    connection = tls_context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False)
                return connection, address

            def handle_error(self, request, client_address):
                pass  # a client that refused our certificate, or gave up

        tls_context = None
        if tls:
            tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_context.load_cert_chain(*tls)
        self._listen(Handler, Server, host, port)
        scheme = "https" if tls else "http"
        self.address = f"{scheme}://{host}:{self.port}"

    # --- what tests look at and do ------------------------------------------------------------

    def now(self):
        """Vault's clock: stands still unless a test moves it, so leases are exact."""
        return self._epoch + self._offset

    def advance(self, seconds):
        """Move Vault's clock forward: leases run out as they would."""
        with self._lock:
            self._offset += seconds

    def seed_user_token(self, alias):
        """A live user token, as if minted through the role and unwrapped (for the notebook helper)."""
        with self._lock:
            return self._mint(alias, {})["client_token"]

    def seed_wrapped_token(self, alias, wrap_ttl=600, ttl=None):
        """A wrapped user token, as the hub's hook would hand it to a server: (wrapping token, accessor)."""
        with self._lock:
            auth = self._mint(alias, {"ttl": ttl} if ttl else {})
            wrap = self._wrap({"auth": auth}, wrap_ttl, f"auth/token/create/{self.token_role}", auth["accessor"])
            return wrap["token"], auth["accessor"]

    def is_live(self, token):
        with self._lock:
            return self._live_user(token) is not None

    def accessor_of(self, token):
        entry = self.user_tokens.get(token)
        return entry["accessor"] if entry else None

    def live_token_with_accessor(self, accessor):
        with self._lock:
            return self._token_by_accessor(accessor)

    def paths_requested(self, path):
        return [request for request in self.requests if request[1] == path]

    # --- Vault ----------------------------------------------------------------------------------

    def _live_user(self, token):
        entry = self.user_tokens.get(token)
        if entry is None:
            return None
        if self.now() >= entry["expires"]:
            del self.user_tokens[token]  # Vault's expiration manager revokes it
            return None
        return entry

    def _token_by_accessor(self, accessor):
        for token, entry in list(self.user_tokens.items()):
            if entry["accessor"] == accessor and self._live_user(token) is not None:
                return token
        return None

    def _role_explicit_max(self):
        return parse_duration(self.role.get("token_explicit_max_ttl") or self.role.get("explicit_max_ttl"))

    def _role_period(self):
        return parse_duration(self.role.get("token_period") or self.role.get("period"))

    def _mint(self, alias, body):
        """handleCreateCommon for a create against the role (the hub has no sudo)."""
        if parse_duration(body.get("period")) > 0:
            raise TtlError("root or sudo privileges required to create periodic token")
        now = self.now()
        explicit = parse_duration(body.get("explicit_max_ttl"))
        role_explicit = self._role_explicit_max()
        if role_explicit:
            explicit = role_explicit if not explicit else min(explicit, role_explicit)
        period = self._role_period()
        requested = parse_duration(body.get("ttl"))
        ttl = calculate_ttl(self.default_lease_ttl, self.max_lease_ttl, 0, requested, period, 0, explicit, now, now)
        serial = self._minted.get(alias, 0)
        self._minted[alias] = serial + 1
        token = user_token_for(alias, serial)
        renewable = body.get("renewable", True) is not False and bool(self.role.get("renewable", True))
        self.user_tokens[token] = {
            "alias": alias,
            "accessor": accessor_for(alias, serial),
            "serial": serial,
            # The lease's TTL (te.TTL after CalculateTTL), what a renewal starts from.
            "ttl": ttl,
            "issue": now,
            "expires": now + ttl,
            "creation_ttl": ttl,
            "renewable": renewable,
            "meta": body.get("meta") or {},
        }
        policies = list(self.role.get("allowed_policies") or [])
        return {
            "client_token": token,
            "accessor": accessor_for(alias, serial),
            "policies": policies,
            "token_policies": policies,
            "metadata": body.get("meta"),
            "lease_duration": ttl,
            "renewable": renewable,
            "orphan": bool(self.role.get("orphan")),
            "entity_id": f"entity-{alias}",
            "token_type": "service",
        }

    def _wrap(self, reply, wrap_ttl, creation_path, wrapped_accessor=None):
        self._wrapped += 1
        token = f"hvs.CAESIwrapping-token-{self._wrapped:06d}"
        created = self.now()
        self.wrapping_tokens[token] = {"response": reply, "expires": created + wrap_ttl}
        return {
            "token": token,
            "accessor": f"wrapping-accessor-{self._wrapped}",
            "ttl": wrap_ttl,
            "creation_time": datetime.datetime.fromtimestamp(created, datetime.timezone.utc).isoformat(),
            "creation_path": creation_path,
            **({"wrapped_accessor": wrapped_accessor} if wrapped_accessor else {}),
        }

    def _hub_allows(self, token, endpoint, wrap_ttl):
        """The hub token's ACL: its policy's paths, and their wrapping limits (vault/acl.go)."""
        if token not in self._hub_tokens or token in self.revoked_hub_tokens or self.now() >= self._hub_tokens[token]:
            return False
        rule = self.hub_policy.get(endpoint)
        if rule is None:
            return False
        maximum, minimum = rule.get("max_wrapping_ttl", 0), rule.get("min_wrapping_ttl", 0)
        if maximum and (not wrap_ttl or wrap_ttl > maximum):
            return False
        if minimum and (not wrap_ttl or wrap_ttl < minimum):
            return False
        return True

    def route(self, method, path, body, token, headers=None):
        headers = {name.lower(): value for name, value in (headers or {}).items()}
        body = body or {}
        endpoint = path[len("/v1/"):] if path.startswith("/v1/") else path
        try:
            wrap_ttl = parse_duration(headers.get("x-vault-wrap-ttl"))
        except ValueError:
            return 400, {"errors": ["error parsing X-Vault-Wrap-TTL"]}

        if endpoint == f"auth/{self.kubernetes_mount}/login" and method in ("POST", "PUT"):
            if body != {"role": self.hub_role, "jwt": self.hub_jwt}:
                return 400, {"errors": ["invalid role name or service account token"]}
            self.logins += 1
            hub_token = HUB_TOKEN if self.logins == 1 else f"{HUB_TOKEN}-{self.logins}"
            self._hub_tokens[hub_token] = self.now() + HUB_LOGIN_TTL
            return 200, {"auth": {"client_token": hub_token, "lease_duration": HUB_LOGIN_TTL, "renewable": True, "policies": [self.hub_role]}}

        if endpoint == "sys/wrapping/unwrap" and method in ("POST", "PUT"):
            wrapping = self.wrapping_tokens.pop(token or "", None) if (token or "") in self.wrapping_tokens else None
            if wrapping is None or self.now() >= wrapping["expires"]:
                return SPENT_WRAPPING_TOKEN
            return 200, {"wrap_info": None, **wrapping["response"]}

        if token in self._hub_tokens or (token or "").startswith(HUB_TOKEN):
            if not self._hub_allows(token, endpoint, wrap_ttl):
                return DENIED
            if endpoint == f"auth/token/create/{self.token_role}" and method in ("POST", "PUT"):
                if self.deny_token_create:
                    return DENIED
                alias = body.get("entity_alias") or ""
                if alias and not any(fnmatch.fnmatchcase(alias.lower(), pattern.lower()) for pattern in self.role.get("allowed_entity_aliases") or []):
                    return 400, {"errors": ["invalid 'entity_alias' value"]}
                try:
                    auth = self._mint(alias, body)
                except (TtlError, ValueError) as error:
                    return 400, {"errors": [str(error)]}
                if wrap_ttl:
                    return 200, {"wrap_info": self._wrap({"auth": auth}, wrap_ttl, endpoint, auth["accessor"]), "auth": None}
                return 200, {"auth": auth}
            if endpoint == "auth/token/revoke-accessor" and method in ("POST", "PUT"):
                accessor = body.get("accessor")
                if not accessor:
                    return 400, {"errors": ["missing accessor"]}
                found = self._token_by_accessor(accessor)
                if found is None:
                    return 200, {"data": None, "warnings": ["No token found with this accessor"]}
                del self.user_tokens[found]
                self.revoked_user_tokens.add(found)
                return 204, None
            return 405, {"errors": []}

        # Everything below is a user token's: unknown, revoked or expired tokens are refused everywhere.
        user = self._live_user(token)
        if user is None:
            return DENIED
        if endpoint.startswith("auth/token/"):
            if endpoint not in self.user_policy_self_paths:
                return DENIED
            if endpoint == "auth/token/lookup-self" and method == "GET":
                return 200, {
                    "data": {
                        "accessor": user["accessor"],
                        "display_name": f"token-jupyterhub-{user['alias']}",
                        "entity_id": f"entity-{user['alias']}",
                        "id": token,
                        "orphan": bool(self.role.get("orphan")),
                        "policies": list(self.role.get("allowed_policies") or []),
                        "renewable": user["renewable"],
                        "creation_ttl": user["creation_ttl"],
                        "explicit_max_ttl": self._role_explicit_max(),
                        "ttl": int(user["expires"] - self.now()),
                        "type": "service",
                    }
                }
            if endpoint == "auth/token/renew-self" and method in ("POST", "PUT"):
                if not user["renewable"]:
                    return 400, {"errors": ["lease is not renewable"]}
                try:
                    increment = parse_duration(body.get("increment"))
                    ttl = calculate_ttl(
                        self.default_lease_ttl, self.max_lease_ttl, increment, user["ttl"], self._role_period(), 0, self._role_explicit_max(), user["issue"], self.now()
                    )
                except (TtlError, ValueError) as error:
                    return 400, {"errors": [str(error)]}
                user["expires"] = self.now() + ttl
                user["ttl"] = ttl
                return 200, {"auth": {"client_token": token, "accessor": user["accessor"], "lease_duration": ttl, "renewable": True}}
            if endpoint == "auth/token/revoke-self" and method in ("POST", "PUT"):
                del self.user_tokens[token]
                self.revoked_user_tokens.add(token)
                return 204, None
            return 405, {"errors": []}
        if endpoint.startswith("secret/data/"):
            key = endpoint[len("secret/data/"):]
            if not self._may(user, key, write=method != "GET"):
                return DENIED
            if method in ("POST", "PUT"):
                self.kv[key] = body["data"]
                return 200, {"data": {"version": 1}}
            if method == "GET":
                return (200, {"data": {"data": self.kv[key], "metadata": {"version": 1}}}) if key in self.kv else (404, {"errors": []})
            if method == "DELETE":
                self.kv.pop(key, None)
                return 204, None
        if endpoint.startswith("secret/metadata/") and method == "LIST":
            prefix = endpoint[len("secret/metadata/"):].rstrip("/") + "/"
            if not self._may(user, prefix, write=False):
                return DENIED
            keys = sorted({k[len(prefix):].split("/")[0] for k in self.kv if k.startswith(prefix)})
            return (200, {"data": {"keys": keys}}) if keys else (404, {"errors": []})
        return 404, {"errors": []}

    @staticmethod
    def _may(user, key, write):
        """The templated user policy: own users/<alias>/ read-write, shared/ read, nothing else."""
        segments = key.split("/")
        if "users" in segments:
            at = segments.index("users")
            return len(segments) > at + 1 and segments[at + 1] == user["alias"]
        return "shared" in segments and not write


def closed_port_address():
    """An address nothing listens on: Vault down."""
    return f"http://127.0.0.1:{refusing_port()}"


def hook_config(address, on_failure="refuse", timeout=2, ca_file=None, ttl=3600, wrap_ttl=600):
    """custom.vault as components/hub/vaultValues.ts renders it for a stack with these settings
    (userTokens.ttl 1h, wrapTtl 10m by default); ttl=None leaves the TTL out, as an old hub did."""
    return {
        "address": address,
        "kubernetesAuthMount": "kubernetes",
        "hubRole": "jupyterhub-hub-jupyterhub",
        "tokenRole": "jupyterhub-user-jupyterhub",
        "kvMount": "secret",
        "pathPrefix": "jupyter",
        "onFailure": on_failure,
        "timeoutSeconds": timeout,
        **({"tokenTtlSeconds": ttl} if ttl else {}),
        "wrapTtlSeconds": wrap_ttl,
        "tokenDir": "/run/jupyterhub-vault",
        **({"caFile": ca_file} if ca_file else {}),
    }
