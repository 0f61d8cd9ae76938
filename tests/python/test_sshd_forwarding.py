"""A real sshd with the base image's sshd_config and the SSH gateway's authorized_keys line, and a
real ssh client, on loopback (run by `npm test`; skipped, saying so, without openssh).

What the gateway's key may do in a server: forward from the client's side to the server itself
(VS Code Remote-SSH's server listens on localhost), and nothing else: not to another address, not
from the server's side (-R). The line is the one components/ssh/gatewayObjects.ts writes:
`restrict,pty,port-forwarding <key>`. Run as root, sshd runs as root, as in a server that starts
as root (sudo profiles), and lets in `nobody`; run as a user, sshd runs as that user and lets it in,
as in every other server. (sshd as `nobody` itself refuses it: "account is locked".)

And what a Pipe lets the gateway reach: each server has a host key of its own, made by the hub
(components/ssh/ssh_pipes.py) and mounted into the server, and the Pipe trusts that key only. A
Pipe that outlives its pod, pointing at an address another user's new server holds by then, must
take nobody there.
"""
import base64
import os
import pathlib
import shutil
import sys
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

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from test_ssh_pipes import CONFIG, SshHub, ssh_pipes  # noqa: E402


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


def stop_process(process):
    if process.stderr:
        process.stderr.close()
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@unittest.skipUnless(SSHD and SSH and shutil.which("ssh-keygen"), "openssh-server and openssh-client are needed (CI installs them)")
@unittest.skipIf(IS_ROOT and not shutil.which("setpriv"), "as root, setpriv is needed to run sshd as a user")
class SshdCase(unittest.TestCase):
    """A temporary directory with the image's sshd_config and the gateway's key pair, and sshd's
    started in it with the server's authorized_keys line for the gateway's key."""

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="sshd-forwarding-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.user = "nobody" if IS_ROOT else subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
        self.as_user = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups") if IS_ROOT else ()
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.tmp / "gateway_key")], check=True)
        public = (self.tmp / "gateway_key.pub").read_text().strip()
        (self.tmp / "authorized_keys").write_text(f"restrict,pty,port-forwarding {public} jupyterhub-ssh-gateway\n")
        (self.tmp / "sshd_config").write_text(SSHD_CONFIG.read_text())
        for path in self.tmp.iterdir():
            self.own(path, 0o600 if path.name in ("gateway_key", "authorized_keys") else 0o644)
        if IS_ROOT:
            os.chown(self.tmp, NOBODY, NOBODY)
            # sshd as root wants its privilege separation directory, which a container lacks.
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)

    @staticmethod
    def own(path, file_mode):
        os.chmod(path, file_mode)
        if IS_ROOT:
            os.chown(path, NOBODY, NOBODY)

    def start_sshd(self, host_key, port, server="server"):
        """sshd on 127.0.0.1:port with this host key, logging to sshd-<server>.log (sshd_log)."""
        with open(self.tmp / f"sshd-{server}.log", "w") as log:
            sshd = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(self.tmp / "sshd_config"), "-p", str(port), "-h", str(host_key),
                 "-o", f"PidFile={self.tmp}/sshd-{server}.pid", "-o", f"AllowUsers={self.user}", "-o", f"AuthorizedKeysFile={self.tmp}/authorized_keys",
                 "-o", "ListenAddress=127.0.0.1"],
                stdout=subprocess.DEVNULL, stderr=log,
            )
        self.addCleanup(stop_process, sshd)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return sshd
            except OSError:
                if sshd.poll() is not None or time.monotonic() > deadline:
                    self.fail(f"sshd did not start: {self.sshd_log(server)}")
                time.sleep(0.05)

    def sshd_log(self, server="server"):
        return (self.tmp / f"sshd-{server}.log").read_text()

    def new_key(self, name):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.tmp / name)], check=True)
        self.own(self.tmp / name, 0o600)
        return self.tmp / name


class GatewayKeyForwardingTest(SshdCase):
    def setUp(self):
        super().setUp()
        self.port = free_port()
        self.sshd = self.start_sshd(self.new_key("host_key"), self.port)

    @staticmethod
    def _stop(process):
        stop_process(process)

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


