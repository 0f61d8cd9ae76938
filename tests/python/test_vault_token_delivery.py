"""The Vault token's way into a server, run for real (run by `npm test`): the hub's pre-spawn hook
mints it wrapped, the pod spec gets only the one-time wrapping token, the image's start hook
(images/base/before-notebook.d/15-vault-token.sh) unwraps it with the notebook helper into
VAULT_TOKEN_FILE, the helper uses it, and the stop revokes it.

The start hook is sourced the way the Docker Stacks start.sh does, from a strict bash
(`set -euo pipefail`), with the token's emptyDir stood in for by a temporary directory made the
way the kubelet makes one (root's, mode 0777), against the fake Vault. Run as root, the hook takes
its root branch (the directory becomes the notebook user's, the unwrap runs as NB_UID) and one
test also runs it as an unprivileged user; run as a user, it takes the user branch.
"""
import asyncio
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from project_module import ROOT, load_project_module as load  # noqa: E402
import chart_hub  # noqa: E402
from fake_vault import SERVICE_ACCOUNT_JWT, FakeVault, accessor_for, user_token_for, hook_config as config  # noqa: E402
from sourced_hook import sourcing_bash  # noqa: E402

HOOK = ROOT / "images" / "base" / "before-notebook.d" / "15-vault-token.sh"
HELPER = ROOT / "components" / "vault" / "vault_secrets.py"
vault_token_hook = load("components/vault/vault_token_hook.py", "vault_token_hook")

IS_ROOT = os.geteuid() == 0
NOBODY = 65534
OWNER_UID = NOBODY if IS_ROOT else os.getuid()
OWNER_GID = NOBODY if IS_ROOT else os.getgid()


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


