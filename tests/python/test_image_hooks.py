"""The base image's start hooks (images/base/before-notebook.d), run for real (run by `npm test`).

Each test sources a hook the way the Docker Stacks start.sh does, from a strict bash
(`set -euo pipefail`), with every path pointed into a temporary directory standing in for the
user's home, the mounted Secrets and /run, and a fake `sshd` on PATH that records its
arguments. No root, container or real sshd is needed. Run as root, the hooks take their root
branch (work in the home done as NB_UID:NB_GID, sshd as root) and one test also runs them as
an unprivileged user; run as a user, they take the user branch.

The deployment also delivers these hooks and sshd's config to every server, for images it does not
build (components/ssh/serverSshd.ts): DeliveredHooksTest lays them out as the kubelet mounts them,
from the program's own ConfigMap data and mounts, and runs them as start.sh runs its hook directory.
"""
import json
import os
import pathlib
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from sourced_hook import STRICT, sourcing_bash  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = ROOT / "images" / "base"
KEYS_HOOK = BASE / "before-notebook.d" / "10-authorized-keys.sh"
SSHD_HOOK = BASE / "before-notebook.d" / "20-sshd.sh"
SSHD_CONFIG = BASE / "sshd_config"

BEGIN = "# >>> keys from the JupyterHub deployment (replaced at every server start) >>>"
END = "# <<< keys from the JupyterHub deployment <<<"
KEY_A = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyOfAliceLaptop alice@laptop"
KEY_B = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyOfAliceDesktop alice@desktop"
KEY_OLD = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyRemovedFromConfig alice@old"
KEY_OWN = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeyAliceAddedHerself alice@tablet"

IS_ROOT = os.geteuid() == 0
NOBODY = 65534
# As root the hooks work in the home as NB_UID:NB_GID; another uid shows they really do.
OWNER_UID = NOBODY if IS_ROOT else os.getuid()
OWNER_GID = NOBODY if IS_ROOT else os.getgid()

FAKE_SSHD = """#!/bin/sh
# Stands in for sshd: records how it was started, then exits.
printf '%s\\n' "$@" > "$FAKE_SSHD_RECORD"
id -u > "$FAKE_SSHD_RECORD.uid"
"""

# Only used where the machine has no ssh-keygen: writes a key pair the way ssh-keygen -f does.
FAKE_SSH_KEYGEN = """#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = -f ] && file="$2"; shift; done
echo "fake private key $$" > "$file" && chmod 600 "$file" && echo "ssh-ed25519 FAKE" > "$file.pub"
"""


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def write(path, text, file_mode=None):
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if file_mode is not None:
        os.chmod(path, file_mode)
    return path


