"""A stand-in for JupyterHub 5.5.0's REST API on 127.0.0.1: the endpoints the user-lifecycle
service calls, answering with the status codes and models the real handlers give. It records
every request.

What it follows (jupyterhub/apihandlers/ in JupyterHub 5.5.0, `git show 5.5.0:<path>`):
- users.py UserListAPIHandler.get: `list:users`; with the pagination media type in Accept the
  answer is {items, _pagination: {offset, limit, total, next}} (base.py paginated_model), pages
  of api_page_default_limit; `state=active` keeps users with an active server.
- users.py UserAPIHandler.get (404 for an unknown user), .patch: 404; "User {name} already
  exists, username must be unique" (400) when the new name is taken; a requester that is not an
  admin gets 403 "Only admins can modify other admins" on an admin user and "Only admins can grant
  admin permissions" for admin: true; every key is set as it is (a rename keeps the user's
  tokens, servers and spawner state). .delete: 404; stops the user's servers; the
  Authenticator's delete_user discards the name from allowed_users (auth.py 5.5.0).
- users.py UserTokenListAPIHandler.get ({"api_tokens": [...]}, `read:tokens`) and
  UserTokenAPIHandler.delete (`tokens`; 404 "No such token"; deleting a token issued to an OAuth
  client deletes every token of that client for the user).
- users.py UserServerAPIHandler.delete (`delete:servers`): 404 for an unknown user, 404 "{user}
  has no server named '{name}'"; a running server stops, 202 while the stop is pending, 204 once
  stopped. The user model lists only active servers (base.py user_model, include_stopped_servers).
- users.py UserServerAPIHandler.post (`servers`): starts the server (ready at once here), 400
  "... is already running" when it runs.
- groups.py GroupUsersAPIHandler.post/.delete (`groups`), 404 for an unknown group.
- users.py SelfAPIHandler.get (GET /user): the token's owner; 403 for a token the hub does not
  know (a revoked one).
- A requester without the scope gets 403 (scopes.needs_scope). Admins have every scope.
- handlers/login.py LoginHandler with FirstUseAuthenticator 1.1.1 (firstuseauthenticator.py
  authenticate): GET /hub/login sets the `_xsrf` cookie; POST /hub/login with the form's `_xsrf`
  logs an allowed user in (the first password of a user is stored, later ones must match) with a
  302 and the hub's login cookie, and answers anything else with 403 and the login page showing
  "Invalid username or password". users.py UserTokenListAPIHandler.post without a token
  authenticates the body's "auth" the same way: 201 and the token, or 403.
  `login_failure` makes every login answer (status, page) instead, like a broken hub or proxy.
"""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

from loopback_server import LoopbackServer

PAGINATION = "application/jupyterhub-pagination+json"
SERVICE_TOKEN = "service-token-for-tests"


