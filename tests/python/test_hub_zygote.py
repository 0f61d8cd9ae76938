"""The zygote that runs the Python test modules (tests/python/hub_zygote.py): each child is the
process `python <argv>` would be, from its argv to how it ends. Its preload here is one small
module, so the test costs no hub import; `npm run test:python` runs every module through the
real preload (which fails a run that leaves a thread or an event loop, as the last test shows)."""
import json
import os
import pathlib
import signal
import sys
import tempfile
import textwrap
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from hub_zygote import Zygote  # noqa: E402

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
        out = self.tmp / f"out-{self.id()}-{len(os.listdir(self.tmp))}"
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


if __name__ == "__main__":
    unittest.main()
