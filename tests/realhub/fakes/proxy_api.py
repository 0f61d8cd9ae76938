"""configurable-http-proxy's REST API, as the hub's ConfigurableHTTPProxy drives it (the proxy pod
lives outside the hub pod). Follows jupyterhub/configurable-http-proxy lib/configproxy.js
(4.6, the chart's proxy image):
- every request needs `Authorization: token <CONFIGPROXY_AUTH_TOKEN>`, else 403;
- GET /api/routes answers {path: {"target": ..., **data, "last_activity": ...}}; an
  ?inactive_since=<ISO date> keeps the routes idle since then;
- POST /api/routes/<path> with {"target": ..., **data} adds or replaces a route: 201, no body;
- DELETE /api/routes/<path>: 204, also for a route it does not have.
It does not forward traffic: the tier's browser talks to the hub's port, and servers are reached
at the address the route names."""
import datetime
import json
import urllib.parse
from http.server import BaseHTTPRequestHandler

from loopback_server import LoopbackServer


class FakeProxyApi(LoopbackServer):
    def __init__(self, *, host, port, token):
        self.token = token
        self.routes = {}
        self.history = []  # ("add" | "delete", path, target)
        api = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY, as configurable-http-proxy's Node http server has it (noDelay, true by
            # default): with Nagle's algorithm on, a body waited for the delayed ACK of its headers.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _reply(self, status, body=None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self):
                path = urllib.parse.urlsplit(self.path).path
                if not path.startswith("/api/routes"):
                    return None
                route = urllib.parse.unquote(path[len("/api/routes"):]) or "/"
                return route if route.startswith("/") else "/" + route

            def _authorized(self):
                if self.headers.get("Authorization") != f"token {api.token}":
                    self._reply(403)
                    return False
                return True

            def do_GET(self):
                if not self._authorized():
                    return
                self._reply(200, dict(api.routes))

            def do_POST(self):
                if not self._authorized():
                    return
                route = self._route()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
                api.routes[route] = {**body, "last_activity": now}
                api.history.append(("add", route, body.get("target")))
                self._reply(201)

            def do_DELETE(self):
                if not self._authorized():
                    return
                route = self._route()
                removed = api.routes.pop(route, None)
                api.history.append(("delete", route, (removed or {}).get("target")))
                self._reply(204)

        self._listen(Handler, host=host, port=port)
