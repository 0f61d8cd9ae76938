"""The zygote that runs the Python test modules (tests/python/hub_zygote.py): each child is the
process `python <argv>` would be, from its argv to how it ends. Its preload here is one small
module, so the test costs no hub import; `npm run test:python` runs every module through the
real preload (which fails a run that leaves a thread or an event loop, as ZygoteChildren's last
test shows). SharedZygote: the one `npm test` shares among its parts (`--listen`), serving
several clients at once."""
import itertools
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from hub_zygote import Zygote  # noqa: E402

ZYGOTE = pathlib.Path(__file__).resolve().parent / "hub_zygote.py"
# Each child's output file a name of its own: a child makes its file when it starts, which may be
# after the next spawn.
OUTPUT_NUMBERS = itertools.count()

PROBE = """
import json, os, random, signal, sys, threading
print(json.dumps({
    "argv": sys.argv, "path0": sys.path[0], "cwd": os.getcwd(), "name": __name__,
    "env": {k: os.environ.get(k) for k in ("ZYGOTE_TEST_SET", "ZYGOTE_TEST_UNSET")},
    "stdin": sys.stdin.read(), "random": random.random(), "threads": threading.active_count(),
    "sigint": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
    "sigchld": signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL,
    "sigpipe": signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN,
    "session": os.getsid(0) == os.getpid(), "preloaded": "zygote_preloaded" in sys.modules,
}))
print("to stderr", file=sys.stderr)
"""

ENDINGS = {
    "exit3": "import sys; sys.exit(3)",
    "raises": "raise ValueError('the program failed')",
    "killed": "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
    "shutdown": textwrap.dedent("""
        import atexit, threading, time
        atexit.register(lambda: print("atexit ran", flush=True))
        def late():
            time.sleep(0.2)
            print("thread joined", flush=True)
        threading.Thread(target=late).start()
        print("main returned", flush=True)
    """),
}


def has_ended(pid):
    """Whether process `pid` runs no more: gone, or a zombie its parent has not reaped yet. A killed
    orphan's parent is init, which reaps when it will (a VM's init here did on a timer, every 1.7 s,
    later under load): a zombie for seconds, though it ended at once."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_until_ended(test, pid, timeout=10):
    """Fails `test` unless process `pid` ends within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not has_ended(pid):
        if time.monotonic() > deadline:
            test.fail(f"process {pid} still runs {timeout} s on")
        time.sleep(0.01)


