"""The e2e job's scripts (.github/scripts/e2e/), checked here so that the job on kind fails for
what it tests, not for a script: shellcheck on every one, and hub.sh against the fake hub that
answers like JupyterHub 5.5.0's REST API (tests/python/fake_hub.py)."""
import os
import pathlib
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fake_hub import SERVICE_TOKEN, FakeHub  # noqa: E402
from project_module import ROOT  # noqa: E402

SCRIPTS = ROOT / ".github" / "scripts" / "e2e"
HUB_SH = SCRIPTS / "hub.sh"


def hub_sh(hub, *args, token=SERVICE_TOKEN):
    env = {**os.environ, "HUB": hub.url[: -len("/hub/api")], "TOKEN": token}
    return subprocess.run(["bash", str(HUB_SH), *args], env=env, capture_output=True, text=True, timeout=60)


class Scripts(unittest.TestCase):
    def test_every_script_parses(self):
        for script in sorted(SCRIPTS.glob("*.sh")):
            run = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
            self.assertEqual((run.returncode, run.stderr), (0, ""), script.name)
            self.assertTrue(os.access(script, os.X_OK), f"{script.name} is not executable")

    @unittest.skipUnless(shutil.which("shellcheck"), "shellcheck is not installed (CI installs it)")
    def test_shellcheck(self):
        scripts = [str(s) for s in sorted(SCRIPTS.glob("*.sh"))]
        run = subprocess.run(["shellcheck", "--severity=style", *scripts], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)


class HubScript(unittest.TestCase):
    def test_starts_a_server_and_waits_until_ready(self):
        with FakeHub() as hub:
            hub.add_user("alice")
            run = hub_sh(hub, "start", "alice")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(hub.running("alice"), [""])

    def test_stop_waits_for_a_pending_stop(self):
        with FakeHub(stop_polls=1) as hub:
            hub.add_user("alice", servers=[""])
            run = hub_sh(hub, "stop", "alice")
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(hub.running("alice"), [])

    def test_wait_stopped_gives_up_saying_whose(self):
        with FakeHub(stop_polls=10_000) as hub:
            hub.add_user("bob", servers=[""])
            run = hub_sh(hub, "wait-stopped", "bob", "5")
            self.assertEqual(run.returncode, 1)
            self.assertIn("bob still has a server after 5s", run.stderr)

    def test_token_refused_only_for_a_token_the_hub_no_longer_knows(self):
        with FakeHub() as hub:
            hub.add_requester("bobs-token", "bob")
            self.assertEqual(hub_sh(hub, "token-refused", "bobs-token").returncode, 1)
            del hub.requesters["bobs-token"]
            self.assertEqual(hub_sh(hub, "token-refused", "bobs-token").returncode, 0)

    def test_usage(self):
        with FakeHub() as hub:
            run = hub_sh(hub)
            self.assertEqual(run.returncode, 2)
            self.assertIn("hub.sh token <user>", run.stderr)


if __name__ == "__main__":
    unittest.main()