class HookCase(unittest.TestCase):
    """A temporary $HOME, mount points, run directory and a bin directory with the fake sshd."""

    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="image-hooks-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.home = self.tmp / "home"
        self.home.mkdir()
        if IS_ROOT:
            # The hooks work in the home as the notebook user: let that user reach it.
            os.chmod(self.tmp, 0o755)
            os.chown(self.home, OWNER_UID, OWNER_GID)
        self.ssh_dir = self.home / ".ssh"
        self.authorized_keys = self.ssh_dir / "authorized_keys"
        self.mounted_keys = self.tmp / "mount" / "authorized_keys"
        self.host_keys = self.tmp / "mount" / "host-keys"
        self.run_dir = self.tmp / "run"
        self.bin = self.tmp / "bin"
        write(self.bin / "sshd", FAKE_SSHD, 0o755)
        if not shutil.which("ssh-keygen"):
            write(self.bin / "ssh-keygen", FAKE_SSH_KEYGEN, 0o755)
        self.record = self.tmp / "sshd-args"

    def env(self, **overrides):
        env = {name: value for name, value in os.environ.items() if not name.startswith(("JUPYTERHUB_SSH", "NB_"))}
        env.update(
            PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            HOME=str(self.home),
            # As root, a user that does not exist: the hook's password unlock then touches nothing.
            NB_USER="jh-hook-test" if IS_ROOT else pwd.getpwuid(os.getuid()).pw_name,
            NB_UID=str(OWNER_UID),
            NB_GID=str(OWNER_GID),
            JUPYTERHUB_SSH_HOME=str(self.home),
            JUPYTERHUB_SSH_AUTHORIZED_KEYS=str(self.mounted_keys),
            JUPYTERHUB_SSH_HOST_KEYS_DIR=str(self.host_keys),
            JUPYTERHUB_SSHD_CONFIG=str(SSHD_CONFIG),
            JUPYTERHUB_SSH_RUN_DIR=str(self.run_dir),
            JUPYTERHUB_SSH_PRIVSEP_DIR=str(self.tmp / "privsep"),
            FAKE_SSHD_RECORD=str(self.record),
        )
        env.update(overrides)
        return env

    def source(self, hook, env=None, prefix=(), options=STRICT, give_home_to_user=True):
        if IS_ROOT and give_home_to_user:
            # What a test wrote into the home is the user's, as it would be in a real home.
            for path in [self.home, *self.home.rglob("*")]:
                os.lchown(path, OWNER_UID, OWNER_GID)
        result = subprocess.run(
            [*prefix, "bash", "-c", sourcing_bash(options, after_source="wait  # for the backgrounded (fake) sshd"), "harness", str(hook)],
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, f"stdout: {result.stdout}\nstderr: {result.stderr}")
        self.assertIn("start.sh carries on", result.stdout)
        return result.stderr

    def expected_args(self, user, port="2222", run_dir=None, path=None, config=None):
        """How 20-sshd.sh must start sshd: the image's config, port, a private host key copy, one user."""
        run_dir = run_dir or self.run_dir
        return [
            "-D", "-e",
            "-f", config or str(SSHD_CONFIG),
            "-p", port,
            "-h", f"{run_dir}/ssh_host_ed25519_key",
            "-o", f"PidFile={run_dir}/sshd.pid",
            "-o", f"AllowUsers={user}",
            "-o", f"SetEnv=PATH={path or self.env()['PATH']}",
        ]

    def lines(self, path):
        return pathlib.Path(path).read_text().splitlines()

    def assert_private(self):
        self.assertEqual(mode(self.ssh_dir), 0o700)
        self.assertEqual(mode(self.authorized_keys), 0o600)
        self.assertEqual(os.stat(self.ssh_dir).st_uid, OWNER_UID)
        self.assertEqual(os.stat(self.authorized_keys).st_uid, OWNER_UID)
        self.assertEqual(os.stat(self.authorized_keys).st_gid, OWNER_GID)


