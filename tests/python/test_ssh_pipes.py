"""Tests of components/ssh/ssh_pipes.py: the hub writes one Pipe per running server with sshd, and
removes it when the server stops. The spawner base stands in for KubeSpawner 7.0.0 (_start returns
the server's URL once the pod runs and sits in the pod reflector; stop(now)), and the API for
kubernetes_asyncio's CustomObjectsApi with the API server's answers (409 AlreadyExists on create
of an existing name, 404 NotFound on delete of a missing one)."""
import asyncio
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
    "release": "jupyterhub",
    "users": {"maria": "user-maria", "aiko.tanaka": "user-aiko-tanaka---bb0feed0"},
}
SSHD = {"hub.jupyter.org/network-access-hub": "true", "jupyterhub-pulumi/sshd": "true"}


class ApiError(Exception):
    def __init__(self, status):
        super().__init__(f"({status})")
        self.status = status


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
            raise ApiError(409)
        self.objects[key] = body

    async def delete_namespaced_custom_object(self, group, version, namespace, plural, name):
        key = (group, version, namespace, plural, name)
        if key not in self.objects:
            raise ApiError(404)
        del self.objects[key]

    def pipes(self):
        return {key[4]: body for key, body in self.objects.items()}


class FakeKubeSpawner:
    """KubeSpawner 7.0.0's parts that ssh_pipes uses (kubespawner/spawner.py _start, stop)."""

    def __init__(self, username, server_name="", labels=None, pod_ip="10.42.1.20"):
        self.user = types.SimpleNamespace(name=username)
        self.name = server_name
        self.namespace = "jupyterhub"
        slug = username.replace(".", "-")
        self.pod_name = f"jupyter-{slug}" + (f"--{server_name}" if server_name else "")
        self.extra_labels = dict(labels if labels is not None else SSHD)
        self.pod_ip = pod_ip
        self.pod_reflector = types.SimpleNamespace(pods={})
        self.stopped = False

    async def _start(self):
        self.pod_id = f"uid-{self.pod_name}"
        self.pod_reflector.pods[f"{self.namespace}/{self.pod_name}"] = {
            "metadata": {"name": self.pod_name, "uid": self.pod_id},
            "status": {"podIP": self.pod_ip},
        }
        return f"http://{self.pod_ip}:8888"

    async def stop(self, now=False):
        self.stopped = True


def run(coroutine):
    return asyncio.run(coroutine)


class PipesTest(unittest.TestCase):
    def setUp(self):
        self.api = FakeCustomObjects()
        self.c = types.SimpleNamespace(JupyterHub=types.SimpleNamespace(spawner_class="kubespawner.KubeSpawner"))
        self.spawner_class = ssh_pipes.install(self.c, CONFIG, FakeKubeSpawner, api_factory=lambda: self.api)

    def spawn(self, *args, **kwargs):
        spawner = self.spawner_class(*args, **kwargs)
        url = run(spawner.start() if hasattr(spawner, "start") else spawner._start())
        return spawner, url

    def test_default_server_gets_a_route_named_after_the_user_with_only_their_keys(self):
        _, url = self.spawn("maria")
        self.assertEqual(url, "http://10.42.1.20:8888")
        pipe = self.api.pipes()["ssh-jupyter-maria"]
        self.assertEqual(pipe["spec"], {
            "from": [{"username": "maria", "authorized_keys_secret": {"name": "jupyterhub-ssh-user-keys"}}],
            "to": {"host": "10.42.1.20:2222", "username": "jovyan", "private_key_secret": {"name": "jupyterhub-ssh-upstream"}},
        })
        # Only maria's field of the shared keys Secret is read for this route.
        self.assertEqual(pipe["metadata"]["annotations"]["sshpiper.com/authorizedkeys_field_name"], "user-maria")
        self.assertEqual(pipe["metadata"]["ownerReferences"], [{"apiVersion": "v1", "kind": "Pod", "name": "jupyter-maria", "uid": "uid-jupyter-maria"}])

    def test_named_server_is_user_plus_server(self):
        self.spawn("aiko.tanaka", "gpu", pod_ip="10.42.2.9")
        pipe = self.api.pipes()["ssh-jupyter-aiko-tanaka--gpu"]
        self.assertEqual(pipe["spec"]["from"][0], {"username": "aiko.tanaka+gpu", "authorized_keys_secret": {"name": "jupyterhub-ssh-user-keys"}})
        self.assertEqual(pipe["metadata"]["annotations"]["sshpiper.com/authorizedkeys_field_name"], "user-aiko-tanaka---bb0feed0")
        self.assertEqual(pipe["spec"]["to"]["host"], "10.42.2.9:2222")

    def test_no_route_to_a_profile_without_sshd_or_for_a_user_without_keys(self):
        self.spawn("maria", labels={"hub.jupyter.org/network-access-hub": "true"})
        self.spawn("noah")
        self.assertEqual(self.api.pipes(), {})

    def test_stop_removes_the_route_and_a_route_already_gone_is_fine(self):
        spawner, _ = self.spawn("maria")
        run(spawner.stop())
        self.assertEqual(self.api.pipes(), {})
        self.assertTrue(spawner.stopped)
        run(spawner.stop())  # the pod and its Pipe went first: 404, no error
        self.assertTrue(spawner.stopped)

    def test_a_route_left_by_an_earlier_start_is_replaced(self):
        self.spawn("maria", pod_ip="10.42.1.20")
        self.spawn("maria", pod_ip="10.42.7.7")
        self.assertEqual(self.api.pipes()["ssh-jupyter-maria"]["spec"]["to"]["host"], "10.42.7.7:2222")

    def test_ipv6_pod_address_is_bracketed(self):
        self.spawn("maria", pod_ip="fd00:10:42::14")
        self.assertEqual(self.api.pipes()["ssh-jupyter-maria"]["spec"]["to"]["host"], "[fd00:10:42::14]:2222")

    def test_an_api_failure_leaves_the_server_running_and_says_why(self):
        self.api.fail_with = 403
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        ssh_pipes.log.addHandler(handler)
        try:
            _, url = self.spawn("maria")
        finally:
            ssh_pipes.log.removeHandler(handler)
        self.assertEqual(url, "http://10.42.1.20:8888")
        self.assertIn("No SSH route for maria's server ''", stream.getvalue())

    def test_wraps_the_spawner_class_set_before_it(self):
        class GroupGatedSpawner(FakeKubeSpawner):
            pass

        c = types.SimpleNamespace(JupyterHub=types.SimpleNamespace(spawner_class=GroupGatedSpawner))
        wrapped = ssh_pipes.install(c, CONFIG, FakeKubeSpawner, api_factory=lambda: self.api)
        self.assertTrue(issubclass(wrapped, GroupGatedSpawner))
        self.assertIs(c.JupyterHub.spawner_class, wrapped)


class LoginNameTest(unittest.TestCase):
    def test_plus_separates_user_and_server(self):
        self.assertEqual(ssh_pipes.login_name("maria", ""), "maria")
        self.assertEqual(ssh_pipes.login_name("maria", "gpu"), "maria+gpu")


if __name__ == "__main__":
    unittest.main()
