"""Tests of components/ssh/ssh_pipes.py: the hub gives each running server with sshd a host key of
its own and a Pipe that trusts that key only, and removes both when the server stops. The spawner
base stands in for KubeSpawner 7.0.0, the APIs for kubernetes_asyncio's CustomObjectsApi and
CoreV1Api with the API server's answers. tests/python/test_sshd_forwarding.py runs the result
against a real sshd and ssh client."""
import asyncio
import base64
import inspect
import io
import logging
import pathlib
import sys
import types
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from project_module import load_project_module  # noqa: E402

ssh_pipes = load_project_module("components/ssh/ssh_pipes.py", "ssh_pipes")

CONFIG = {
    "upstreamKeySecretName": "jupyterhub-ssh-upstream",
    "userKeysSecretName": "jupyterhub-ssh-user-keys",
    "port": 2222,
    "serverUser": "jovyan",
    "sshdLabel": "jupyterhub-pulumi/sshd",
    "hostKeyDir": "/etc/jupyterhub/ssh-host-key",
    "release": "jupyterhub",
    "users": {"maria": "user-maria", "aiko.tanaka": "user-aiko-tanaka---bb0feed0", "ada+b": "user-x-ada-b---00000000"},
}
SSHD = {"hub.jupyter.org/network-access-hub": "true", "jupyterhub-pulumi/sshd": "true"}
# The chart's home volume, as Zero to JupyterHub's jupyterhub_config.py sets c.KubeSpawner.volumes.
HOME_VOLUME = {"name": "home", "persistentVolumeClaim": {"claimName": "claim-{username}"}}
HOME_MOUNT = {"name": "home", "mountPath": "/home/jovyan"}


class ApiError(Exception):
    """kubernetes_asyncio's ApiException: status, reason, and a body that may echo what was sent."""

    def __init__(self, status, reason="", body=""):
        super().__init__(f"({status})\nReason: {reason}\nHTTP response body: {body}")
        self.status = status
        self.reason = reason


class FakeCustomObjects:
    """kubernetes_asyncio CustomObjectsApi, answering like the API server."""

    def __init__(self):
        self.objects = {}
        self.fail_with = None

    async def create_namespaced_custom_object(self, group, version, namespace, plural, body):
        if self.fail_with:
            raise ApiError(self.fail_with)
        key = (group, version, namespace, plural, body["metadata"]["name"])
        if key in self.objects:
            raise ApiError(409, "Conflict")
        self.objects[key] = body

    async def delete_namespaced_custom_object(self, group, version, namespace, plural, name):
        key = (group, version, namespace, plural, name)
        if key not in self.objects:
            raise ApiError(404, "Not Found")
        del self.objects[key]

    def pipes(self):
        return {key[4]: body for key, body in self.objects.items()}


class FakeCoreV1:
    """kubernetes_asyncio CoreV1Api's Secret calls (create_namespaced_secret(namespace, body),
    delete_namespaced_secret(name, namespace)), answering like the API server: 409 on a name that
    exists, 404 on one that does not, and stringData stored as data (base64)."""

    def __init__(self):
        self.secrets = {}
        self.fail_with = None

    async def create_namespaced_secret(self, namespace, body):
        if self.fail_with:
            raise ApiError(self.fail_with, "Forbidden", body=str(body))
        key = (namespace, body["metadata"]["name"])
        if key in self.secrets:
            raise ApiError(409, "Conflict")
        stored = {k: v for k, v in body.items() if k != "stringData"}
        stored["data"] = {k: base64.b64encode(v.encode()).decode() for k, v in body.get("stringData", {}).items()}
        self.secrets[key] = stored

    async def delete_namespaced_secret(self, name, namespace):
        if (namespace, name) not in self.secrets:
            raise ApiError(404, "Not Found")
        del self.secrets[(namespace, name)]

    def secret(self, name, namespace="jupyterhub"):
        stored = self.secrets[(namespace, name)]
        return {**stored, "decoded": {k: base64.b64decode(v).decode() for k, v in stored["data"].items()}}


async def maybe_future(value):
    return await value if inspect.isawaitable(value) else value