class AuthorizedKeysHookTest(HookCase):
    def test_installs_mounted_keys_in_a_private_ssh_directory(self):
        # A Secret made from a Windows file, with a blank line and no final newline.
        write(self.mounted_keys, f"{KEY_A}\r\n\r\n{KEY_B}")
        self.source(KEYS_HOOK)
        self.assertEqual(self.lines(self.authorized_keys), [BEGIN, KEY_A, KEY_B, END])
        self.assert_private()

    def test_installs_the_gateways_key_with_its_restrictions_intact(self):
        # What the deployment mounts: the SSH gateway's key, limited by authorized_keys options.
        gateway = f"restrict,pty,port-forwarding {KEY_A.split(' @')[0]} jupyterhub-ssh-gateway"
        write(self.mounted_keys, gateway + "\n")
        self.source(KEYS_HOOK)
        self.assertEqual(self.lines(self.authorized_keys), [BEGIN, gateway, END])

    def test_nothing_mounted_creates_nothing(self):
        log = self.source(KEYS_HOOK)
        self.assertFalse(self.ssh_dir.exists())
        self.assertIn("no keys mounted", log)

    def test_nothing_mounted_leaves_a_users_own_file_alone(self):
        write(self.authorized_keys, f"{KEY_OWN}\n", 0o644)
        self.source(KEYS_HOOK)
        self.assertEqual(self.lines(self.authorized_keys), [KEY_OWN])
        self.assertEqual(mode(self.authorized_keys), 0o644)

    def test_nothing_mounted_any_more_removes_the_deployments_keys_and_keeps_the_users(self):
        write(self.authorized_keys, f"{BEGIN}\n{KEY_A}\n{END}\n{KEY_OWN}\n")
        self.source(KEYS_HOOK)
        self.assertEqual(self.lines(self.authorized_keys), [KEY_OWN])
        self.assert_private()

    def test_replaces_the_deployments_keys_and_keeps_the_users_own(self):
        write(self.authorized_keys, f"{BEGIN}\n{KEY_OLD}\n{END}\n{KEY_OWN}\n")
        write(self.mounted_keys, f"{KEY_A}\n")
        self.source(KEYS_HOOK)
        self.assertEqual(self.lines(self.authorized_keys), [BEGIN, KEY_A, END, KEY_OWN])

    def test_keeps_keys_from_a_file_that_had_no_block_yet(self):
        write(self.authorized_keys, f"{KEY_OWN}\n")
        write(self.mounted_keys, f"{KEY_A}\n")
        self.source(KEYS_HOOK)
        self.assertEqual(self.lines(self.authorized_keys), [BEGIN, KEY_A, END, KEY_OWN])

    def test_is_stable_across_restarts(self):
        write(self.mounted_keys, f"{KEY_A}\n")
        write(self.authorized_keys, f"{KEY_OWN}\n")
        self.source(KEYS_HOOK)
        first = self.authorized_keys.read_text()
        self.source(KEYS_HOOK)
        self.assertEqual(self.authorized_keys.read_text(), first)

    def test_fixes_wrong_permissions(self):
        write(self.authorized_keys, f"{KEY_OWN}\n", 0o666)
        os.chmod(self.ssh_dir, 0o777)
        write(self.mounted_keys, f"{KEY_A}\n")
        self.source(KEYS_HOOK)
        self.assert_private()
        self.assertEqual([name for name in os.listdir(self.ssh_dir)], ["authorized_keys"])  # no temp file left

    def test_replaces_a_symlinked_authorized_keys_rather_than_writing_through_it(self):
        elsewhere = write(self.tmp / "elsewhere", f"{KEY_OWN}\n")
        self.ssh_dir.mkdir()
        self.authorized_keys.symlink_to(elsewhere)
        write(self.mounted_keys, f"{KEY_A}\n")
        self.source(KEYS_HOOK)
        self.assertFalse(self.authorized_keys.is_symlink())
        self.assertEqual(self.lines(self.authorized_keys), [BEGIN, KEY_A, END, KEY_OWN])
        self.assertEqual(elsewhere.read_text(), f"{KEY_OWN}\n")

    @unittest.skipUnless(IS_ROOT, "the root branch runs only as root")
    def test_as_root_works_in_the_home_with_the_users_rights_only(self):
        # A ~/.ssh the user cannot write (as on an NFS home that squashes root): root could,
        # the hook must not.
        self.ssh_dir.mkdir(mode=0o700)
        write(self.mounted_keys, f"{KEY_A}\n")
        log = self.source(KEYS_HOOK, give_home_to_user=False)
        self.assertIn("SSH keys not installed", log)
        self.assertFalse(self.authorized_keys.exists())

    def test_a_mount_that_is_not_a_file_installs_nothing(self):
        self.mounted_keys.mkdir(parents=True)
        log = self.source(KEYS_HOOK)
        self.assertIn("not a readable file", log)
        self.assertFalse(self.ssh_dir.exists())

    def test_defaults_follow_the_contract(self):
        text = KEYS_HOOK.read_text()
        self.assertIn('JUPYTERHUB_SSH_AUTHORIZED_KEYS:-/etc/jupyterhub/ssh/authorized_keys}', text)


