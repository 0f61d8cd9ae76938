"""An HTTP server on 127.0.0.1 in a background thread, as a context manager: what the local fakes
of upstream services (fake_vault.py, fake_hub.py) run on."""
import threading
from http.server import ThreadingHTTPServer


class LoopbackServer:
    def _listen(self, handler, server_class=ThreadingHTTPServer, host="127.0.0.1", port=0):
        """Bind `handler` to `host` (127.0.0.1) and `port` (a free one); serving starts on entering the context."""
        self.server = server_class((host, port), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