class StaleRouteTest(SshdCase):
    """Two users' servers at one address, one after the other, as when a pod fails, keeps its Pipe,
    and the pod network gives its address to another user's new pod. The hub (ssh_pipes on
    KubeSpawner 7 against the fake API server, as test_ssh_pipes runs it) writes the Pipes and host
    key Secrets; each sshd serves the key the hub made for its server, as
    images/base/before-notebook.d/20-sshd.sh serves a mounted one; a server without one serves a
    key of its own, as the hook generates in the home."""

    def setUp(self):
        super().setUp()
        # Servers at 127.0.0.1 with sshd on this test's port, letting in the user this test runs sshd for.
        config = {**CONFIG, "serverUser": self.user, "users": {"maria": "user-maria", "tomas": "user-tomas"}}
        self.hub = SshHub(config=config)
        self.addCleanup(self.hub.close)
        # Chosen once the fake API server listens: a free port picked before could be the one the
        # kernel then gave it, and sshd's readiness probe would find that server instead.
        self.port = config["port"] = free_port()

    def start_server(self, username):
        """The hub starts the user's server at 127.0.0.1; its sshd serves the server's host key."""
        spawner = self.hub.start(username, pod_ip="127.0.0.1")
        secret = self.hub.secrets().get(ssh_pipes.host_key_secret_name(spawner.pod_name))
        if secret:
            host_key = self.tmp / f"{username}_host_key"
            host_key.write_bytes(base64.b64decode(secret["data"]["ssh_host_ed25519_key"]))
            self.own(host_key, 0o600)
        else:
            host_key = self.new_key(f"{username}_home_host_key")
        sshd = self.start_sshd(host_key, self.port, server=username)
        return self.hub.pipes()[ssh_pipes.pipe_name(spawner.pod_name)], sshd

    def through_pipe(self, pipe):
        """Connect the way sshpiperd v1.6.1 connects upstream for a Pipe: to.host as to.username, with
        the gateway's key, and the host key checked against known_hosts_data, which the kubernetes
        plugin decodes as standard base64 (plugin/kubernetes/skel.go KnownHosts); empty, sshpiperd
        takes any host key (cmd/sshpiperd/internal/plugin/grpc.go buildHostKeyCallback:
        ssh.InsecureIgnoreHostKey()). Returns ssh's stderr."""
        to = pipe["spec"]["to"]
        host, port = to["host"].rsplit(":", 1)
        data = to.get("known_hosts_data", "")
        if data:
            known_hosts = self.tmp / f"known_hosts_{pipe['metadata']['name']}"
            known_hosts.write_bytes(base64.b64decode(data, validate=True))
            self.own(known_hosts, 0o644)
            checking = ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}"]
        else:
            checking = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
        # -N: log in and run nothing (the server's user may have no shell); a client that got in
        # holds the connection, so it is ended once an sshd logged a login (or after 3 s).
        logins = self.logins()
        client = subprocess.Popen(
            [*self.as_user, SSH, "-F", "/dev/null", "-N", "-i", str(self.tmp / "gateway_key"), "-p", port, "-o", "BatchMode=yes",
             "-o", "ConnectTimeout=10", "-o", "GlobalKnownHostsFile=/dev/null", *checking, f"{to['username']}@{host.strip('[]')}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 3
        while client.poll() is None and self.logins() == logins and time.monotonic() < deadline:
            time.sleep(0.05)
        if client.poll() is None:
            client.terminate()
        _, stderr = client.communicate(timeout=5)
        return stderr

    def logins(self):
        """How many logins the sshds here let in so far."""
        return sum(log.read_text().count("Accepted publickey") for log in self.tmp.glob("sshd-*.log"))

    def landed_in(self, server):
        """Whether that server's sshd let the gateway's key in."""
        return "Accepted publickey" in self.sshd_log(server)

    def test_a_route_reaches_its_own_server(self):
        marias_route, _ = self.start_server("maria")
        stderr = self.through_pipe(marias_route)
        self.assertTrue(self.landed_in("maria"), stderr)

    def test_a_route_that_outlived_its_pod_takes_nobody_into_the_server_now_at_that_address(self):
        marias_route, marias_sshd = self.start_server("maria")
        # Maria's pod fails: the pod object stays, and so does the Pipe it owns. Its address goes
        # to tomas's new server.
        stop_process(marias_sshd)
        tomas_route, _ = self.start_server("tomas")
        self.assertEqual(marias_route["spec"]["to"]["host"], tomas_route["spec"]["to"]["host"])
        stderr = self.through_pipe(marias_route)
        self.assertFalse(self.landed_in("tomas"), "maria's stale route opened tomas's server")
        self.assertIn("Host key verification failed", stderr)
        # Tomas's own route reaches his server.
        stderr = self.through_pipe(tomas_route)
        self.assertTrue(self.landed_in("tomas"), stderr)


if __name__ == "__main__":
    unittest.main()