class ZygoteChildren(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="zygote-test-"))
        (cls.tmp / "pkg").mkdir()
        (cls.tmp / "pkg" / "probe.py").write_text(PROBE)
        for name, code in ENDINGS.items():
            (cls.tmp / f"{name}.py").write_text(code)
        (cls.tmp / "zygote_preloaded.py").write_text("")
        (cls.tmp / "starts_a_thread.py").write_text("import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n")
        cls.env = {**os.environ, "PYTHONPATH": str(cls.tmp), "ZYGOTE_TEST_UNSET": "the zygote's"}
        cls.zygote = Zygote(sys.executable, env=cls.env, preload=["zygote_preloaded"])

    @classmethod
    def tearDownClass(cls):
        cls.zygote.close()
        import shutil

        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_child(self, argv, **options):
        out = self.tmp / f"out-{self.id()}-{next(OUTPUT_NUMBERS)}"
        child = self.zygote.spawn(argv, stdout=out, **options)
        status = child.wait(timeout=30)
        return status, out.read_text()

    def probe(self, argv=("-m", "pkg.probe", "--flag"), **options):
        env = {k: v for k, v in self.env.items() if k != "ZYGOTE_TEST_UNSET"}
        status, output = self.run_child(list(argv), cwd=str(self.tmp), env={**env, "ZYGOTE_TEST_SET": "given"}, **options)
        self.assertEqual(status, 0, output)
        first, second = output.splitlines()
        self.assertEqual(second, "to stderr")
        return json.loads(first)

    def test_a_module_runs_as_python_m_would_run_it(self):
        state = self.probe()
        self.assertEqual(state["argv"], [str(self.tmp / "pkg" / "probe.py"), "--flag"])
        self.assertEqual((state["path0"], state["cwd"], state["name"]), (str(self.tmp), str(self.tmp), "__main__"))
        self.assertEqual(state["env"], {"ZYGOTE_TEST_SET": "given", "ZYGOTE_TEST_UNSET": None})
        self.assertEqual((state["stdin"], state["threads"], state["session"]), ("", 1, False))
        self.assertTrue(state["sigint"] and state["sigchld"] and state["sigpipe"], state)
        self.assertTrue(state["preloaded"])

    def test_a_script_runs_as_python_script_would_run_it(self):
        script = self.tmp / "pkg" / "probe.py"
        state = self.probe([str(script), "x"], new_session=True)
        self.assertEqual((state["argv"], state["path0"], state["session"]), ([str(script), "x"], str(self.tmp / "pkg"), True))

    def test_stdin_and_a_separate_stderr(self):
        stdin = self.tmp / "stdin"
        stdin.write_text("given input")
        err = self.tmp / "err"
        status, output = self.run_child(["-m", "pkg.probe"], stdin=stdin, stderr=err)
        self.assertEqual((status, json.loads(output)["stdin"], err.read_text()), (0, "given input", "to stderr\n"))

    def test_its_stdout_is_in_append_mode_so_another_writer_of_the_file_loses_nothing(self):
        # A hub's log, which its managed services write to as well (tests/realhub/service_python3.py).
        out, go = self.tmp / "shared-log", self.tmp / "go-on"
        script = self.tmp / "writes_twice.py"
        script.write_text(f"import os, time\nprint('first', flush=True)\nwhile not os.path.exists({str(go)!r}): time.sleep(0.01)\nprint('second', flush=True)\n")
        child = self.zygote.spawn([str(script)], stdout=out)
        for _ in range(1000):
            if out.exists() and out.read_text():
                break
            time.sleep(0.01)
        with open(out, "a") as other:
            other.write("another writer\n")
        go.touch()
        self.assertEqual(child.wait(timeout=30), 0)
        self.assertEqual(out.read_text(), "first\nanother writer\nsecond\n")

    def test_each_child_has_its_own_random_state(self):
        self.assertNotEqual(self.probe()["random"], self.probe()["random"])

    def test_it_ends_as_the_interpreter_would(self):
        self.assertEqual(self.run_child([str(self.tmp / "exit3.py")]), (3, ""))
        status, output = self.run_child([str(self.tmp / "raises.py")])
        self.assertEqual(status, 1)
        self.assertIn("ValueError: the program failed", output)
        self.assertEqual(self.run_child([str(self.tmp / "killed.py")]), (-signal.SIGTERM, ""))
        self.assertEqual(self.run_child([str(self.tmp / "shutdown.py")]), (0, "main returned\nthread joined\natexit ran\n"))

    def test_a_preload_that_leaves_a_thread_is_refused(self):
        for preload, says in (("starts_a_thread", "RuntimeError: the preload left threads running"), ("no_such_module_here", "No module named 'no_such_module_here'")):
            with tempfile.TemporaryFile() as stderr:
                with self.assertRaisesRegex(RuntimeError, "did not preload"):
                    Zygote(sys.executable, env=self.env, preload=[preload], stderr=stderr)
                stderr.seek(0)
                self.assertIn(says, stderr.read().decode())


SLEEPS_THEN_EXITS = "import sys, time\ntime.sleep(float(sys.argv[1]))\nprint('done', flush=True)\nsys.exit(int(sys.argv[2]))\n"
# A thread that starts in the zygote after its preload (on SIGUSR1), as a bug in it would start one.
THREAD_ON_SIGNAL = textwrap.dedent("""
    import pathlib, signal, threading, time
    def start_thread(*_):
        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
        pathlib.Path(__file__).with_name("thread_started").write_text("")
    signal.signal(signal.SIGUSR1, start_thread)
""")