class FakeKubeSpawner:
    """KubeSpawner 7.0.0's parts that ssh_pipes uses, in the order kubespawner/spawner.py _start runs
    them: load_user_options (the profile's labels), get_pod_manifest (self.volumes and volume_mounts
    into the pod), create the pod (a new uid each time), after_pod_created_hook(spawner, pod from
    the reflector) when set, where an exception makes it `await self.stop(True)` and raise; then
    the URL once the pod runs. after_pod_created_hook comes from the hub's `c.KubeSpawner`, as
    traitlets loads config into every KubeSpawner subclass."""

    hub_config = None
    starts = 0

    def __init__(self, username, server_name="", labels=None, pod_ip="10.42.1.20", core_api=None):
        self.user = types.SimpleNamespace(name=username)
        self.name = server_name
        self.namespace = "jupyterhub"
        slug = username.replace(".", "-").replace("+", "-")
        self.pod_name = f"jupyter-{slug}" + (f"--{server_name}" if server_name else "")
        self.extra_labels = dict(labels if labels is not None else SSHD)
        self.volumes = [dict(HOME_VOLUME)]
        self.volume_mounts = [dict(HOME_MOUNT)]
        self.pod_ip = pod_ip
        self.pod_reflector = types.SimpleNamespace(pods={})
        self.api = core_api
        self.after_pod_created_hook = vars(self.hub_config.KubeSpawner).get("after_pod_created_hook")
        self.stopped = 0
        self.pod = None

    async def get_pod_manifest(self):
        return {
            "metadata": {"name": self.pod_name},
            "spec": {"volumes": list(self.volumes), "containers": [{"name": "notebook", "volumeMounts": list(self.volume_mounts)}]},
        }

    async def _start(self):
        self.pod = await self.get_pod_manifest()
        FakeKubeSpawner.starts += 1
        self.pod_id = f"uid-{self.pod_name}-{FakeKubeSpawner.starts}"
        ref = self.pod_reflector.pods[f"{self.namespace}/{self.pod_name}"] = {
            "metadata": {"name": self.pod_name, "uid": self.pod_id},
            "status": {"podIP": self.pod_ip},
        }
        if self.after_pod_created_hook:
            try:
                await maybe_future(self.after_pod_created_hook(self, ref))
            except Exception:
                await self.stop(True)
                raise
        return f"http://{self.pod_ip}:8888"

    async def stop(self, now=False):
        self.stopped += 1


def run(coroutine):
    return asyncio.run(coroutine)


def known_hosts(pipe):
    """What sshpiper makes of known_hosts_data: standard base64, strictly (plugin/kubernetes/skel.go)."""
    return base64.b64decode(pipe["spec"]["to"]["known_hosts_data"], validate=True).decode()


