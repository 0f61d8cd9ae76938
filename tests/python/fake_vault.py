"""A stand-in for the Vault HTTP API on 127.0.0.1, answering the endpoints the hub's hook and the
notebook helper use with the response shapes Vault documents. It records every request."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HUB_TOKEN = "hvs.CAESIhub-token-for-tests-000000000"
SERVICE_ACCOUNT_JWT = "eyJhbGciOiJSUzI1NiJ9.service-account.signature"


def user_token_for(alias):
    return f"hvs.CAESIuser-token-{alias}-0000000000"


class FakeVault:
    def __init__(self, hub_role="jupyterhub-hub-jupyterhub", token_role="jupyterhub-user-jupyterhub"):
        self.hub_role = hub_role
        self.token_role = token_role
        self.requests = []
        self.deny_token_create = False
        self.revoked_hub_tokens = set()
        self.delay_seconds = 0.0
        self.kv = {}
        self.logins = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, body=None):
                payload = json.dumps(body).encode() if body is not None else b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append((self.command, self.path, body, self.headers.get("X-Vault-Token")))
                if fake.delay_seconds:
                    time.sleep(fake.delay_seconds)
                status, reply = fake.route(self.command, self.path, body, self.headers.get("X-Vault-Token"))
                self._reply(status, reply)

            do_GET = do_POST = do_DELETE = do_LIST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def route(self, method, path, body, token):
        denied = 403, {"errors": ["1 error occurred:\n\t* permission denied\n\n"]}
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
                return denied
            alias = body["entity_alias"]
            return 200, {
                "auth": {
                    "client_token": user_token_for(alias),
                    "accessor": f"accessor-{alias}",
                    "policies": ["jupyterhub-user-jupyterhub"],
                    "lease_duration": 3600,
                    "renewable": True,
                    "orphan": True,
                    "entity_id": f"entity-{alias}",
                }
            }
        if path == "/v1/auth/token/renew-self" and method == "POST":
            return 200, {"auth": {"client_token": token, "lease_duration": 3600, "renewable": True}}
        if path.startswith("/v1/secret/data/"):
            key = path[len("/v1/secret/data/"):]
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
            keys = sorted({k[len(prefix):].split("/")[0] for k in self.kv if k.startswith(prefix)})
            return (200, {"data": {"keys": keys}}) if keys else (404, {"errors": []})
        return 404, {"errors": []}


def closed_port_address():
    """An address nothing listens on: Vault down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
