"""The checker the image start hook tests source each hook under (sourced_hook.py) fails on a hook
that leaves the shell changed, each way it looks for, and passes one that tidies up after itself."""
import pathlib
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from sourced_hook import sourcing_bash  # noqa: E402

TIDY = """
tidy_hook() { local scratch="x"; echo "$scratch" >/dev/null; }
tidy_hook
unset -f tidy_hook
"""


class SourcingBashTest(unittest.TestCase):
    def source(self, hook_text, options="set -euo pipefail"):
        with tempfile.NamedTemporaryFile("w", suffix=".sh") as hook:
            hook.write(hook_text)
            hook.flush()
            return subprocess.run(["bash", "-c", sourcing_bash(options), "harness", hook.name], capture_output=True, text=True, timeout=30)

    def test_passes_a_hook_that_leaves_nothing_behind(self):
        done = self.source(TIDY)
        self.assertEqual((done.returncode, done.stdout), (0, "start.sh carries on\n"), done.stderr)

    def test_fails_on_a_variable_left_behind(self):
        for line in ("left=1", "export LEFT_EXPORTED=1", "left_array=(a b)", "left_empty="):
            with self.subTest(line=line):
                done = self.source(f"{TIDY}{line}\n")
                self.assertEqual(done.returncode, 92, done.stderr)
                self.assertIn("hook left variables behind: " + line.split("=")[0].split()[-1], done.stderr)

    def test_fails_on_a_function_left_behind(self):
        done = self.source("left_function() { :; }\n")
        self.assertEqual(done.returncode, 91, done.stderr)

    def test_fails_on_changed_shell_options(self):
        done = self.source("set +u\n")
        self.assertEqual(done.returncode, 90, done.stderr)
        self.assertIn("hook changed the shell options", done.stderr)

    def test_fails_on_a_hook_that_exits(self):
        done = self.source("exit 0\n")
        self.assertNotIn("start.sh carries on", done.stdout)


if __name__ == "__main__":
    unittest.main()