class SshdHookTest(HookCase):
    def sshd_args(self):
        self.assertTrue(self.record.exists(), "the fake sshd was not started")
        return self.lines(self.record)

    def test_starts_sshd_on_2222_with_a_host_key_generated_in_the_home(self):
        env = self.env()
        self.source(SSHD_HOOK, env)
        self.assertEqual(self.sshd_args(), self.expected_args(env["NB_USER"]))
        self.assertEqual(self.lines(f"{self.record}.uid"), [str(os.geteuid())])
        generated = self.ssh_dir / "host-keys" / "ssh_host_ed25519_key"
        self.assertTrue(generated.is_file())
        self.assertTrue(generated.with_suffix(".pub").is_file())
        self.assertEqual(mode(generated), 0o600)
        self.assertEqual(os.stat(generated).st_uid, OWNER_UID)
        copy = self.run_dir / "ssh_host_ed25519_key"
        self.assertEqual(copy.read_bytes(), generated.read_bytes())
        self.assertEqual(mode(copy), 0o600)
        self.assertEqual(mode(self.run_dir), 0o700)
        if IS_ROOT:
            self.assertEqual(mode(self.tmp / "privsep"), 0o755)

    def test_keeps_the_generated_host_key_across_restarts(self):
        self.source(SSHD_HOOK)
        first = (self.ssh_dir / "host-keys" / "ssh_host_ed25519_key").read_bytes()
        self.source(SSHD_HOOK)
        self.assertEqual((self.ssh_dir / "host-keys" / "ssh_host_ed25519_key").read_bytes(), first)
        self.assertEqual((self.run_dir / "ssh_host_ed25519_key").read_bytes(), first)

    def test_uses_a_mounted_host_key_through_a_private_copy(self):
        # World-readable, as a Secret may be mounted; sshd would refuse it as it is.
        mounted = write(self.host_keys / "ssh_host_ed25519_key", "mounted private key\n", 0o644)
        write(self.host_keys / "ssh_host_ed25519_key.pub", "ssh-ed25519 MOUNTED\n", 0o644)
        log = self.source(SSHD_HOOK)
        self.assertIn(str(mounted), log)
        copy = self.run_dir / "ssh_host_ed25519_key"
        self.assertEqual(copy.read_text(), "mounted private key\n")
        self.assertEqual(mode(copy), 0o600)
        self.assertFalse((self.ssh_dir / "host-keys").exists())

    def test_port_comes_from_the_environment(self):
        env = self.env(JUPYTERHUB_SSH_PORT="2022")
        self.source(SSHD_HOOK, env)
        self.assertEqual(self.sshd_args(), self.expected_args(env["NB_USER"], port="2022"))

    def test_disabled_by_environment(self):
        log = self.source(SSHD_HOOK, self.env(JUPYTERHUB_SSH_DISABLED="1"))
        self.assertIn("JUPYTERHUB_SSH_DISABLED=1", log)
        self.assertFalse(self.record.exists())
        self.assertFalse(self.run_dir.exists())

    def test_no_sshd_installed_is_a_no_op(self):
        path = "/usr/bin:/bin"
        if shutil.which("sshd", path=path):
            self.skipTest(f"this machine has sshd on {path}")
        log = self.source(SSHD_HOOK, self.env(PATH=path))
        self.assertIn("sshd is not installed", log)
        self.assertFalse(self.run_dir.exists())

    @unittest.skipUnless(IS_ROOT, "the root branch runs only as root")
    def test_as_root_reads_the_homes_host_key_with_the_users_rights_only(self):
        # A key the user cannot read is not theirs to serve; root could read it, the hook must not.
        key = write(self.ssh_dir / "host-keys" / "ssh_host_ed25519_key", "root's key\n", 0o600)
        for path in (self.ssh_dir, key.parent):
            os.chown(path, OWNER_UID, OWNER_GID)
        log = self.source(SSHD_HOOK, give_home_to_user=False)
        self.assertIn("sshd not started", log)
        self.assertFalse(self.record.exists())

    def test_missing_config_does_not_start_sshd(self):
        log = self.source(SSHD_HOOK, self.env(JUPYTERHUB_SSHD_CONFIG=str(self.tmp / "nope")))
        self.assertIn("no config", log)
        self.assertFalse(self.record.exists())

    def test_defaults_follow_the_contract(self):
        text = SSHD_HOOK.read_text()
        for default in (
            "JUPYTERHUB_SSH_PORT:-2222}",
            "JUPYTERHUB_SSH_HOST_KEYS_DIR:-/etc/jupyterhub/ssh-host-key}/ssh_host_ed25519_key",
            "JUPYTERHUB_SSHD_CONFIG:-/etc/ssh/jupyterhub_sshd_config}",
        ):
            self.assertIn(default, text)
        self.assertIn("COPY sshd_config /etc/ssh/jupyterhub_sshd_config", (BASE / "Dockerfile").read_text())


class SourcedSafelyTest(HookCase):
    def test_hooks_leave_a_lenient_caller_lenient(self):
        # start.sh may source hooks with errexit off; a hook must not switch it (or -u) on.
        write(self.mounted_keys, f"{KEY_A}\n")
        for hook in (KEYS_HOOK, SSHD_HOOK):
            with self.subTest(hook=hook.name):
                self.source(hook, options="set +eu")