class SharedZygote(unittest.TestCase):
    """`hub_zygote.py --listen <socket>`: a client per connection, each with its own children."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="zygote-shared-test-"))
        (cls.tmp / "zygote_preloaded.py").write_text("")
        (cls.tmp / "thread_on_signal.py").write_text(THREAD_ON_SIGNAL)
        (cls.tmp / "sleeps_then_exits.py").write_text(SLEEPS_THEN_EXITS)
        cls.env = {**os.environ, "PYTHONPATH": str(cls.tmp)}
        cls.process, cls.socket = cls.listening("zygote_preloaded")

    @classmethod
    def tearDownClass(cls):
        cls.ended(cls.process)
        import shutil

        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def listening(cls, preload, name="zygote.sock"):
        """A zygote listening at a socket of the test's directory, once it says so."""
        socket = cls.tmp / name
        process = subprocess.Popen([sys.executable, str(ZYGOTE), "--listen", str(socket)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**cls.env, "HUB_ZYGOTE_PRELOAD": preload})
        assert json.loads(process.stdout.readline()) == {"listening": str(socket)}
        return process, socket

    @staticmethod
    def ended(process):
        """Closes its stdin (its lifeline), waits for its end, its exit status."""
        process.stdin.close()
        code = process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()
        return code

    def spawn(self, zygote, seconds, code):
        out = self.tmp / f"out-{self.id()}-{next(OUTPUT_NUMBERS)}"
        return zygote.spawn([str(self.tmp / "sleeps_then_exits.py"), str(seconds), str(code)], stdout=out), out

    def test_two_clients_at_once_each_get_their_own_exits(self):
        first, second = Zygote.connect(self.socket), Zygote.connect(self.socket)
        self.assertTrue(first.preload["shared"] and second.preload["shared"])
        # Their request ids are the same (1, 2): each exit goes to the connection that asked.
        slow, _ = self.spawn(first, 0.4, 3)
        fast, _ = self.spawn(second, 0.1, 4)
        fast2, _ = self.spawn(first, 0.1, 5)
        slow2, _ = self.spawn(second, 0.4, 6)
        self.assertEqual([c.wait(timeout=30) for c in (slow, fast, fast2, slow2)], [3, 4, 5, 6])
        first.close()
        second.close()

    def test_a_client_that_goes_away_leaves_the_others_served(self):
        gone, staying = Zygote.connect(self.socket), Zygote.connect(self.socket)
        orphan, orphan_out = self.spawn(gone, 0.5, 0)
        gone.process.kill()  # the connection drops, its child still running
        gone._reader.join(timeout=30)
        child, out = self.spawn(staying, 0.8, 7)
        self.assertEqual((child.wait(timeout=30), out.read_text()), (7, "done\n"))
        self.assertEqual(orphan_out.read_text(), "done\n")  # it ran to its end, unreported
        self.assertIsNone(orphan.poll())
        later = Zygote.connect(self.socket)
        self.assertEqual(self.spawn(later, 0, 8)[0].wait(timeout=30), 8)
        later.close()
        staying.close()
        gone.close()

    def test_a_client_that_closes_gets_its_childrens_exits_first(self):
        client = Zygote.connect(self.socket)
        child, _ = self.spawn(client, 0.3, 9)
        client.close()
        self.assertEqual(child.poll(), 9)

    def test_a_thread_in_the_zygote_refuses_every_clients_fork(self):
        process, socket = self.listening("thread_on_signal", "hazard.sock")
        first, second = Zygote.connect(socket), Zygote.connect(socket)
        self.assertEqual(self.spawn(first, 0, 0)[0].wait(timeout=30), 0)
        process.send_signal(signal.SIGUSR1)
        for _ in range(300):
            if (self.tmp / "thread_started").exists():
                break
            time.sleep(0.01)
        for client in (first, second):
            with self.assertRaisesRegex(OSError, "the zygote has threads running"):
                self.spawn(client, 0, 0)
            client.close()
        self.assertEqual(self.ended(process), 0)

    def test_it_ends_when_its_stdin_closes_and_takes_its_socket(self):
        process, socket = self.listening("zygote_preloaded", "ending.sock")
        client = Zygote.connect(socket)
        child, out = self.spawn(client, 0.3, 0)
        self.assertEqual(self.ended(process), 0)
        self.assertEqual(out.read_text(), "done\n")  # its child ended first
        self.assertFalse(socket.exists())
        client._reader.join(timeout=30)  # the zygote dropped the connection
        self.assertEqual(child.poll(), None)  # unreported: the zygote was ending
        client.close()

    def test_sigterm_ends_it_at_once_with_its_children(self):
        # What sharedHubZygotes.ts does when children outlive every client: they end with it.
        process, socket = self.listening("zygote_preloaded", "terminated.sock")
        client = Zygote.connect(socket)
        child, out = self.spawn(client, 30, 0)
        for _ in range(500):  # the child is running its script
            if out.exists():
                break
            time.sleep(0.01)
        process.stdin.close()  # no more clients; the child would keep it for 30 s
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(timeout=10), 143)
        process.stdout.close()
        process.stderr.close()
        wait_until_ended(self, child.pid)  # killed; init reaps it
        self.assertEqual(out.read_text(), "")
        self.assertFalse(socket.exists())
        client.close()

    def test_a_failed_preload_ends_it(self):
        process, socket = self.listening("no_such_module_here", "failing.sock")
        self.assertEqual(process.wait(timeout=30), 1)
        self.assertIn("No module named 'no_such_module_here'", process.stderr.read().decode())
        self.assertFalse(socket.exists())
        self.ended(process)


