"""A real sshd with the base image's sshd_config and the SSH gateway's authorized_keys line, and a
real ssh client, on loopback (run by `npm test`; skipped, saying so, without openssh).

What the gateway's key may do in a server: forward from the client's side to the server itself
(VS Code Remote-SSH's server listens on localhost), and nothing else: not to another address, not
from the server's side (-R). The line is the one components/ssh/gatewayObjects.ts writes:
`restrict,pty,port-forwarding <key>`. Run as root, sshd runs as root, as in a server that starts
as root (sudo profiles), and lets in `nobody`; run as a user, sshd runs as that user and lets it in,
as in every other server. (sshd as `nobody` itself refuses it: "account is locked".)
"""
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SSHD_CONFIG = ROOT / "images" / "base" / "sshd_config"
IS_ROOT = os.geteuid() == 0
NOBODY = 65534
SSHD = shutil.which("sshd", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin{os.pathsep}/sbin")
SSH = shutil.which("ssh")


def free_port(host="127.0.0.1"):
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class EchoServer:
    """A TCP server that answers every line with 'echo: <line>'; stands in for a service."""

    def __init__(self, host):
        self.socket = socket.socket()
        self.socket.bind((host, 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(5)
                try:
                    data = connection.recv(100)
                    connection.sendall(b"echo: " + data)
                except OSError:
                    pass

    def close(self):
        self.stopped.set()
        self.socket.close()


def exchange(port, message=b"ping\n", timeout=5.0):
    """What a client gets back through a forwarded local port; b'' when the tunnel is refused."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
                connection.sendall(message)
                connection.settimeout(3)
                try:
                    return connection.recv(100)
                except (socket.timeout, ConnectionResetError):
                    return b""
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # ssh has not opened the local port yet


@unittest.skipUnless(SSHD and SSH and shutil.which("ssh-keygen"), "openssh-server and openssh-client are needed (CI installs them)")
@unittest.skipIf(IS_ROOT and not shutil.which("setpriv"), "as root, setpriv is needed to run sshd as a user")
class GatewayKeyForwardingTest(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="sshd-forwarding-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.user = "nobody" if IS_ROOT else subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
        self.as_user = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups") if IS_ROOT else ()
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.tmp / "host_key")], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.tmp / "gateway_key")], check=True)
        public = (self.tmp / "gateway_key.pub").read_text().strip()
        (self.tmp / "authorized_keys").write_text(f"restrict,pty,port-forwarding {public} jupyterhub-ssh-gateway\n")
        (self.tmp / "sshd_config").write_text(SSHD_CONFIG.read_text())
        for path in self.tmp.iterdir():
            os.chmod(path, 0o600 if path.name in ("host_key", "gateway_key", "authorized_keys") else 0o644)
            if IS_ROOT:
                os.chown(path, NOBODY, NOBODY)
        if IS_ROOT:
            os.chown(self.tmp, NOBODY, NOBODY)
        self.port = free_port()
        if IS_ROOT:
            # sshd as root wants its privilege separation directory, which a container lacks.
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        self.sshd = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.tmp / "sshd_config"), "-p", str(self.port), "-h", str(self.tmp / "host_key"),
             "-o", f"PidFile={self.tmp}/sshd.pid", "-o", f"AllowUsers={self.user}", "-o", f"AuthorizedKeysFile={self.tmp}/authorized_keys",
             "-o", "ListenAddress=127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.addCleanup(self._stop, self.sshd)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.sshd.poll() is not None or time.monotonic() > deadline:
                    self.fail(f"sshd did not start: {self.sshd.stderr.read()}")
                time.sleep(0.05)

    @staticmethod
    def _stop(process):
        if process.stderr:
            process.stderr.close()
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def ssh(self, *forward, exit_on_forward_failure=False):
        """An ssh client with the gateway's key, holding the given forwardings open (-N)."""
        return subprocess.Popen(
            [*self.as_user, SSH, "-F", "/dev/null", "-N", "-i", str(self.tmp / "gateway_key"), "-p", str(self.port),
             "-o", "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={self.tmp}/known_hosts", "-o", "BatchMode=yes",
             "-o", "ConnectTimeout=10", "-o", f"ExitOnForwardFailure={'yes' if exit_on_forward_failure else 'no'}",
             *forward, f"{self.user}@127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )

    def forwarded(self, target_host, target_port):
        local = free_port()
        client = self.ssh("-L", f"127.0.0.1:{local}:{target_host}:{target_port}")
        self.addCleanup(self._stop, client)
        return exchange(local)

    def test_forwards_to_the_server_itself(self):
        service = EchoServer("127.0.0.1")
        self.addCleanup(service.close)
        self.assertEqual(self.forwarded("127.0.0.1", service.port), b"echo: ping\n")
        self.assertEqual(self.forwarded("localhost", service.port), b"echo: ping\n")

    def test_never_forwards_further_than_the_server(self):
        # 127.0.0.2 is another address on this machine: a stand-in for the hub's API or Vault.
        elsewhere = EchoServer("127.0.0.2")
        self.addCleanup(elsewhere.close)
        self.assertEqual(self.forwarded("127.0.0.2", elsewhere.port), b"")

    def test_opens_nothing_from_the_servers_side(self):
        client = self.ssh("-R", f"127.0.0.1:{free_port()}:127.0.0.1:9", exit_on_forward_failure=True)
        try:
            _, stderr = client.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            client.kill()
            self.fail("ssh -R was accepted and held open")
        self.assertNotEqual(client.returncode, 0)
        self.assertIn("remote port forwarding failed", stderr)


if __name__ == "__main__":
    unittest.main()