class UnprivilegedSshdHookTest(HookCase):
    """Run as root, the hooks' user branch is otherwise untested: run them as nobody too."""

    def setUp(self):
        if not IS_ROOT:
            self.skipTest("already running as a user: every other test covers the user branch")
        if not shutil.which("setpriv"):
            self.skipTest("setpriv (util-linux) is needed to drop to an unprivileged user")
        super().setUp()
        # Copies nobody can read wherever the checkout lives.
        self.hooks = self.tmp / "hooks"
        for hook in (KEYS_HOOK, SSHD_HOOK):
            write(self.hooks / hook.name, hook.read_text(), 0o644)
        write(self.tmp / "sshd_config", SSHD_CONFIG.read_text(), 0o644)
        (self.tmp / "tmpdir").mkdir()
        for path in [self.tmp, *self.tmp.rglob("*")]:
            os.lchown(path, NOBODY, NOBODY)
        os.chmod(self.tmp, 0o755)

    def test_runs_sshd_as_the_user_with_a_run_directory_under_tmpdir(self):
        write(self.mounted_keys, f"{KEY_A}\n", 0o444)
        env = self.env(JUPYTERHUB_SSHD_CONFIG=str(self.tmp / "sshd_config"), TMPDIR=str(self.tmp / "tmpdir"))
        del env["JUPYTERHUB_SSH_RUN_DIR"]
        as_nobody = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
        self.source(self.hooks / KEYS_HOOK.name, env, as_nobody)
        self.source(self.hooks / SSHD_HOOK.name, env, as_nobody)
        run_dir = self.tmp / "tmpdir" / f"jupyterhub-ssh-{NOBODY}"
        user = pwd.getpwuid(NOBODY).pw_name
        self.assertEqual(self.lines(self.record), self.expected_args(user, run_dir=run_dir, path=env["PATH"], config=env["JUPYTERHUB_SSHD_CONFIG"]))
        self.assertEqual(self.lines(f"{self.record}.uid"), [str(NOBODY)])
        self.assertEqual(os.stat(run_dir / "ssh_host_ed25519_key").st_uid, NOBODY)
        self.assertEqual(self.lines(self.authorized_keys), [BEGIN, KEY_A, END])
        self.assertEqual(os.stat(self.authorized_keys).st_uid, NOBODY)
        self.assertFalse((self.tmp / "privsep").exists())


class SshdConfigTest(unittest.TestCase):
    def settings(self):
        pairs = (line.split(None, 1) for line in SSHD_CONFIG.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#"))
        return {key.lower(): value.strip() for key, value in pairs}

    def test_allows_public_keys_only_and_no_forwarding_to_the_server(self):
        settings = self.settings()
        for key, value in {
            "authenticationmethods": "publickey",
            "passwordauthentication": "no",
            "kbdinteractiveauthentication": "no",
            "permitemptypasswords": "no",
            "permitrootlogin": "no",
            "x11forwarding": "no",
            "allowagentforwarding": "no",
            "gatewayports": "no",
            "permittunnel": "no",
            "permituserenvironment": "no",
            "allowtcpforwarding": "local",
            "allowstreamlocalforwarding": "no",
            # Forwarding reaches the server itself only, never the cluster behind it.
            "permitopen": "localhost:* 127.0.0.1:* [::1]:*",
        }.items():
            self.assertEqual(settings.get(key), value, key)
        # The hook sets these on the command line; a Port here would be ignored and mislead.
        self.assertNotIn("port", settings)
        self.assertNotIn("hostkey", settings)

    def test_a_real_sshd_accepts_it(self):
        self.check_with_real_sshd(self, None)

    @staticmethod
    def check_with_real_sshd(case, config):
        """sshd -t with the hook's arguments; config None: a copy of images/base's, the user's own."""
        sshd = shutil.which("sshd", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin{os.pathsep}/sbin")
        if not sshd:
            case.skipTest("no sshd on this machine to check the config with")
        if IS_ROOT and not shutil.which("setpriv"):
            case.skipTest("sshd -t as root needs /run/sshd; setpriv is needed to run it as a user")
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="sshd-config-"))
        case.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        owned = [tmp, tmp / "key"]
        if config is None:
            config = write(tmp / "sshd_config", SSHD_CONFIG.read_text(), 0o644)
            owned.append(config)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / "key")], check=True)
        prefix = ()
        if IS_ROOT:
            # As root, sshd -t also wants /run/sshd; as the user the container may run as, it does not.
            for path in owned:
                os.chown(path, NOBODY, NOBODY)
            prefix = ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
        result = subprocess.run(
            [*prefix, sshd, "-t", "-f", str(config), "-p", "2222", "-h", str(tmp / "key"),
             "-o", f"PidFile={tmp}/sshd.pid", "-o", "AllowUsers=jovyan", "-o", "SetEnv=PATH=/opt/conda/bin:/usr/bin:/bin"],
            capture_output=True, text=True, timeout=60,
        )
        case.assertEqual(result.returncode, 0, result.stderr)