class PipesTest(unittest.TestCase):
    def setUp(self):
        self.api = FakeCustomObjects()
        self.core = FakeCoreV1()
        self.c = types.SimpleNamespace(
            JupyterHub=types.SimpleNamespace(spawner_class="kubespawner.KubeSpawner"), KubeSpawner=types.SimpleNamespace()
        )
        self.spawner_class = ssh_pipes.install(self.c, CONFIG, FakeKubeSpawner, api_factory=lambda: self.api)
        FakeKubeSpawner.hub_config = self.c

    def spawn(self, *args, **kwargs):
        spawner = self.spawner_class(*args, core_api=self.core, **kwargs)
        url = run(spawner._start())
        return spawner, url

    def logged(self, action):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        ssh_pipes.log.addHandler(handler)
        try:
            result = action()
        finally:
            ssh_pipes.log.removeHandler(handler)
        return result, stream.getvalue()

    def test_default_server_gets_a_route_named_after_the_user_with_only_their_keys(self):
        _, url = self.spawn("maria")
        self.assertEqual(url, "http://10.42.1.20:8888")
        pipe = self.api.pipes()["ssh-jupyter-maria"]
        spec = pipe["spec"]
        self.assertEqual(spec["from"], [{"username": "maria", "authorized_keys_secret": {"name": "jupyterhub-ssh-user-keys"}}])
        self.assertEqual(
            {k: v for k, v in spec["to"].items() if k != "known_hosts_data"},
            {"host": "10.42.1.20:2222", "username": "jovyan", "private_key_secret": {"name": "jupyterhub-ssh-upstream"}},
        )
        # Only maria's field of the shared keys Secret is read for this route.
        self.assertEqual(pipe["metadata"]["annotations"]["sshpiper.com/authorizedkeys_field_name"], "user-maria")
        self.assertEqual(pipe["metadata"]["ownerReferences"], [{"apiVersion": "v1", "kind": "Pod", "name": "jupyter-maria", "uid": "uid-jupyter-maria-" + str(FakeKubeSpawner.starts)}])

    def test_the_route_trusts_the_servers_own_host_key_at_its_address_only(self):
        spawner, _ = self.spawn("maria")
        secret = self.core.secret("jupyter-maria-ssh-host-key")
        public = secret["decoded"]["ssh_host_ed25519_key.pub"]
        self.assertRegex(public, r"^ssh-ed25519 [A-Za-z0-9+/]+=*$")
        self.assertIn("BEGIN OPENSSH PRIVATE KEY", secret["decoded"]["ssh_host_ed25519_key"])
        self.assertEqual(known_hosts(self.api.pipes()["ssh-jupyter-maria"]), f"[10.42.1.20]:2222 {public}\n")
        # Owned by the pod that mounts it: deleted with it, whatever happens to the hub.
        self.assertEqual(secret["metadata"]["ownerReferences"], [{"apiVersion": "v1", "kind": "Pod", "name": "jupyter-maria", "uid": spawner.pod_id}])
        self.assertEqual(secret["type"], "Opaque")

    def test_the_pod_mounts_its_host_key_where_the_image_hook_reads_it_and_waits_for_it(self):
        spawner, _ = self.spawn("maria")
        volumes = spawner.pod["spec"]["volumes"]
        self.assertEqual(volumes, [HOME_VOLUME, {
            "name": "ssh-host-key",
            "secret": {"secretName": "jupyter-maria-ssh-host-key", "defaultMode": 0o440, "items": [{"key": "ssh_host_ed25519_key", "path": "ssh_host_ed25519_key"}]},
        }])
        self.assertNotIn("optional", volumes[1]["secret"])
        self.assertEqual(spawner.pod["spec"]["containers"][0]["volumeMounts"], [HOME_MOUNT, {"name": "ssh-host-key", "mountPath": "/etc/jupyterhub/ssh-host-key", "readOnly": True}])

    def test_every_server_and_every_start_gets_a_new_key(self):
        self.spawn("maria")
        first = known_hosts(self.api.pipes()["ssh-jupyter-maria"]).split(" ", 1)[1]
        self.spawn("maria", "gpu")
        named = known_hosts(self.api.pipes()["ssh-jupyter-maria--gpu"]).split(" ", 1)[1]
        restarted, _ = self.spawn("maria")
        again = known_hosts(self.api.pipes()["ssh-jupyter-maria"]).split(" ", 1)[1]
        self.assertEqual(len({first, named, again}), 3)
        # The Secret left by the earlier pod of that name was replaced, and is owned by the new pod.
        secret = self.core.secret("jupyter-maria-ssh-host-key")
        self.assertEqual(secret["decoded"]["ssh_host_ed25519_key.pub"] + "\n", again)
        self.assertEqual(secret["metadata"]["ownerReferences"][0]["uid"], restarted.pod_id)

    def test_named_server_is_user_plus_server(self):
        self.spawn("aiko.tanaka", "gpu", pod_ip="10.42.2.9")
        pipe = self.api.pipes()["ssh-jupyter-aiko-tanaka--gpu"]
        self.assertEqual(pipe["spec"]["from"][0], {"username": "aiko.tanaka+gpu", "authorized_keys_secret": {"name": "jupyterhub-ssh-user-keys"}})
        self.assertEqual(pipe["metadata"]["annotations"]["sshpiper.com/authorizedkeys_field_name"], "user-aiko-tanaka---bb0feed0")
        self.assertEqual(pipe["spec"]["to"]["host"], "10.42.2.9:2222")

    def test_no_route_key_or_mount_for_a_profile_without_sshd_or_a_user_without_keys(self):
        plain, _ = self.spawn("maria", labels={"hub.jupyter.org/network-access-hub": "true"})
        nobody, _ = self.spawn("noah")
        self.assertEqual(self.api.pipes(), {})
        self.assertEqual(self.core.secrets, {})
        for spawner in (plain, nobody):
            self.assertEqual(spawner.pod["spec"]["volumes"], [HOME_VOLUME])

    def test_a_restart_with_a_profile_without_sshd_drops_the_mount(self):
        spawner, _ = self.spawn("maria")
        spawner.extra_labels = {}
        run(spawner._start())
        self.assertEqual(spawner.pod["spec"]["volumes"], [HOME_VOLUME])
        self.assertEqual(spawner.pod["spec"]["containers"][0]["volumeMounts"], [HOME_MOUNT])

    def test_volumes_given_as_a_dict_keep_their_shape(self):
        spawner = self.spawner_class("maria", core_api=self.core)
        spawner.volumes = {"home": dict(HOME_VOLUME)}
        spawner.volume_mounts = {"home": dict(HOME_MOUNT)}
        run(spawner._start())
        run(spawner._start())
        self.assertEqual(sorted(spawner.volumes), ["home", "ssh-host-key"])
        self.assertEqual(sorted(spawner.volume_mounts), ["home", "ssh-host-key"])

    def test_a_username_with_plus_gets_no_route_as_it_would_also_name_another_users_server(self):
        # 'ada+b' would be user 'ada+b' and user 'ada''s server 'b' alike; settings refuse such a
        # user, and the hub does not route one that got through.
        self.spawn("ada+b")
        self.assertEqual(self.api.pipes(), {})
        self.assertEqual(self.core.secrets, {})

    def test_stop_removes_the_route_and_the_key_and_what_is_already_gone_is_fine(self):
        spawner, _ = self.spawn("maria")
        run(spawner.stop())
        self.assertEqual(self.api.pipes(), {})
        self.assertEqual(self.core.secrets, {})
        self.assertEqual(spawner.stopped, 1)
        run(spawner.stop())  # the pod, its Pipe and its Secret went first: 404, no error
        self.assertEqual(spawner.stopped, 2)

    def test_a_route_left_by_an_earlier_start_is_replaced(self):
        self.spawn("maria", pod_ip="10.42.1.20")
        self.spawn("maria", pod_ip="10.42.7.7")
        pipe = self.api.pipes()["ssh-jupyter-maria"]
        self.assertEqual(pipe["spec"]["to"]["host"], "10.42.7.7:2222")
        self.assertTrue(known_hosts(pipe).startswith("[10.42.7.7]:2222 ssh-ed25519 "))

    def test_ipv6_pod_address_is_bracketed(self):
        self.spawn("maria", pod_ip="fd00:10:42::14")
        pipe = self.api.pipes()["ssh-jupyter-maria"]
        self.assertEqual(pipe["spec"]["to"]["host"], "[fd00:10:42::14]:2222")
        self.assertTrue(known_hosts(pipe).startswith("[fd00:10:42::14]:2222 ssh-ed25519 "))

    def test_known_hosts_on_port_22_name_the_address_alone_as_knownhosts_normalize_does(self):
        self.assertEqual(ssh_pipes.known_hosts_line("10.0.0.1", 22, "ssh-ed25519 AAAA\n"), "10.0.0.1 ssh-ed25519 AAAA\n")
        self.assertEqual(ssh_pipes.known_hosts_line("10.0.0.1", 2222, "ssh-ed25519 AAAA"), "[10.0.0.1]:2222 ssh-ed25519 AAAA\n")

    def test_an_api_failure_on_the_route_leaves_the_server_running_and_says_why(self):
        self.api.fail_with = 403
        (_, url), log = self.logged(lambda: self.spawn("maria"))
        self.assertEqual(url, "http://10.42.1.20:8888")
        self.assertIn("No SSH route for maria's server ''", log)

    def test_a_host_key_that_cannot_be_written_fails_the_spawn_without_showing_the_key(self):
        # The container would wait for the Secret forever; KubeSpawner stops the pod and says why.
        self.core.fail_with = 403
        spawner = self.spawner_class("maria", core_api=self.core)
        with self.assertRaises(RuntimeError) as raised:
            run(spawner._start())
        self.assertIn("could not write the SSH host key Secret jupyter-maria-ssh-host-key: 403 Forbidden", str(raised.exception))
        self.assertNotIn("PRIVATE KEY", str(raised.exception))
        self.assertIsNone(raised.exception.__cause__)
        self.assertEqual(spawner.stopped, 1)
        self.assertEqual(self.api.pipes(), {})

    def test_keeps_an_after_pod_created_hook_set_before_it(self):
        seen = []
        c = types.SimpleNamespace(
            JupyterHub=types.SimpleNamespace(spawner_class="kubespawner.KubeSpawner"),
            KubeSpawner=types.SimpleNamespace(after_pod_created_hook=lambda spawner, pod: seen.append(pod["metadata"]["name"])),
        )
        spawner_class = ssh_pipes.install(c, CONFIG, FakeKubeSpawner, api_factory=lambda: self.api)
        FakeKubeSpawner.hub_config = c
        run(spawner_class("maria", core_api=self.core)._start())
        self.assertEqual(seen, ["jupyter-maria"])
        self.assertIn(("jupyterhub", "jupyter-maria-ssh-host-key"), self.core.secrets)

    def test_reads_a_traitlets_config_without_leaving_a_placeholder_in_it(self):
        try:
            from traitlets.config import Config
        except ImportError:
            self.skipTest("traitlets is not importable by this python3")
        c = Config()
        c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
        ssh_pipes.install(c, CONFIG, FakeKubeSpawner, api_factory=lambda: self.api)
        self.assertTrue(callable(c.KubeSpawner.after_pod_created_hook))

    def test_wraps_the_spawner_class_set_before_it(self):
        class GroupGatedSpawner(FakeKubeSpawner):
            pass

        c = types.SimpleNamespace(JupyterHub=types.SimpleNamespace(spawner_class=GroupGatedSpawner), KubeSpawner=types.SimpleNamespace())
        wrapped = ssh_pipes.install(c, CONFIG, FakeKubeSpawner, api_factory=lambda: self.api)
        self.assertTrue(issubclass(wrapped, GroupGatedSpawner))
        self.assertIs(c.JupyterHub.spawner_class, wrapped)


class LoginNameTest(unittest.TestCase):
    def test_plus_separates_user_and_server(self):
        self.assertEqual(ssh_pipes.login_name("maria", ""), "maria")
        self.assertEqual(ssh_pipes.login_name("maria", "gpu"), "maria+gpu")


if __name__ == "__main__":
    unittest.main()