class DeliveryCase(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="vault-delivery-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        os.chmod(self.tmp, 0o755)
        # The emptyDir as the kubelet creates it: root's, open to everyone, until the hook runs.
        self.token_dir = self.tmp / "run" / "jupyterhub-vault"
        self.token_dir.mkdir(parents=True)
        os.chmod(self.token_dir.parent, 0o755)
        os.chmod(self.token_dir, 0o777)
        # The helper as the hub mounts it (0644), somewhere the notebook user can read.
        self.helper = self.tmp / "opt" / "vault_secrets.py"
        self.helper.parent.mkdir()
        os.chmod(self.helper.parent, 0o755)
        shutil.copy(HELPER, self.helper)
        os.chmod(self.helper, 0o644)
        # The hook as the image has it (0644 under /usr/local/bin/before-notebook.d): a copy, since
        # the checkout may sit where the notebook user cannot reach (a 0700 home or temporary dir).
        self.hook = self.tmp / "before-notebook.d" / HOOK.name
        self.hook.parent.mkdir()
        os.chmod(self.hook.parent, 0o755)
        shutil.copy(HOOK, self.hook)
        os.chmod(self.hook, 0o644)
        self.vault = FakeVault()
        self.vault.__enter__()
        self.addCleanup(self.vault.__exit__)

    def pod_environment(self, environment):
        """The notebook container's environment: the hub's entries, with the token directory here."""
        env = {name: value for name, value in os.environ.items() if not name.startswith(("NOTEBOOK_VAULT", "VAULT_", "NB_"))}
        env.update({name: value for name, value in environment.items()})
        if "VAULT_TOKEN_FILE" in env:
            env["VAULT_TOKEN_FILE"] = str(self.token_dir / "token")
        env.update(NB_UID=str(OWNER_UID), NB_GID=str(OWNER_GID), JUPYTERHUB_VAULT_HELPER=str(self.helper))
        # The image's python3, on a PATH the notebook user can search (the test runner's own PATH
        # may name directories under /root, such as a pyenv's shims, that it cannot).
        env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
        return env

    def spawned(self, username="ada"):
        """What the hub's pre-spawn hook gives a server of `username`: its KubeSpawner (configured
        by the chart's jupyterhub_config.py), after the hook."""
        hub = chart_hub.Hub(chart_hub.hub_config())
        self.addCleanup(hub.close)
        spawner = hub.spawner(hub.user(username))
        client = vault_token_hook.VaultClient(config(self.vault.address), read_service_account_token=lambda: SERVICE_ACCOUNT_JWT)
        asyncio.run(vault_token_hook.make_pre_spawn_hook(config(self.vault.address), client)(spawner))
        self.pods = getattr(self, "pods", {})
        self.pods[spawner] = hub.pod_json(spawner)
        return spawner

    def start(self, env, prefix=()):
        """start.sh sourcing the hook; its log (stderr)."""
        result = subprocess.run(
            [*prefix, "bash", "-c", sourcing_bash(), "harness", str(self.hook)], env=env, capture_output=True, text=True, timeout=60
        )
        self.assertEqual(result.returncode, 0, f"stdout: {result.stdout}\nstderr: {result.stderr}")
        self.assertIn("start.sh carries on", result.stdout)
        return result.stderr

    def assert_no_secret_in(self, text, spawner):
        for secret in (user_token_for("ada"), spawner.environment.get("NOTEBOOK_VAULT_WRAPPING_TOKEN", "-"), accessor_for("ada")):
            self.assertNotIn(secret, text)


@chart_hub.on_the_newest_chart_only("the start hook runs in the server image, whatever the hub's chart")
class StartHookTest(DeliveryCase):
    def test_unwraps_into_a_file_in_the_emptydir_only_the_notebook_user_can_read(self):
        spawner = self.spawned()
        log = self.start(self.pod_environment(spawner.environment))
        token_file = self.token_dir / "token"
        self.assertEqual(token_file.read_text(), user_token_for("ada"))
        self.assertEqual(mode(token_file), 0o600)
        self.assertEqual(os.stat(token_file).st_uid, OWNER_UID)
        if IS_ROOT:
            # The emptyDir became the user's own, closed to everyone else.
            self.assertEqual((os.stat(self.token_dir).st_uid, mode(self.token_dir)), (OWNER_UID, 0o700))
        self.assertIn("Vault token unwrapped into", log)
        self.assert_no_secret_in(log, spawner)
        # The wrapping token in the pod spec is spent now: whoever reads it later gets nothing.
        self.assertEqual(self.vault.route("POST", "/v1/sys/wrapping/unwrap", None, spawner.environment["NOTEBOOK_VAULT_WRAPPING_TOKEN"])[0], 400)

    @unittest.skipUnless(IS_ROOT, "runs the hook as another user, which needs root")
    def test_started_as_the_notebook_user_it_unwraps_as_that_user(self):
        spawner = self.spawned()
        self.start(self.pod_environment(spawner.environment), prefix=("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"))
        token_file = self.token_dir / "token"
        self.assertEqual((os.stat(token_file).st_uid, mode(token_file)), (NOBODY, 0o600))
        self.assertEqual(mode(self.token_dir), 0o777)  # not the user's to close; nobody else runs here

    def test_a_restarted_container_finds_its_token_and_unwraps_nothing(self):
        spawner = self.spawned()
        env = self.pod_environment(spawner.environment)
        self.start(env)
        log = self.start(env)
        self.assertIn("Vault token already in", log)
        self.assertEqual(len(self.vault.paths_requested("/v1/sys/wrapping/unwrap")), 1)

    def test_a_wrapping_token_someone_unwrapped_first_is_reported_and_the_server_still_starts(self):
        spawner = self.spawned()
        # A reader of the pod spec (`kubectl get pod -o yaml`) races the container to it.
        thief = self.vault.route("POST", "/v1/sys/wrapping/unwrap", None, spawner.environment["NOTEBOOK_VAULT_WRAPPING_TOKEN"])
        self.assertEqual(thief[0], 200)
        log = self.start(self.pod_environment(spawner.environment))
        self.assertIn("WARNING: this server's one-time Vault wrapping token was already used or has expired", log)
        self.assertIn("someone else may have", log)
        self.assertIn("jupyterhub-vault: WARNING: Vault token not unwrapped at start", log)
        self.assertFalse((self.token_dir / "token").exists())
        # Stopping the server revokes the token by its accessor: the thief's copy dies with it.
        stolen = thief[1]["auth"]["client_token"]
        asyncio.run(spawner.post_stop_hook(spawner))
        self.assertFalse(self.vault.is_live(stolen))

    def test_without_a_wrapping_token_it_does_nothing(self):
        # No Vault for this stack, or Vault gave no token (onFailure: continue).
        env = self.pod_environment({"NOTEBOOK_VAULT_STATUS": "no token: Vault at x is unreachable", "VAULT_ADDR": self.vault.address})
        self.assertEqual(self.start(env), "")
        self.assertEqual(list(self.token_dir.iterdir()), [])
        self.assertEqual(self.vault.requests, [])

    def test_without_the_helper_it_says_so_and_leaves_the_token_wrapped(self):
        spawner = self.spawned()
        env = self.pod_environment(spawner.environment)
        env["JUPYTERHUB_VAULT_HELPER"] = str(self.tmp / "no-such-helper.py")
        self.assertIn("WARNING: no Vault helper at", self.start(env))
        self.assertEqual(self.vault.paths_requested("/v1/sys/wrapping/unwrap"), [])

    def test_without_the_emptydir_it_leaves_the_token_wrapped_for_the_notebook(self):
        spawner = self.spawned()
        shutil.rmtree(self.token_dir)
        log = self.start(self.pod_environment(spawner.environment))
        self.assertIn("nowhere to keep the Vault token", log)
        self.assertEqual(self.vault.paths_requested("/v1/sys/wrapping/unwrap"), [])


class WholeWayTest(DeliveryCase):
    def test_minted_wrapped_unwrapped_at_start_used_by_the_notebook_and_revoked_at_stop(self):
        spawner = self.spawned()
        # The pod spec: no token, only the one-time wrapping token and where the token will be.
        self.assertNotIn(user_token_for("ada"), repr(spawner.environment))
        pod = self.pods[spawner]
        self.assertIn({"name": "jupyterhub-vault-token", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}, pod["spec"]["volumes"])
        self.assertIn({"name": "jupyterhub-vault-token", "mountPath": "/run/jupyterhub-vault"}, pod["spec"]["containers"][0]["volumeMounts"])
        self.assertNotIn(user_token_for("ada"), repr(pod))
        env = self.pod_environment(spawner.environment)
        self.start(env)
        # The notebook, as the user: `import vault_secrets` and use it.
        notebook = subprocess.run(
            [sys.executable, "-c", "import vault_secrets as v; v.put('db', password='pw'); print(v.get('db')['password'])"],
            env={**env, "PYTHONPATH": str(self.helper.parent)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual((notebook.returncode, notebook.stdout.strip()), (0, "pw"), notebook.stderr)
        token = (self.token_dir / "token").read_text()
        self.assertTrue(self.vault.is_live(token))
        asyncio.run(spawner.post_stop_hook(spawner))
        self.assertFalse(self.vault.is_live(token))


if __name__ == "__main__":
    unittest.main()