# What start.sh does with a hook directory (jupyter/docker-stacks
# images/docker-stacks-foundation/start.sh → run-hooks.sh): every entry in glob order, *.sh sourced
# into start.sh's own shell whatever its mode, other executables run, the rest skipped; a failing
# hook is logged and the next one runs, with errexit off meanwhile.
RUN_HOOKS = r"""
set +e
for hook_file in "$1/"*; do
    [ -e "$hook_file" ] || continue
    case "$hook_file" in
        *.sh) source "$hook_file" || echo "run-hooks: $hook_file failed" >&2 ;;
        *) if [ -x "$hook_file" ]; then "$hook_file"; fi ;;
    esac
done
wait  # for the backgrounded (fake) sshd
echo "start.sh carries on"
"""


def delivered():
    """The program's ConfigMap data, volume and mounts for the servers' sshd (serverSshd.ts), and
    the environment it sets where a profile runs no sshd (SSHD_OFF_ENVIRONMENT): one node process."""
    script = (
        "require('./scripts/registerTypeScript.cjs');"
        "const s = require('./components/ssh/serverSshd.ts');"
        "console.log(JSON.stringify({ data: s.serverSshdData(), volume: s.serverSshdVolume('cm'), mounts: s.serverSshdMounts(), off: s.SSHD_OFF_ENVIRONMENT }));"
    )
    run = subprocess.run(["node", "-e", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    return json.loads(run.stdout)


class DeliveredHooksTest(HookCase):
    """The delivered files mounted as the kubelet mounts a ConfigMap's items by subPath (owned by
    root, the volume's mode) under a directory standing for the container's /, beside a hook of
    the image's own, and run as start.sh runs before-notebook.d."""

    DELIVERED = None

    @classmethod
    def setUpClass(cls):
        cls.DELIVERED = delivered()

    def setUp(self):
        super().setUp()
        self.root = self.tmp / "container"
        volume = self.DELIVERED["volume"]["configMap"]
        modes = {item["key"]: item.get("mode", volume["defaultMode"]) for item in volume["items"]}
        for mount in self.DELIVERED["mounts"]:
            self.assertEqual(mount["name"], self.DELIVERED["volume"]["name"])
            self.assertTrue(mount["readOnly"])
            write(self.root / mount["mountPath"].lstrip("/"), self.DELIVERED["data"][mount["subPath"]], modes[mount["subPath"]])
        self.hooks_dir = self.root / "usr" / "local" / "bin" / "before-notebook.d"
        # A hook of the image's own, as docker-stacks ships one: it must still run.
        write(self.hooks_dir / "10activate-conda-env.sh", 'echo "image hook ran" >&2\n', 0o644)
        if IS_ROOT:
            os.chmod(self.tmp, 0o755)

    def start(self, env=None, prefix=()):
        result = subprocess.run(
            [*prefix, "bash", "-c", RUN_HOOKS, "start.sh", str(self.hooks_dir)],
            env=env or self.delivered_env(), capture_output=True, text=True, timeout=60,
        )
        self.assertEqual(result.returncode, 0, f"stdout: {result.stdout}\nstderr: {result.stderr}")
        self.assertIn("start.sh carries on", result.stdout)
        self.assertIn("image hook ran", result.stderr)
        self.assertNotIn("failed", result.stderr)
        return result.stderr

    def delivered_env(self, **overrides):
        # The config where the mount put it, under the directory standing for /.
        return self.env(JUPYTERHUB_SSHD_CONFIG=str(self.root / "etc" / "ssh" / "jupyterhub_sshd_config"), **overrides)

    def test_delivers_exactly_the_images_files_where_the_image_has_them(self):
        # So every other test in this file covers what the deployment delivers.
        self.assertEqual(self.DELIVERED["data"], {
            "10-authorized-keys.sh": KEYS_HOOK.read_text(),
            "20-sshd.sh": SSHD_HOOK.read_text(),
            "sshd_config": SSHD_CONFIG.read_text(),
        })
        self.assertEqual(sorted(m["mountPath"] for m in self.DELIVERED["mounts"]), [
            "/etc/ssh/jupyterhub_sshd_config",
            "/usr/local/bin/before-notebook.d/10-authorized-keys.sh",
            "/usr/local/bin/before-notebook.d/20-sshd.sh",
        ])
        for path in self.root.rglob("*"):
            if path.is_file() and path.name != "10activate-conda-env.sh":
                self.assertEqual(mode(path), 0o444, path)

    def test_installs_the_gateways_key_and_starts_sshd_with_the_delivered_config(self):
        gateway = f"restrict,pty,port-forwarding {KEY_A.split(' @')[0]} jupyterhub-ssh-gateway"
        write(self.mounted_keys, gateway + "\n", 0o444)
        write(self.host_keys / "ssh_host_ed25519_key", "the server's host key\n", 0o440)
        env = self.delivered_env()
        log = self.start(env)
        self.assertEqual(self.lines(self.authorized_keys), [BEGIN, gateway, END])
        self.assert_private()
        self.assertEqual(self.lines(self.record), self.expected_args(env["NB_USER"], config=env["JUPYTERHUB_SSHD_CONFIG"]))
        self.assertIn("starting sshd on port 2222", log)

    def test_a_profile_without_sshd_gets_no_sshd(self):
        # What the program sets in the servers of profiles that do not run sshd.
        write(self.mounted_keys, f"{KEY_A}\n", 0o444)
        log = self.start(self.delivered_env(**self.DELIVERED["off"]))
        self.assertIn("sshd not started: JUPYTERHUB_SSH_DISABLED=1", log)
        self.assertFalse(self.record.exists())
        self.assertFalse(self.run_dir.exists())

    @unittest.skipUnless(IS_ROOT and shutil.which("setpriv"), "needs root to hand the files to root and run as nobody")
    def test_the_notebook_user_runs_them_too(self):
        # A container started as the notebook user (every profile but sudo ones) reads root's files.
        for path in [self.home, *self.home.rglob("*")]:
            os.lchown(path, NOBODY, NOBODY)
        (self.tmp / "tmpdir").mkdir()
        os.chown(self.tmp / "tmpdir", NOBODY, NOBODY)
        write(self.mounted_keys, f"{KEY_A}\n", 0o444)
        self.record = self.tmp / "tmpdir" / "sshd-args"
        env = self.delivered_env(NB_UID=str(NOBODY), NB_GID=str(NOBODY), TMPDIR=str(self.tmp / "tmpdir"), FAKE_SSHD_RECORD=str(self.record))
        del env["JUPYTERHUB_SSH_RUN_DIR"]
        self.start(env, ("setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"))
        run_dir = self.tmp / "tmpdir" / f"jupyterhub-ssh-{NOBODY}"
        self.assertEqual(self.lines(self.record), self.expected_args(pwd.getpwuid(NOBODY).pw_name, run_dir=run_dir, config=env["JUPYTERHUB_SSHD_CONFIG"]))
        self.assertEqual(self.lines(f"{self.record}.uid"), [str(NOBODY)])
        self.assertEqual(self.lines(self.authorized_keys), [BEGIN, KEY_A, END])

    def test_a_real_sshd_accepts_the_delivered_config(self):
        SshdConfigTest.check_with_real_sshd(self, self.root / "etc" / "ssh" / "jupyterhub_sshd_config")

    def test_the_delivered_hooks_pass_shellcheck(self):
        ShellcheckTest.check(self, sorted(self.hooks_dir.glob("[0-9][0-9]-*.sh")), at_least=2)


class ShellcheckTest(unittest.TestCase):
    def test_every_start_hook_passes_shellcheck(self):
        self.check(self, sorted(ROOT.glob("images/**/before-notebook.d/*")), at_least=2)

    @staticmethod
    def check(case, scripts, at_least):
        case.assertGreaterEqual(len(scripts), at_least)
        shellcheck = shutil.which("shellcheck")
        if not shellcheck:
            if os.environ.get("CI"):
                case.fail("shellcheck is not installed; CI installs it with `apt-get install -y shellcheck`")
            sys.stderr.write("\nSKIPPED shellcheck of the image start hooks: shellcheck is not installed "
                             "(apt-get install shellcheck); CI runs it.\n")
            case.skipTest("shellcheck is not installed")
        result = subprocess.run([shellcheck, "--shell=bash", *map(str, scripts)], capture_output=True, text=True)
        case.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()
