"""An HTTP server on 127.0.0.1 in a background thread, as a context manager: what the local fakes
of upstream services (fake_vault.py, fake_hub.py) run on."""
import os
import selectors
import threading
from http.server import ThreadingHTTPServer


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
