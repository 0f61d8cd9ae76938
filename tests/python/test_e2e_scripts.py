"""The e2e job's scripts (.github/scripts/e2e/), run here against stand-ins that answer both ways,
so that each check is seen to pass on a good answer and fail on a broken one before it runs on
kind: hub.sh against the fake hub (JupyterHub 5.5.0's REST API and login page,
tests/python/fake_hub.py); ssh-check.sh against a real sshd on loopback standing in for the
gateway; netpol-check.sh, kept-after-destroy.sh, home-claim.sh and forward.sh against fake
kubectl and docker (tests/python/fake_cluster.py). Plus shellcheck on every script."""
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fake_cluster import FakeCluster, claim, namespace, pod, volume  # noqa: E402
from fake_hub import SERVICE_TOKEN, FakeHub  # noqa: E402
from loopback_server import refusing_port  # noqa: E402
from project_module import ROOT  # noqa: E402

SCRIPTS = ROOT / ".github" / "scripts" / "e2e"
HUB_SH = SCRIPTS / "hub.sh"
IS_ROOT = os.geteuid() == 0
SSHD = shutil.which("sshd", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin{os.pathsep}/sbin")


# The scripts' waits, short here: the fakes answer at once, and a dropped flow is one that hangs.
FAST = {"E2E_POLL_SECONDS": "0.2", "E2E_PROBE_SECONDS": "1"}


def hub_sh(hub, *args, token=SERVICE_TOKEN, passwords=None, tmpdir=None):
    env = {**os.environ, "HUB": hub.url[: -len("/hub/api")], "TOKEN": token, **FAST}
    if passwords:
        env["PASSWORDS"] = passwords
    if tmpdir:
        env["TMPDIR"] = tmpdir
    return subprocess.run(["bash", str(HUB_SH), *args], env=env, capture_output=True, text=True, timeout=60)


def script(name, *args, env=None, timeout=60):
    env = {**(os.environ if env is None else env), **FAST}
    return subprocess.run(["bash", str(SCRIPTS / name), *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout)


class Scripts(unittest.TestCase):
    def test_every_script_parses(self):
        for path in sorted(SCRIPTS.glob("*.sh")):
            run = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
            self.assertEqual((run.returncode, run.stderr), (0, ""), path.name)
            self.assertTrue(os.access(path, os.X_OK), f"{path.name} is not executable")

    @unittest.skipUnless(shutil.which("shellcheck"), "shellcheck is not installed (CI installs it)")
    def test_shellcheck(self):
        paths = [str(s) for s in sorted(SCRIPTS.glob("*.sh"))]
        run = subprocess.run(["shellcheck", "--severity=style", *paths], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

    def test_every_script_has_an_offline_test_here(self):
        tested = pathlib.Path(__file__).read_text()
        for path in sorted(SCRIPTS.glob("*.sh")):
            if path.name != "nfs-server.sh":  # sets the runner up (apt, exportfs); its one check is netpol-check.sh's node control
                self.assertIn(f'"{path.name}"', tested, f"{path.name} has no offline test")


class HubScript(unittest.TestCase):
    def setUp(self):
        self.passwords = tempfile.mkdtemp(prefix="e2e-passwords-")
        self.addCleanup(shutil.rmtree, self.passwords, ignore_errors=True)
        # Where mktemp puts hub.sh's cookie jar and login page, which each run removes as it ends.
        self.tmp = tempfile.mkdtemp(prefix="e2e-tmp-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def run_hub(self, hub, *args, **kwargs):
        run = hub_sh(hub, *args, passwords=self.passwords, tmpdir=self.tmp, **kwargs)
        self.assertEqual(os.listdir(self.tmp), [], f"hub.sh {' '.join(args)} left temporary files")
        return run

    def test_starts_a_server_and_waits_until_ready(self):
        with FakeHub() as hub:
            hub.add_user("alice")
            run = self.run_hub(hub, "start", "alice")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(hub.running("alice"), [""])

    def test_running_only_for_a_server_that_runs(self):
        with FakeHub() as hub:
            hub.add_user("bob", servers=[""])
            hub.add_user("carol")
            self.assertEqual(self.run_hub(hub, "running", "bob").returncode, 0)
            run = self.run_hub(hub, "running", "carol")
            self.assertEqual(run.returncode, 1)
            self.assertIn("carol's server is not running", run.stderr)

    def test_stop_waits_for_a_pending_stop(self):
        with FakeHub(stop_polls=1) as hub:
            hub.add_user("alice", servers=[""])
            run = self.run_hub(hub, "stop", "alice")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(hub.running("alice"), [])

    def test_wait_stopped_gives_up_saying_whose(self):
        with FakeHub(stop_polls=10_000) as hub:
            hub.add_user("bob", servers=[""])
            hub.users["bob"]["servers"][""]["stop_polls"] = 10_000
            run = self.run_hub(hub, "wait-stopped", "bob", "1")
            self.assertEqual(run.returncode, 1)
            self.assertIn("bob still has a server after 1s", run.stderr)

    def test_token_logs_in_first_and_a_wrong_password_is_then_refused(self):
        with FakeHub() as hub:
            hub.add_user("dev", admin=True)
            run = self.run_hub(hub, "token", "dev")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertIn(run.stdout.strip(), hub.requesters)
            self.assertEqual(hub.passwords["dev"], (pathlib.Path(self.passwords) / "dev").read_text().strip())
            # The second login uses the stored password.
            self.assertEqual(self.run_hub(hub, "token", "dev").returncode, 0)
            self.assertEqual(self.run_hub(hub, "wrong-password-refused", "dev").returncode, 0)

    def test_wrong_password_refused_fails_when_the_hub_takes_any_password(self):
        with FakeHub() as hub:
            hub.add_user("dev")
            hub.authenticate = lambda username, password: username
            run = self.run_hub(hub, "wrong-password-refused", "dev")
            self.assertEqual(run.returncode, 1)
            self.assertIn("answered 201, not 403", run.stderr)

    def test_token_fails_when_the_login_is_refused_or_broken(self):
        with FakeHub() as hub:
            hub.add_user("dev", allowed=False)
            self.assertIn("answered 403, not a redirect", self.run_hub(hub, "token", "dev").stderr)
            hub.allowed_users.add("dev")
            hub.login_failure = (500, "<html>500 : Internal Server Error</html>")
            self.assertIn("answered 500, not a redirect", self.run_hub(hub, "token", "dev").stderr)

    def test_login_refused_is_exactly_the_hubs_refusal(self):
        with FakeHub() as hub:
            hub.add_user("bob", allowed=False)
            run = self.run_hub(hub, "login-refused", "bob")
            self.assertEqual(run.returncode, 0, run.stderr)

    def test_login_refused_fails_when_the_login_succeeds(self):
        with FakeHub() as hub:
            hub.add_user("bob")
            run = self.run_hub(hub, "login-refused", "bob")
            self.assertEqual(run.returncode, 1)
            self.assertIn("the hub let bob log in", run.stderr)

    def test_login_refused_fails_on_an_error_that_is_not_a_refusal(self):
        with FakeHub() as hub:
            hub.add_user("bob", allowed=False)
            hub.login_failure = (500, "<html>500 : Internal Server Error</html>")
            run = self.run_hub(hub, "login-refused", "bob")
            self.assertEqual(run.returncode, 1)
            self.assertIn("answered 500, not the hub's refusal", run.stderr)
            # A 403 for another reason (here the XSRF check) is not a refused login either.
            hub.login_failure = (403, "<html>403 : Forbidden ('_xsrf' argument missing from POST)</html>")
            run = self.run_hub(hub, "login-refused", "bob")
            self.assertEqual(run.returncode, 1)
            self.assertIn("without the hub's 'Invalid username or password'", run.stderr)

    def test_token_refused_only_for_a_token_the_hub_no_longer_knows(self):
        with FakeHub() as hub:
            hub.add_requester("bobs-token", "bob")
            self.assertEqual(self.run_hub(hub, "token-refused", "bobs-token").returncode, 1)
            del hub.requesters["bobs-token"]
            self.assertEqual(self.run_hub(hub, "token-refused", "bobs-token").returncode, 0)

    def test_delete_user_removes_the_user_and_fails_when_it_cannot(self):
        with FakeHub() as hub:
            hub.add_user("alice")
            self.assertEqual(self.run_hub(hub, "delete-user", "alice").returncode, 0)
            self.assertNotIn("alice", hub.users)
            run = self.run_hub(hub, "delete-user", "alice")
            self.assertEqual(run.returncode, 1)
            self.assertIn("deleting alice answered 404, not 204", run.stderr)

    def test_usage(self):
        with FakeHub() as hub:
            run = self.run_hub(hub)
            self.assertEqual(run.returncode, 2)
            self.assertIn("hub.sh token <user>", run.stderr)
            self.assertIn("hub.sh delete-user <user>", run.stderr)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@unittest.skipUnless(SSHD and shutil.which("ssh") and shutil.which("ssh-keyscan"), "openssh-server and openssh-client are needed (CI installs them)")
class SshCheckScript(unittest.TestCase):
    """A real sshd on loopback is the gateway: it presents a host key and takes one user's key.
    One for the class: no test changes it, and each opens connections of its own."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="ssh-check-"))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, ignore_errors=True)
        for name in ("host_key", "user_key", "unknown_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(cls.tmp / name)], check=True)
        (cls.tmp / "authorized_keys").write_text((cls.tmp / "user_key.pub").read_text())
        os.chmod(cls.tmp / "authorized_keys", 0o600)
        cls.user = subprocess.run(["id", "-un"], capture_output=True, text=True, check=True).stdout.strip()
        cls.port = free_port()
        if IS_ROOT:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        cls.sshd = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", "/dev/null", "-p", str(cls.port), "-h", str(cls.tmp / "host_key"), "-o", "ListenAddress=127.0.0.1",
             "-o", f"PidFile={cls.tmp}/sshd.pid", "-o", "UsePAM=no", "-o", "StrictModes=no", "-o", "AuthenticationMethods=publickey",
             "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no", "-o", f"AuthorizedKeysFile={cls.tmp}/authorized_keys",
             "-o", f"AllowUsers={cls.user}", "-o", f"PermitRootLogin={'prohibit-password' if IS_ROOT else 'no'}",
             # The login's bash reads the user's ~/.bashrc when sshd runs it, unless it is a nested
             # shell (SHLVL 1 before its own); this runner's rc (a version manager's setup, half a
             # second of CPU a login) is no part of the gateway this sshd stands for.
             "-o", "SetEnv=SHLVL=1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        cls.addClassCleanup(cls._stop)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", cls.port), timeout=1).close()
                break
            except OSError:
                if cls.sshd.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("sshd did not start")
                time.sleep(0.05)
        cls.fingerprint = subprocess.run(["ssh-keygen", "-lf", str(cls.tmp / "host_key.pub")], capture_output=True, text=True, check=True).stdout.split()[1]
        cls.endpoint = f"{cls.user}@127.0.0.1 -p {cls.port}"

    @classmethod
    def _stop(cls):
        cls.sshd.terminate()
        cls.sshd.wait(timeout=5)

    def check(self, *args):
        return script("ssh-check.sh", *args, timeout=90)

    def test_logs_in_with_the_users_key_and_the_pinned_host_key(self):
        run = self.check("login", self.endpoint, self.tmp / "user_key", self.fingerprint, "echo", "marker")
        self.assertEqual((run.returncode, run.stdout.strip()), (0, "marker"), run.stderr)

    def test_login_fails_on_another_host_key(self):
        other = subprocess.run(["ssh-keygen", "-lf", str(self.tmp / "unknown_key.pub")], capture_output=True, text=True, check=True).stdout.split()[1]
        run = self.check("login", self.endpoint, self.tmp / "user_key", other, "true")
        self.assertEqual(run.returncode, 1)
        self.assertIn(f"presents host key '{self.fingerprint}', the stack says {other}", run.stderr)

    def test_login_fails_for_an_unknown_key(self):
        run = self.check("login", self.endpoint, self.tmp / "unknown_key", self.fingerprint, "true")
        self.assertEqual(run.returncode, 255)

    def test_refused_passes_for_an_unknown_key_and_a_user_without_keys(self):
        run = self.check("refused", self.endpoint, self.tmp / "unknown_key", self.fingerprint)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("Permission denied", run.stdout)
        run = self.check("refused", f"nobody@127.0.0.1 -p {self.port}", self.tmp / "user_key", self.fingerprint)
        self.assertEqual(run.returncode, 0, run.stderr)

    def test_refused_fails_when_the_key_is_let_in(self):
        run = self.check("refused", self.endpoint, self.tmp / "user_key", self.fingerprint)
        self.assertEqual(run.returncode, 1)
        self.assertIn("logged in", run.stderr)

    def test_refused_fails_for_a_dead_port(self):
        run = self.check("refused", f"{self.user}@127.0.0.1 -p {refusing_port()}", self.tmp / "unknown_key", self.fingerprint)
        self.assertEqual(run.returncode, 1)
        self.assertIn("presents host key 'none'", run.stderr)

    def test_an_endpoint_users_cannot_use_fails(self):
        for endpoint in ("alice@<address pending> -p 30022", "alice@", "127.0.0.1 -p 22", "alice@host -p"):
            run = self.check("login", endpoint, self.tmp / "user_key", self.fingerprint, "true")
            self.assertEqual(run.returncode, 1, endpoint)
            self.assertIn("not an SSH endpoint a user can use", run.stderr)


NS = "jupyterhub-e2e"
NFS = "172.18.0.1"
NODE = "jupyterhub-homes-control-plane"
NODE_ADDRESS = "172.18.0.2"
GATEWAY_IP = "10.244.0.5"
BOB_IP = "10.244.0.21"


def netpol_world(**overrides):
    """The e2e cluster as it must be: every control open, every policy denial closed."""
    server = lambda user, ip: pod(f"jupyter-{user}", NS, {"component": "singleuser-server", "hub.jupyter.org/username": user}, ip=ip)
    reach = {
        f"node:{NODE}": {f"{NFS}:2049": "open"},
        "e2e-netpol-probe": {f"{NFS}:2049": "open"},
        "jupyter-bob": {"127.0.0.1:2222": "open"},
        "jupyter-alice": {"hub:8081": "open", f"{NFS}:2049": "closed", f"{GATEWAY_IP}:2222": "closed", f"{NODE_ADDRESS}:30022": "closed", f"{BOB_IP}:2222": "closed"},
    }
    for key, value in overrides.items():
        source, destination = key.split("->")
        reach[source][destination] = value
    return {
        "objects": [
            server("alice", "10.244.0.20"),
            server("bob", BOB_IP),
            pod("jupyterhub-ssh-gateway-abc", NS, {"app.kubernetes.io/name": "sshpiperd", "app.kubernetes.io/instance": "jupyterhub"}, ip=GATEWAY_IP, containers=("sshpiperd",)),
        ],
        "reach": reach,
    }


class NetpolCheckScript(unittest.TestCase):
    def run_check(self, world):
        cluster = FakeCluster(world)
        self.addCleanup(cluster.close)
        run = script("netpol-check.sh", NS, "jupyterhub", "alice", "bob", NFS, NODE, NODE_ADDRESS, 30022, "localhost/jupyterhub-e2e/base:e2e", env=cluster.env())
        return run, cluster

    def test_passes_when_controls_are_open_and_denials_closed(self):
        run, cluster = self.run_check(netpol_world())
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("probe pod (no policy) → NFS 172.18.0.1:2049: open", run.stdout)
        self.assertIn("alice's server → bob's sshd 10.244.0.21:2222: closed", run.stdout)
        # The probe was started with the image the node has, and removed afterwards.
        runs = [c for c in cluster.calls() if "run" in c]
        self.assertIn("--image=localhost/jupyterhub-e2e/base:e2e", runs[0])
        self.assertNotIn("e2e-netpol-probe", [o["metadata"]["name"] for o in cluster.read()["objects"]])

    def test_fails_for_each_broken_answer(self):
        broken = {
            f"node:{NODE}->{NFS}:2049": ("closed", "the kind node cannot reach"),
            f"e2e-netpol-probe->{NFS}:2049": ("closed", "probe pod (no policy) → NFS 172.18.0.1:2049 is 'closed', it must be open"),
            "jupyter-bob->127.0.0.1:2222": ("closed", "bob's server → its own sshd 127.0.0.1:2222 is 'closed'"),
            "jupyter-alice->hub:8081": ("closed", "alice's server → hub:8081 is 'closed', it must be open"),
            f"jupyter-alice->{NFS}:2049": ("open", "alice's server → NFS 172.18.0.1:2049 is 'open', it must be closed"),
            f"jupyter-alice->{GATEWAY_IP}:2222": ("open", "SSH gateway pod 10.244.0.5:2222 is 'open'"),
            f"jupyter-alice->{NODE_ADDRESS}:30022": ("open", "SSH node port 172.18.0.2:30022 is 'open'"),
            f"jupyter-alice->{BOB_IP}:2222": ("open", "bob's sshd 10.244.0.21:2222 is 'open'"),
        }
        for flow, (state, message) in broken.items():
            with self.subTest(flow=flow):
                run, _ = self.run_check(netpol_world(**{flow: state}))
                self.assertEqual(run.returncode, 1, run.stdout)
                self.assertIn(message, run.stderr)

    def test_fails_without_the_pods_it_checks(self):
        world = netpol_world()
        world["objects"] = [o for o in world["objects"] if o["metadata"]["name"] != "jupyter-bob"]
        run, _ = self.run_check(world)
        self.assertEqual(run.returncode, 1)
        self.assertIn("no server pod of bob in jupyterhub-e2e", run.stderr)


class KeptAfterDestroyScript(unittest.TestCase):
    def world(self, phase="Active", objects=None):
        kept = [namespace(NS, phase), volume(f"{NS}-homes"), claim("homes", NS)]
        return {"objects": kept + (objects or [])}

    def run_check(self, world):
        cluster = FakeCluster(world)
        self.addCleanup(cluster.close)
        return script("kept-after-destroy.sh", NS, f"{NS}-homes", env=cluster.env())

    def test_passes_when_all_is_kept_and_no_server_runs(self):
        run = self.run_check(self.world())
        self.assertEqual(run.returncode, 0, run.stderr)

    def test_fails_for_each_broken_answer(self):
        cases = {
            "terminating namespace": (self.world("Terminating"), "namespace jupyterhub-e2e is 'Terminating' after destroy"),
            "no volume": ({"objects": [namespace(NS), claim("homes", NS)]}, 'persistentvolumes "jupyterhub-e2e-homes" not found'),
            "no claim": ({"objects": [namespace(NS), volume(f"{NS}-homes")]}, 'persistentvolumeclaims "homes" not found'),
            "a server left": (self.world(objects=[pod("jupyter-alice", NS, {"component": "singleuser-server"})]), "servers still running after destroy: pod/jupyter-alice"),
        }
        for case, (world, message) in cases.items():
            with self.subTest(case=case):
                run = self.run_check(world)
                self.assertEqual(run.returncode, 1)
                self.assertIn(message, run.stderr)


class HomeClaimScript(unittest.TestCase):
    LABELS = {"component": "singleuser-storage", "hub.jupyter.org/username": "alice"}

    def run_script(self, objects, *args):
        cluster = FakeCluster({"objects": objects})
        self.addCleanup(cluster.close)
        return script("home-claim.sh", *args, env=cluster.env())

    def test_uid_of_the_one_claim(self):
        run = self.run_script([claim("claim-alice", "jupyterhub-dev", self.LABELS, uid="u-1")], "uid", "jupyterhub-dev", "alice")
        self.assertEqual((run.returncode, run.stdout.strip()), (0, "u-1"), run.stderr)
        run = self.run_script([], "uid", "jupyterhub-dev", "alice")
        self.assertEqual(run.returncode, 1)
        self.assertIn("alice has 0 home claims in jupyterhub-dev, not 1", run.stderr)

    def test_kept_only_for_the_same_claim_not_being_deleted(self):
        run = self.run_script([claim("claim-alice", "jupyterhub-dev", self.LABELS, uid="u-1")], "kept", "jupyterhub-dev", "alice", "u-1")
        self.assertEqual(run.returncode, 0, run.stderr)
        cases = {
            "gone": ([], "alice's home claim u-1 is gone"),
            "recreated": ([claim("claim-alice", "jupyterhub-dev", self.LABELS, uid="u-2")], "alice's home claim u-1 is gone"),
            "deleting": ([claim("claim-alice", "jupyterhub-dev", self.LABELS, uid="u-1", deleting="2026-01-01T00:00:00Z")], "is being deleted"),
        }
        for case, (objects, message) in cases.items():
            with self.subTest(case=case):
                run = self.run_script(objects, "kept", "jupyterhub-dev", "alice", "u-1")
                self.assertEqual(run.returncode, 1)
                self.assertIn(message, run.stderr)


class ForwardScript(unittest.TestCase):
    def test_a_dropped_forward_comes_back_and_stop_ends_it(self):
        cluster = FakeCluster({"forward_connections": 1})
        self.addCleanup(cluster.close)
        temp = cluster.dir / "runner-temp"
        temp.mkdir()
        env = cluster.env(RUNNER_TEMP=str(temp))
        port = free_port()
        run = script("forward.sh", "start", "proxy", NS, "proxy-public", f"{port}:80", env=env)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.addCleanup(script, "forward.sh", "stop", "proxy", env=env)

        def get():
            deadline = time.monotonic() + 15
            while True:
                try:
                    return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)

        # Each fake forward serves one connection and drops: the second answer is a restarted one.
        self.assertEqual(get(), "svc/proxy-public")
        self.assertEqual(get(), "svc/proxy-public")
        self.assertGreaterEqual(sum(1 for c in cluster.calls() if "port-forward" in c), 2)
        self.assertIn("starting it again", (temp / "proxy.log").read_text())

        self.assertEqual(script("forward.sh", "stop", "proxy", env=env).returncode, 0)
        time.sleep(1.5)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


if __name__ == "__main__":
    unittest.main()
