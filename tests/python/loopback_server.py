"""An HTTP server on 127.0.0.1 in a background thread, as a context manager: what the local fakes
of upstream services (fake_vault.py, fake_hub.py) run on."""
import errno
import os
import selectors
import socket
import threading
from http.server import ThreadingHTTPServer


# Privileged ports that fetch does not block (Node's tests use the same, tests/harness/loopbackRegistries.ts).
_REFUSING_CANDIDATES = (4, 6, 8, 10, 12, 14, 16, 18)


def refusing_port(host="127.0.0.1"):
    """A port on `host` that nothing listens on, and nothing will while a test uses it: a privileged
    one found refusing connections. A port the OS gave to a bind to port 0 and took back does not
    stay closed: every other listen on port 0 (a fake's, a hub's, in a module running beside this
    one) draws from the same range, and a cached npm test once found a server answering on such a
    port. Below 1024 no port is handed out, and only a privileged process can listen on one."""
    for port in _REFUSING_CANDIDATES:
        with socket.socket() as probe:
            probe.settimeout(2)
            if probe.connect_ex((host, port)) == errno.ECONNREFUSED:
                return port
    raise RuntimeError(f"every candidate privileged port on {host} {_REFUSING_CANDIDATES} accepts connections: nothing here refuses one")


class Serving:
    """`server` (a socketserver server) served in a background daemon thread from start() until
    stop(), asleep in select(2) between requests. socketserver's serve_forever wakes every
    poll_interval to look for shutdown(); the real-hub tier runs a few dozen fake servers at once
    (a jupyter-server per pod), and their polling was a steady share of its CPU. A pipe wakes
    this loop instead, so stop() returns at once too."""

    def __init__(self, server):
        self.server = server
        # handle_request() only once select says the listening socket is readable; a timeout of 0
        # has it return, not block, should the connection have gone before its accept.
        server.timeout = 0
        self._wake_r, self._wake_w = os.pipe()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _serve(self):
        with selectors.DefaultSelector() as selector:
            selector.register(self.server, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not any(key.fd == self._wake_r for key, _ in selector.select()):
                self.server.handle_request()

    def stop(self):
        """Stops serving (requests in their own threads run on) once the loop has seen it."""
        if self._wake_w is None:
            return
        if self.thread.is_alive():
            os.write(self._wake_w, b"\0")
            self.thread.join()
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._wake_r = self._wake_w = None


class LoopbackServer:
    def _listen(self, handler, server_class=ThreadingHTTPServer, host="127.0.0.1", port=0):
        """Bind `handler` to `host` (127.0.0.1) and `port` (a free one); serving starts on entering the context."""
        self.server = server_class((host, port), handler)
        self.port = self.server.server_address[1]
        self._serving = Serving(self.server)
        self.thread = self._serving.thread

    def __enter__(self):
        self._serving.start()
        return self

    def __exit__(self, *exc):
        self._serving.stop()
        self.server.server_close()