class FakeHub(LoopbackServer):
    def __init__(self, page_limit=2, stop_polls=0):
        self.users = {}
        self.groups = {}
        self.allowed_users = set()
        self.requesters = {SERVICE_TOKEN: {"name": "user-lifecycle", "admin": True, "scopes": set()}}
        self.requests = []
        self.page_limit = page_limit
        # A stop stays pending for this many reads of the user's model (the 202 case).
        self.stop_polls = stop_polls
        self._token_ids = 0
        self.passwords = {}
        self.login_failure = None
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY, as JupyterHub's tornado sets it to finish each answer (http1connection.py,
            # finish): with Nagle's algorithm on, a body waited for the delayed ACK of its headers.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                if self.path.split("?")[0] == "/hub/login":
                    raw = self.rfile.read(length).decode() if length else ""
                    fake.requests.append((self.command, self.path, None))
                    with fake._lock:
                        status, headers, page = fake.login_page(self.command, raw, self.headers.get("Cookie", ""))
                    self.send_response(status)
                    for name, value in headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return
                body = json.loads(self.rfile.read(length)) if length else None
                auth = self.headers.get("Authorization", "")
                token = auth[len("token "):] if auth.startswith("token ") else None
                fake.requests.append((self.command, self.path, body))
                with fake._lock:
                    status, reply = fake.route(self.command, self.path, body, token, self.headers.get("Accept", ""))
                payload = json.dumps(reply).encode() if reply is not None else b""
                self.send_response(status)
                if payload:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

        self._listen(Handler)
        self.url = f"http://127.0.0.1:{self.port}/hub/api"

    # --- setting up a hub ------------------------------------------------------------------------

    def add_user(self, name, admin=False, groups=(), servers=(), last_activity="2025-01-01T00:00:00Z", allowed=True):
        """A user in the hub's database; `servers` are running ones ("" is the default server)."""
        self.users[name] = {
            "name": name,
            "admin": admin,
            "created": "2025-01-01T00:00:00Z",
            "last_activity": last_activity,
            "servers": {server: {"stop_polls": None} for server in servers},
            "spawner_state": {server: {"pvc_name": f"claim-of-{name}-{server}"} for server in servers},
            "tokens": {},
        }
        for group in groups:
            self.groups.setdefault(group, set()).add(name)
        if allowed:
            self.allowed_users.add(name)
        return self.users[name]

    def add_token(self, user, client="jupyterhub"):
        self._token_ids += 1
        token_id = f"a{self._token_ids}"
        self.users[user]["tokens"][token_id] = {"client": client}
        return token_id

    def add_requester(self, token, name, admin=False, scopes=()):
        self.requesters[token] = {"name": name, "admin": admin, "scopes": set(scopes)}

    def running(self, user):
        return sorted(self.users[user]["servers"]) if user in self.users else []

    # --- the API ---------------------------------------------------------------------------------

    def _model(self, user):
        groups = sorted(g for g, members in self.groups.items() if user["name"] in members)
        return {
            "kind": "user",
            "name": user["name"],
            "admin": user["admin"],
            "groups": groups,
            "created": user["created"],
            "last_activity": user["last_activity"],
            "servers": {name: {"name": name, "ready": server["stop_polls"] is None, "pending": "stop" if server["stop_polls"] is not None else None} for name, server in user["servers"].items()},
        }

    def _tick(self, user):
        """A pending stop completes after `stop_polls` reads of the user."""
        for name, server in list(user["servers"].items()):
            if server["stop_polls"] is not None:
                if server["stop_polls"] <= 0:
                    del user["servers"][name]
                else:
                    server["stop_polls"] -= 1

    def _stop(self, user, server_name):
        server = user["servers"][server_name]
        if server["stop_polls"] is None:
            server["stop_polls"] = self.stop_polls
        if self.stop_polls == 0:
            del user["servers"][server_name]
            return 204
        return 202

    def authenticate(self, username, password):
        """FirstUseAuthenticator.authenticate, for users the hub allows (min_password_length 7)."""
        if username not in self.allowed_users or len(password) < 7:
            return None
        stored = self.passwords.setdefault(username, password)
        return username if stored == password else None

    def login_page(self, method, raw, cookies):
        if self.login_failure:
            status, page = self.login_failure
            return status, [("Content-Type", "text/html")], page.encode()
        xsrf = "fake-xsrf-token"
        page = "<html><form action='/hub/login'>{}</form></html>"
        if method == "GET":
            return 200, [("Set-Cookie", f"_xsrf={xsrf}; Path=/hub/"), ("Content-Type", "text/html")], page.format("").encode()
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        if form.get("_xsrf") != xsrf or f"_xsrf={xsrf}" not in cookies:
            return 403, [("Content-Type", "text/html")], b"<html>403 : Forbidden ('_xsrf' argument missing from POST)</html>"
        if self.authenticate(form.get("username", ""), form.get("password", "")):
            return 302, [("Location", "/hub/"), ("Set-Cookie", "jupyterhub-hub-login=fake; Path=/hub/; HttpOnly"), ("Set-Cookie", "jupyterhub-session-id=fake; Path=/; HttpOnly")], b""
        error = "<p class='login_error'>Invalid username or password</p>"
        return 403, [("Content-Type", "text/html")], page.format(error).encode()

    def route(self, method, raw_path, body, token, accept):
        requester = self.requesters.get(token)
        parts = urllib.parse.urlparse(raw_path).path.split("/")
        if requester is None and token is None and method == "POST" and len(parts) == 6 and parts[1:4] == ["hub", "api", "users"] and parts[5] == "tokens":
            auth = (body or {}).get("auth") or {}
            if auth.get("username") != parts[4] or not self.authenticate(parts[4], auth.get("password", "")):
                return 403, {"status": 403, "message": "Forbidden"}
            self._token_ids += 1
            new_token = f"token-{self._token_ids}-of-{parts[4]}"
            self.add_requester(new_token, parts[4])
            return 201, {"kind": "api_token", "id": f"a{self._token_ids}", "user": parts[4], "token": new_token}
        if requester is None:
            return 403, {"status": 403, "message": "Forbidden"}

        def allowed(scope):
            return requester["admin"] or scope in requester["scopes"]

        parsed = urllib.parse.urlparse(raw_path)
        query = urllib.parse.parse_qs(parsed.query)
        parts = [urllib.parse.unquote(p) for p in parsed.path[len("/hub/api/"):].split("/")] if parsed.path.startswith("/hub/api/") else []
        forbidden = 403, {"status": 403, "message": "Action is not authorized with current scopes"}

        if parts == ["users"] and method == "GET":
            if not allowed("list:users"):
                return forbidden
            users = sorted(self.users.values(), key=lambda u: u["name"])
            for user in users:
                self._tick(user)
            if query.get("state") == ["active"]:
                users = [u for u in users if u["servers"]]
            items = [self._model(u) for u in users]
            if PAGINATION not in [a.strip() for a in accept.split(",")]:
                return 200, items
            offset = int(query.get("offset", ["0"])[0])
            limit = int(query.get("limit", [str(self.page_limit)])[0])
            following = {"offset": offset + limit, "limit": limit, "url": "…"} if offset + limit < len(items) else None
            return 200, {"items": items[offset : offset + limit], "_pagination": {"offset": offset, "limit": limit, "total": len(items), "next": following}}

        if parts == ["user"] and method == "GET":
            return 200, {"kind": "user", "name": requester["name"]}

        if len(parts) >= 2 and parts[0] == "users":
            user = self.users.get(parts[1])
            rest = parts[2:]
            if rest == [] and method == "GET":
                if not allowed("read:users"):
                    return forbidden
                if user is None:
                    return 404, {"status": 404, "message": "Not Found"}
                self._tick(user)
                return 200, self._model(user)
            if rest == [] and method == "PATCH":
                if not allowed("admin:users"):
                    return forbidden
                if user is None:
                    return 404, {"status": 404, "message": "Not Found"}
                new_name = body.get("name")
                if new_name and new_name != user["name"] and new_name in self.users:
                    return 400, {"status": 400, "message": f"User {new_name} already exists, username must be unique"}
                if not requester["admin"]:
                    if user["admin"]:
                        return 403, {"status": 403, "message": "Only admins can modify other admins"}
                    if body.get("admin"):
                        return 403, {"status": 403, "message": "Only admins can grant admin permissions"}
                if new_name and new_name != user["name"]:
                    old = user["name"]
                    del self.users[old]
                    user["name"] = new_name
                    self.users[new_name] = user
                    for members in self.groups.values():
                        if old in members:
                            members.discard(old)
                            members.add(new_name)
                if "admin" in body:
                    user["admin"] = bool(body["admin"])
                return 200, self._model(user)
            if rest == [] and method == "DELETE":
                if not allowed("delete:users"):
                    return forbidden
                if user is None:
                    return 404, {"status": 404, "message": "Not Found"}
                if user["name"] == requester["name"]:
                    return 400, {"status": 400, "message": "Cannot delete yourself!"}
                user["servers"].clear()
                self.allowed_users.discard(user["name"])
                self.passwords.pop(user["name"], None)
                for members in self.groups.values():
                    members.discard(user["name"])
                del self.users[user["name"]]
                return 204, None
            if rest == ["tokens"] and method == "GET":
                if not allowed("read:tokens"):
                    return forbidden
                if user is None:
                    return 404, {"status": 404, "message": f"No such user: {parts[1]}"}
                return 200, {"api_tokens": [{"id": token_id, "user": user["name"], "kind": "api_token"} for token_id in user["tokens"]]}
            if len(rest) == 2 and rest[0] == "tokens" and method == "DELETE":
                if not allowed("tokens"):
                    return forbidden
                if user is None:
                    return 404, {"status": 404, "message": f"No such user: {parts[1]}"}
                found = user["tokens"].get(rest[1])
                if found is None:
                    return 404, {"status": 404, "message": f"No such token {rest[1]} for user {user['name']}"}
                if found["client"] != "jupyterhub":
                    for token_id in [t for t, v in user["tokens"].items() if v["client"] == found["client"]]:
                        del user["tokens"][token_id]
                else:
                    del user["tokens"][rest[1]]
                return 204, None
            if method == "POST" and rest == ["server"]:
                if not allowed("servers"):
                    return forbidden
                if user is None:
                    return 404, {"status": 404, "message": "Not Found"}
                if "" in user["servers"]:
                    return 400, {"status": 400, "message": f"{user['name']}'s server is already running"}
                user["servers"][""] = {"stop_polls": None}
                return 201, None
            if method == "DELETE" and (rest == ["server"] or (len(rest) == 2 and rest[0] == "servers")):
                if not allowed("delete:servers"):
                    return forbidden
                if user is None:
                    return 404, {"status": 404, "message": "Not Found"}
                server_name = rest[1] if len(rest) == 2 else ""
                if server_name and server_name not in user["servers"]:
                    return 404, {"status": 404, "message": f"{user['name']} has no server named '{server_name}'"}
                if server_name not in user["servers"]:
                    return 204, None
                return self._stop(user, server_name), None

        if len(parts) == 3 and parts[0] == "groups" and parts[2] == "users" and method in ("POST", "DELETE"):
            if not allowed("groups"):
                return forbidden
            if parts[1] not in self.groups:
                return 404, {"status": 404, "message": "Not Found"}
            for name in body["users"]:
                (self.groups[parts[1]].add if method == "POST" else self.groups[parts[1]].discard)(name)
            return 200, {"kind": "group", "name": parts[1], "users": sorted(self.groups[parts[1]])}

        return 404, {"status": 404, "message": "Not Found"}