SERVICE = """
import json, os, sys, time
print(json.dumps({"argv": sys.argv, "cwd": os.getcwd(), "env": os.environ.get("SERVICE_TEST"), "pid": os.getpid(), "parent": os.getppid(), "preloaded": "zygote_preloaded" in sys.modules}), flush=True)
if sys.argv[1:] == ["wait"]:
    time.sleep(30)
sys.exit(7)
"""


def children_of(pid):
    """The processes whose parent is `pid`, zombies included (a child not reaped yet is not gone)."""
    found = set()
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry))
        except (OSError, ValueError, IndexError):
            pass  # not a process, or ended meanwhile
    return found


class ServicePython3(unittest.TestCase):
    """tests/realhub/service_python3.py, the `python3` of the real-hub tier's hubs, with a zygote
    forked from this process as run_hub.py forks one (Zygote.forked_listening): a managed service
    the hub starts runs as that zygote's child, and the process the hub holds ends as it does."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "realhub"))
        import service_python3

        cls.service_python3 = service_python3
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="zygote-service-test-"))
        (cls.tmp / "zygote_preloaded.py").write_text("")
        (cls.tmp / "service.py").write_text(SERVICE)
        sys.path.insert(0, str(cls.tmp))
        import zygote_preloaded  # noqa: F401  what the forked zygote's children have already

        cls.zygote = Zygote.forked_listening(cls.tmp / "services.sock")
        cls.python3 = cls.shim(cls.zygote, "bin")

    @classmethod
    def shim(cls, zygote, name):
        return str(pathlib.Path(cls.service_python3.write(str(cls.tmp / name), zygote.path)) / "python3")

    @classmethod
    def tearDownClass(cls):
        cls.zygote.close()
        sys.path.remove(str(cls.tmp))
        import shutil

        shutil.rmtree(cls.tmp, ignore_errors=True)

    def wait_for_output(self, log):
        for _ in range(1000):
            if log.read_text():
                return json.loads(log.read_text())
            time.sleep(0.01)
        self.fail(f"the service wrote nothing to {log}")

    def start(self, *args, log, python3=None):
        # As JupyterHub starts a service: its env, cwd and a session of its own; stdout the hub's log.
        return subprocess.Popen([python3 or self.python3, str(self.tmp / "service.py"), *args], cwd=self.tmp, env={**os.environ, "SERVICE_TEST": "given"}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def test_the_service_runs_in_the_zygotes_child_and_its_exit_is_the_processs(self):
        log = self.tmp / "hub.log"
        # The hub's log as the zygote gives it to a hub: in append mode (hub_zygote.become).
        with open(log, "a") as hub_log:
            hub_log.write("the hub's line before\n")
            hub_log.flush()
            code = self.start("a", log=hub_log).wait(timeout=30)
            hub_log.write("the hub's line after\n")
        self.assertEqual(code, 7)
        lines = log.read_text().splitlines()
        self.assertEqual([lines[0], lines[2]], ["the hub's line before", "the hub's line after"])
        seen = json.loads(lines[1])
        del seen["pid"]
        self.assertEqual(seen, {"argv": [str(self.tmp / "service.py"), "a"], "cwd": str(self.tmp), "env": "given", "parent": self.zygote.pid, "preloaded": True})

    def test_a_signal_to_the_process_ends_the_service_the_same_way(self):
        log = self.tmp / "signalled.log"
        with open(log, "w") as hub_log:
            process = self.start("wait", log=hub_log)
            service = self.wait_for_output(log)
            process.send_signal(signal.SIGTERM)
            self.assertEqual(process.wait(timeout=10), -signal.SIGTERM)
        self.assertEqual(service["parent"], self.zygote.pid)

    def test_a_sigkill_to_the_process_ends_the_service_too(self):
        # What JupyterHub's LocalProcessSpawner does to a service that outlives SIGTERM's grace, and
        # the kubelet to every process of a hub container it stops: the service is that process in
        # the image, so it must not run on (into the next release's hub) once the hub killed it.
        log = self.tmp / "killed.log"
        with open(log, "w") as hub_log:
            process = self.start("wait", log=hub_log)
            service = self.wait_for_output(log)
            process.kill()
            self.assertEqual(process.wait(timeout=10), -signal.SIGKILL)
        with self.assertRaises(ProcessLookupError):
            for _ in range(500):  # killed by the zygote, which reaps it
                os.kill(service["pid"], 0)
                time.sleep(0.01)

    def test_a_client_gone_before_its_pid_reply_still_takes_its_service(self):
        # The race under load: the service runs, the hub kills the python3 holding it, and only then
        # does the zygote, back from fork(), send that process the pid. The send fails, the zygote
        # drops the connection, and the end it would have read is never read. Here the client sends
        # a bound request and is gone at once, so the reply fails the same way. The service may be
        # killed before it prints anything: what counts is that the zygote has no child left.
        before = children_of(self.zygote.pid)
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(str(self.tmp / "services.sock"))
        client.makefile("rb").readline()  # the greeting
        request = {"id": 1, "argv": [str(self.tmp / "service.py"), "wait"], "stdout": os.devnull, "cwd": str(self.tmp), "env": dict(os.environ), "bound": True}
        client.sendall((json.dumps(request) + "\n").encode())
        client.close()
        # Another client's child that runs and ends: by its exit the zygote has read that request.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as other:
            other.connect(str(self.tmp / "services.sock"))
            replies = other.makefile("rb")
            replies.readline()  # the greeting
            other.sendall((json.dumps({**request, "id": 2, "argv": [str(self.tmp / "service.py"), "a"], "bound": False}) + "\n").encode())
            exits = (reply["exit"] for reply in map(json.loads, replies) if "exit" in reply)
            self.assertEqual(next(exits), 7)
        for _ in range(500):  # killed by the zygote, which reaps it; without the kill it runs 30 s
            left = children_of(self.zygote.pid) - before
            if not left:
                break
            time.sleep(0.01)
        self.assertEqual(left, set())

    def test_closing_the_zygote_ends_a_service_still_running_and_its_socket(self):
        # What run_hub.py does last: a service the hub left running goes with the run.
        zygote = Zygote.forked_listening(self.tmp / "closed.sock")
        log = self.tmp / "closed.log"
        with open(log, "w") as hub_log:
            process = self.start("wait", log=hub_log, python3=self.shim(zygote, "closed-bin"))
            service = self.wait_for_output(log)
            zygote.close()
            self.assertEqual(process.wait(timeout=10), 1)
        wait_until_ended(self, service["pid"])  # killed; init reaps it
        self.assertFalse((self.tmp / "closed.sock").exists())

    def test_what_the_zygote_cannot_run_the_real_python3_runs(self):
        reply = subprocess.run([self.python3, "-c", "import sys; print(sys.executable, 'site' in sys.modules)"], capture_output=True, text=True, timeout=30)
        self.assertEqual(reply.stdout.split(), [sys.executable, "True"])


if __name__ == "__main__":
    unittest.main()
