"""A stand-in for the Vault HTTP API on 127.0.0.1, answering the endpoints the hub's hook and the
notebook helper use with the response shapes Vault documents. It records every request.

What it follows, and keeps of Vault's inconvenient parts:
- Vault's token auth API docs (developer.hashicorp.com/vault/api-docs/auth/token; source
  website/content/api-docs/auth/token.mdx in hashicorp/vault): create/:role_name answers an
  `auth` block; lookup-self (GET) answers `data`; renew-self (POST) answers `auth`;
  revoke-self (POST, no body) revokes the calling token and answers 204 with an empty body.
- A token Vault does not know, or no longer knows (revoked, expired), is refused with 403
  "permission denied" on every path, revoke-self included (vault/request_handling.go,
  fetchACLTokenEntryAndEntity: "if te == nil { return ... logical.ErrPermissionDenied }").
- The user token role sets token_no_default_policy (components/vault/VaultAccess.ts), so a user
  token may call only what the user policy grants (components/vault/vaultPolicies.ts,
  userPolicy): `user_policy_self_paths` mirrors its self-management blocks; without
  auth/token/revoke-self there, revoke-self gets 403 like any path the policy lacks.
- The templated user policy reaches only <kv>/…/users/<the token's entity alias>/ and reads
  …/shared/; writes elsewhere get 403.
- `tls=(certfile, keyfile)` serves HTTPS with that certificate instead of HTTP.
"""

import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HUB_TOKEN = "hvs.CAESIhub-token-for-tests-000000000"
SERVICE_ACCOUNT_JWT = "eyJhbGciOiJSUzI1NiJ9.service-account.signature"
DENIED = 403, {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}
# The self-management blocks of userPolicy in components/vault/vaultPolicies.ts.
USER_POLICY_SELF_PATHS = {"auth/token/lookup-self", "auth/token/renew-self", "auth/token/revoke-self"}


def user_token_for(alias, serial=0):
    """The token the fake mints for `alias`: serial 0 the first time, then 1, 2, …"""
    return f"hvs.CAESIuser-token-{alias}-{serial:010d}"


class FakeVault:
    def __init__(self, hub_role="jupyterhub-hub-jupyterhub", token_role="jupyterhub-user-jupyterhub", tls=None):
        self.hub_role = hub_role
        self.token_role = token_role
        self.requests = []
        self.deny_token_create = False
        self.revoked_hub_tokens = set()
        self.delay_seconds = 0.0
        self.kv = {}
        self.logins = 0
        # Live user tokens: token -> {"alias", "accessor", "serial"}; revoked ones are forgotten.
        self.user_tokens = {}
        self.revoked_user_tokens = set()
        self.user_policy_self_paths = set(USER_POLICY_SELF_PATHS)
        self._minted = {}
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
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
                body = json.loads(self.rfile.read(length)) if length else None
                token = self.headers.get("X-Vault-Token")
                fake.requests.append((self.command, self.path, body, token))
                if fake.delay_seconds:
                    time.sleep(fake.delay_seconds)
                with fake._lock:
                    status, reply = fake.route(self.command, self.path, body, token)
                self._reply(status, reply)

            do_GET = do_POST = do_DELETE = do_LIST = _handle

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
        self.server = Server(("127.0.0.1", 0), Handler)
        scheme = "https" if tls else "http"
        self.address = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --- what tests look at -------------------------------------------------------------------

    def seed_user_token(self, alias):
        """A live user token, as if the hub had minted it (for tests of the notebook helper)."""
        with self._lock:
            return self._mint(alias)["client_token"]

    def is_live(self, token):
        return token in self.user_tokens

    def paths_requested(self, path):
        return [request for request in self.requests if request[1] == path]

    # --- Vault ----------------------------------------------------------------------------------

    def _mint(self, alias):
        serial = self._minted.get(alias, 0)
        self._minted[alias] = serial + 1
        token = user_token_for(alias, serial)
        self.user_tokens[token] = {"alias": alias, "accessor": f"accessor-{alias}-{serial}", "serial": serial}
        return {
            "client_token": token,
            "accessor": f"accessor-{alias}-{serial}",
            "policies": [self.token_role],
            "token_policies": [self.token_role],
            "lease_duration": 3600,
            "renewable": True,
            "orphan": True,
            "entity_id": f"entity-{alias}",
            "token_type": "service",
        }

    def route(self, method, path, body, token):
        if path == "/v1/auth/kubernetes/login" and method == "POST":
            if body != {"role": self.hub_role, "jwt": SERVICE_ACCOUNT_JWT}:
                return 400, {"errors": ["invalid role name or service account token"]}
            self.logins += 1
            token = HUB_TOKEN if self.logins == 1 else f"{HUB_TOKEN}-{self.logins}"
            return 200, {
                "auth": {"client_token": token, "lease_duration": 900, "renewable": True, "policies": ["jupyterhub-hub-jupyterhub"]}
            }
        if path == f"/v1/auth/token/create/{self.token_role}" and method == "POST":
            if not token or not token.startswith(HUB_TOKEN) or token in self.revoked_hub_tokens or self.deny_token_create:
                return DENIED
            return 200, {"auth": self._mint(body["entity_alias"])}
        # Everything below is a user token's: unknown or revoked tokens are refused everywhere.
        user = self.user_tokens.get(token)
        if user is None:
            return DENIED
        if path.startswith("/v1/auth/token/"):
            endpoint = path[len("/v1/"):]
            if endpoint not in self.user_policy_self_paths:
                return DENIED
            if endpoint == "auth/token/lookup-self" and method == "GET":
                return 200, {
                    "data": {
                        "accessor": user["accessor"],
                        "display_name": f"token-jupyterhub-{user['alias']}",
                        "entity_id": f"entity-{user['alias']}",
                        "id": token,
                        "orphan": True,
                        "policies": [self.token_role],
                        "renewable": True,
                        "ttl": 3600,
                        "type": "service",
                    }
                }
            if endpoint == "auth/token/renew-self" and method == "POST":
                return 200, {"auth": {"client_token": token, "accessor": user["accessor"], "lease_duration": 3600, "renewable": True}}
            if endpoint == "auth/token/revoke-self" and method == "POST":
                del self.user_tokens[token]
                self.revoked_user_tokens.add(token)
                return 204, None
            return 405, {"errors": []}
        if path.startswith("/v1/secret/data/"):
            key = path[len("/v1/secret/data/"):]
            if not self._may(user, key, write=method != "GET"):
                return DENIED
            if method == "POST":
                self.kv[key] = body["data"]
                return 200, {"data": {"version": 1}}
            if method == "GET":
                return (200, {"data": {"data": self.kv[key], "metadata": {"version": 1}}}) if key in self.kv else (404, {"errors": []})
            if method == "DELETE":
                self.kv.pop(key, None)
                return 204, None
        if path.startswith("/v1/secret/metadata/") and method == "LIST":
            prefix = path[len("/v1/secret/metadata/"):].rstrip("/") + "/"
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
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
