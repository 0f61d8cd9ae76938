"""A user's server as the hub sees it from outside the pod: jupyterhub-singleuser listening on the
pod's IP and port. JupyterHub waits for it with utils.wait_for_http_server (jupyterhub/utils.py
5.5.0): any answer below 500 means up, 599 (no connection) means wait. The real server answers its
base URL with a redirect to the default URL, and says which JupyterHub it was built for in the
X-JupyterHub-Version header, which the hub compares with its own (warning on a mismatch)."""
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from loopback_server import Serving


class FakeSingleuser:
    def __init__(self, host, port, jupyterhub_version):
        self.requests = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            # TCP_NODELAY, as jupyter-server's tornado sets it to finish each answer
            # (http1connection.py, finish): with Nagle's algorithm on, a body waited for the
            # delayed ACK of its headers.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.path)
                self.send_response(302)
                self.send_header("Location", self.path.rstrip("/") + "/lab")
                self.send_header("X-JupyterHub-Version", jupyterhub_version)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.serving = Serving(self.server).start()

    def close(self):
        self.serving.stop()
        self.server.server_close()
