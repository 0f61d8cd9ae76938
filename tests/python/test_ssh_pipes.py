"""Tests of components/ssh/ssh_pipes.py: the hub gives each running server with sshd a host key of
its own and a Pipe that trusts that key only, and removes both when the server stops.

The spawners are KubeSpawner 7 itself, configured by the chart's own jupyterhub_config.py
(tests/python/chart_hub.py): its start() creates the PVC and the pod, calls the
after_pod_created_hook with the pod from its reflector, and returns once the pod runs; stop()
deletes the pod. They talk to the fake API server (tests/realhub/fakes/kube_api.py) with the
chart's hub Role and the program's Pipe writer Role (components/ssh/gatewayObjects.ts); its
garbage collector deletes what a deleted pod owned. Whether a server runs sshd is its profile's
label (kubespawner_override extra_labels). tests/python/test_sshd_forwarding.py runs the result
against a real sshd and ssh client."""
import base64
import io
import logging
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import chart_hub  # noqa: E402
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
PROFILES = [
    {"slug": "sshd", "display_name": "With SSH", "default": True, "kubespawner_override": {"extra_labels": SSHD}},
    {"slug": "plain", "display_name": "Without SSH", "kubespawner_override": {"extra_labels": {"hub.jupyter.org/network-access-hub": "true"}}},
]
CHART_VALUES = {"singleuser": {"profileList": PROFILES}}
# components/ssh/gatewayObjects.ts: the Role that lets the hub write Pipes.
PIPE_WRITER = [{"apiGroups": ["sshpiper.com"], "resources": ["pipes"], "verbs": ["get", "list", "create", "update", "patch", "delete"]}]
HOST_KEY_VOLUME = {
    "name": "ssh-host-key",
    "secret": {"secretName": "{pod}-ssh-host-key", "defaultMode": 0o440, "items": [{"key": "ssh_host_ed25519_key", "path": "ssh_host_ed25519_key"}]},
}
HOST_KEY_MOUNT = {"name": "ssh-host-key", "mountPath": "/etc/jupyterhub/ssh-host-key", "readOnly": True}


def known_hosts(pipe):
    """What sshpiper makes of known_hosts_data: standard base64, strictly (plugin/kubernetes/skel.go)."""
    return base64.b64decode(pipe["spec"]["to"]["known_hosts_data"], validate=True).decode()


def decoded(secret):
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


class SshHub:
    """The hub with 70-ssh-pipes installed over the chart's config, on a fake API server whose
    kubelet gives each pod the address in `next_ip` (a test sets it before a start)."""

    def __init__(self, config=CONFIG, rules=None, configure=None):
        from kubespawner import KubeSpawner

        self.next_ip = "10.42.1.20"
        manifests = chart_hub.render(CHART_VALUES)
        rules = rules if rules is not None else PIPE_WRITER
        self.kube = chart_hub.kube_api(manifests, extra_rules=rules, kubelet=lambda pod: {"podIP": self.next_ip})
        self.c = chart_hub.hub_config(CHART_VALUES)
        if configure:
            configure(self.c)
        self.spawner_class = ssh_pipes.install(self.c, config, KubeSpawner)
        self.hub = chart_hub.Hub(self.c, kube=self.kube)

    def close(self):
        self.hub.close()
        self.kube.stop()

    def start(self, username, server_name="", profile="sshd", pod_ip="10.42.1.20"):
        """Start the server as the hub does (Spawner.start with the chosen profile); its spawner."""
        self.next_ip = pod_ip
        spawner = self.hub.spawner(self.hub.user(username), server_name, user_options={"profile": profile})
        self.url = self.hub.run(spawner.start())
        return spawner

    def stop(self, spawner):
        self.hub.run(spawner.stop())

    def pipes(self):
        return {pipe["metadata"]["name"]: pipe for pipe in self.kube.objects("pipes")}

    def secrets(self):
        return {secret["metadata"]["name"]: secret for secret in self.kube.objects("secrets")}

    def pod(self, name):
        return next(pod for pod in self.kube.objects("pods") if pod["metadata"]["name"] == name)

    def last_created_pod(self):
        return self.kube.created("pods")[-1]


class PipesCase(unittest.TestCase):
    rules = None
    configure = None

    def setUp(self):
        self.ssh = SshHub(rules=self.rules, configure=type(self).configure)
        self.addCleanup(self.ssh.close)
        self.addCleanup(lambda: self.assertEqual(self.ssh.kube.errors, []))

    def logged(self, action):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        ssh_pipes.log.addHandler(handler)
        try:
            result = action()
        finally:
            ssh_pipes.log.removeHandler(handler)
        return result, stream.getvalue()


class PipesTest(PipesCase):
    def test_default_server_gets_a_route_named_after_the_user_with_only_their_keys(self):
        self.ssh.start("maria")
        self.assertEqual(self.ssh.url, "http://10.42.1.20:8888")
        pipe = self.ssh.pipes()["ssh-jupyter-maria"]
        spec = pipe["spec"]
        self.assertEqual(spec["from"], [{"username": "maria", "authorized_keys_secret": {"name": "jupyterhub-ssh-user-keys"}}])
        self.assertEqual(
            {k: v for k, v in spec["to"].items() if k != "known_hosts_data"},
            {"host": "10.42.1.20:2222", "username": "jovyan", "private_key_secret": {"name": "jupyterhub-ssh-upstream"}},
        )
        # Only maria's field of the shared keys Secret is read for this route.
        self.assertEqual(pipe["metadata"]["annotations"]["sshpiper.com/authorizedkeys_field_name"], "user-maria")
        uid = self.ssh.pod("jupyter-maria")["metadata"]["uid"]
        self.assertEqual(pipe["metadata"]["ownerReferences"], [{"apiVersion": "v1", "kind": "Pod", "name": "jupyter-maria", "uid": uid}])

    def test_the_route_trusts_the_servers_own_host_key_at_its_address_only(self):
        self.ssh.start("maria")
        secret = self.ssh.secrets()["jupyter-maria-ssh-host-key"]
        keys = decoded(secret)
        public = keys["ssh_host_ed25519_key.pub"]
        self.assertRegex(public, r"^ssh-ed25519 [A-Za-z0-9+/]+=*$")
        self.assertIn("BEGIN OPENSSH PRIVATE KEY", keys["ssh_host_ed25519_key"])
        self.assertEqual(known_hosts(self.ssh.pipes()["ssh-jupyter-maria"]), f"[10.42.1.20]:2222 {public}\n")
        # Owned by the pod that mounts it: deleted with it, whatever happens to the hub.
        uid = self.ssh.pod("jupyter-maria")["metadata"]["uid"]
        self.assertEqual(secret["metadata"]["ownerReferences"], [{"apiVersion": "v1", "kind": "Pod", "name": "jupyter-maria", "uid": uid}])
        self.assertEqual(secret["type"], "Opaque")

    def test_the_pod_mounts_its_host_key_where_the_image_hook_reads_it_and_waits_for_it(self):
        self.ssh.start("maria")
        pod = self.ssh.last_created_pod()
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        expected = {**HOST_KEY_VOLUME, "secret": {**HOST_KEY_VOLUME["secret"], "secretName": "jupyter-maria-ssh-host-key"}}
        self.assertEqual(volumes["ssh-host-key"], expected)
        self.assertNotIn("optional", volumes["ssh-host-key"]["secret"])
        self.assertEqual(volumes["volume-maria"], {"name": "volume-maria", "persistentVolumeClaim": {"claimName": "claim-maria"}})
        self.assertIn(HOST_KEY_MOUNT, pod["spec"]["containers"][0]["volumeMounts"])

    def test_every_server_and_every_start_gets_a_new_key(self):
        first = self.ssh.start("maria")
        key_of = lambda name: known_hosts(self.ssh.pipes()[name]).split(" ", 1)[1]  # noqa: E731
        one = key_of("ssh-jupyter-maria")
        self.ssh.start("maria", "gpu")
        named = key_of("ssh-jupyter-maria--gpu")
        self.ssh.stop(first)
        self.ssh.start("maria")
        again = key_of("ssh-jupyter-maria")
        self.assertEqual(len({one, named, again}), 3)
        secret = self.ssh.secrets()["jupyter-maria-ssh-host-key"]
        self.assertEqual(decoded(secret)["ssh_host_ed25519_key.pub"] + "\n", again)
        self.assertEqual(secret["metadata"]["ownerReferences"][0]["uid"], self.ssh.pod("jupyter-maria")["metadata"]["uid"])

    def test_named_server_is_user_plus_server(self):
        self.ssh.start("aiko.tanaka", "gpu", pod_ip="10.42.2.9")
        pipe = self.ssh.pipes()["ssh-jupyter-aiko-tanaka---bb0feed0--gpu"]
        self.assertEqual(pipe["spec"]["from"][0], {"username": "aiko.tanaka+gpu", "authorized_keys_secret": {"name": "jupyterhub-ssh-user-keys"}})
        self.assertEqual(pipe["metadata"]["annotations"]["sshpiper.com/authorizedkeys_field_name"], "user-aiko-tanaka---bb0feed0")
        self.assertEqual(pipe["spec"]["to"]["host"], "10.42.2.9:2222")

    def test_no_route_key_or_mount_for_a_profile_without_sshd_or_a_user_without_keys(self):
        self.ssh.start("maria", profile="plain")
        self.ssh.start("noah")
        self.assertEqual(self.ssh.pipes(), {})
        self.assertEqual([name for name in self.ssh.secrets() if name.endswith("-ssh-host-key")], [])
        for pod in self.ssh.kube.created("pods"):
            self.assertNotIn("ssh-host-key", [v["name"] for v in pod["spec"]["volumes"]])

    def test_a_restart_with_a_profile_without_sshd_has_no_mount_or_route(self):
        # JupyterHub's User.stop drops the stopped server's spawner (jupyterhub/user.py 5.5.0,
        # `self.spawners.pop(server_name)`), so the restart gets a new one from the config: the
        # earlier profile's labels, which KubeSpawner merges into extra_labels, do not carry over.
        self.ssh.stop(self.ssh.start("maria"))
        self.ssh.start("maria", profile="plain")
        pod = self.ssh.last_created_pod()
        self.assertNotIn("ssh-host-key", [v["name"] for v in pod["spec"]["volumes"]])
        self.assertNotIn(HOST_KEY_MOUNT, pod["spec"]["containers"][0]["volumeMounts"])
        self.assertEqual(self.ssh.pipes(), {})
        self.assertNotIn("jupyter-maria-ssh-host-key", self.ssh.secrets())

    def test_the_charts_own_shape_of_volumes_is_kept_and_the_mount_added_once(self):
        # Chart 4.2.0 sets KubeSpawner's volumes as lists, 4.4.0 as dicts keyed by name. The same
        # spawner object starts again only after a failed start, which JupyterHub keeps for its
        # error page; the mount is replaced then, not repeated.
        spawner = self.ssh.start("maria")
        self.ssh.stop(spawner)
        self.ssh.hub.run(spawner.start())
        shape = list if chart_hub.CHART_VERSION == "4.2.0" else dict
        self.assertIsInstance(spawner.volumes, shape)
        self.assertIsInstance(spawner.volume_mounts, shape)
        names = [v["name"] for v in chart_hub.dict_or_list_values(spawner.volumes)]
        self.assertEqual(sorted(names), ["ssh-host-key", "volume-{user_server}"])
        self.assertEqual([m["name"] for m in chart_hub.dict_or_list_values(spawner.volume_mounts)].count("ssh-host-key"), 1)

    def test_a_username_with_plus_gets_no_route_as_it_would_also_name_another_users_server(self):
        # 'ada+b' would be user 'ada+b' and user 'ada''s server 'b' alike; settings refuse such a
        # user, and the hub does not route one that got through.
        self.ssh.start("ada+b")
        self.assertEqual(self.ssh.pipes(), {})
        self.assertEqual([name for name in self.ssh.secrets() if name.endswith("-ssh-host-key")], [])

    def test_stop_removes_the_route_and_the_key_and_what_is_already_gone_is_fine(self):
        spawner = self.ssh.start("maria")
        self.ssh.stop(spawner)
        self.assertEqual(self.ssh.pipes(), {})
        self.assertNotIn("jupyter-maria-ssh-host-key", self.ssh.secrets())
        self.assertEqual(self.ssh.kube.objects("pods"), [])
        # The pod, its Pipe and its Secret went first: 404, no error.
        _, log = self.logged(lambda: self.ssh.stop(spawner))
        self.assertEqual(log, "")

    def test_a_route_left_by_an_earlier_start_is_replaced(self):
        spawner = self.ssh.start("maria", pod_ip="10.42.1.20")
        # The hub lost track of the stop (it was down): the pod went, its Pipe and Secret were
        # left as they were when they had another owner.
        left = {name: body for name, body in (("pipes", self.ssh.pipes()["ssh-jupyter-maria"]), ("secrets", self.ssh.secrets()["jupyter-maria-ssh-host-key"]))}
        self.ssh.stop(spawner)
        for plural, body in left.items():
            body["metadata"] = {k: v for k, v in body["metadata"].items() if k in ("name", "namespace", "labels", "annotations")}
            with self.ssh.kube._lock:  # as the API server stores a create (kube_api.py)
                self.ssh.kube._create(*(("sshpiper.com", "pipes") if plural == "pipes" else ("", "secrets")), "jupyterhub", body)
        self.ssh.start("maria", pod_ip="10.42.7.7")
        pipe = self.ssh.pipes()["ssh-jupyter-maria"]
        self.assertEqual(pipe["spec"]["to"]["host"], "10.42.7.7:2222")
        self.assertTrue(known_hosts(pipe).startswith("[10.42.7.7]:2222 ssh-ed25519 "))
        uid = self.ssh.pod("jupyter-maria")["metadata"]["uid"]
        self.assertEqual(self.ssh.secrets()["jupyter-maria-ssh-host-key"]["metadata"]["ownerReferences"][0]["uid"], uid)

    def test_ipv6_pod_address_is_bracketed(self):
        self.ssh.start("maria", pod_ip="fd00:10:42::14")
        pipe = self.ssh.pipes()["ssh-jupyter-maria"]
        self.assertEqual(pipe["spec"]["to"]["host"], "[fd00:10:42::14]:2222")
        self.assertTrue(known_hosts(pipe).startswith("[fd00:10:42::14]:2222 ssh-ed25519 "))

    def test_known_hosts_on_port_22_name_the_address_alone_as_knownhosts_normalize_does(self):
        self.assertEqual(ssh_pipes.known_hosts_line("10.0.0.1", 22, "ssh-ed25519 AAAA\n"), "10.0.0.1 ssh-ed25519 AAAA\n")
        self.assertEqual(ssh_pipes.known_hosts_line("10.0.0.1", 2222, "ssh-ed25519 AAAA"), "[10.0.0.1]:2222 ssh-ed25519 AAAA\n")

    def test_only_a_routed_server_gets_the_pod_created_hook(self):
        # With any after_pod_created_hook, KubeSpawner waits for the pod's uid (and fails the
        # spawn after 10 s): servers without a route must not pay for it.
        self.assertIsNone(self.ssh.c.KubeSpawner.get("after_pod_created_hook"))
        self.assertIsNone(self.ssh.start("maria", profile="plain").after_pod_created_hook)
        self.assertTrue(callable(self.ssh.start("maria", "second").after_pod_created_hook))


class WithoutThePipeWriterRoleTest(PipesCase):
    rules = []  # the chart's hub Role alone: Pipes are forbidden

    def test_an_api_failure_on_the_route_leaves_the_server_running_and_says_why(self):
        _, log = self.logged(lambda: self.ssh.start("maria"))
        self.assertEqual(self.ssh.url, "http://10.42.1.20:8888")
        self.assertIn("No SSH route for maria's server '': 403 Forbidden", log)
        self.assertEqual(len(self.ssh.kube.objects("pods")), 1)


class WithoutSecretsTest(PipesCase):
    def setUp(self):
        # The hub's Role without `create` on Secrets.
        original = chart_hub.render

        def without_secret_create(values=None):
            manifests = original(values)
            for manifest in manifests:
                if manifest.get("kind") == "Role" and manifest["metadata"]["name"] == "hub":
                    manifest["rules"] = [{**r, "resources": [x for x in r["resources"] if x != "secrets"]} for r in manifest["rules"]]
            return manifests

        chart_hub.render = without_secret_create
        try:
            super().setUp()
        finally:
            chart_hub.render = original

    def test_a_host_key_that_cannot_be_written_fails_the_spawn_without_showing_the_key(self):
        # The container would wait for the Secret forever; KubeSpawner stops the pod and says why.
        with self.assertRaises(RuntimeError) as raised:
            self.ssh.start("maria")
        self.assertIn("could not write the SSH host key Secret jupyter-maria-ssh-host-key: 403 Forbidden", str(raised.exception))
        self.assertNotIn("PRIVATE KEY", str(raised.exception))
        self.assertIsNone(raised.exception.__cause__)
        self.assertEqual(self.ssh.kube.objects("pods"), [])  # KubeSpawner's own cleanup
        self.assertEqual(self.ssh.pipes(), {})


class KeepsWhatWasSetBeforeTest(PipesCase):
    seen = []

    def configure(c):
        c.KubeSpawner.after_pod_created_hook = lambda spawner, pod: KeepsWhatWasSetBeforeTest.seen.append(pod["metadata"]["name"])

    def test_keeps_an_after_pod_created_hook_set_before_it(self):
        self.ssh.start("maria")
        self.assertEqual(self.seen, ["jupyter-maria"])
        self.assertIn("jupyter-maria-ssh-host-key", self.ssh.secrets())

    def test_wraps_the_spawner_class_set_before(self):
        from kubespawner import KubeSpawner

        profile_filter = load_project_module("components/hub/profile_filter.py", "profile_filter")
        c = chart_hub.hub_config(CHART_VALUES)
        gated = profile_filter.install(c, {}, KubeSpawner)
        wrapped = ssh_pipes.install(c, CONFIG, KubeSpawner)
        self.assertTrue(issubclass(wrapped, gated))
        self.assertIs(c.JupyterHub.spawner_class, wrapped)


class LoginNameTest(unittest.TestCase):
    def test_plus_separates_user_and_server(self):
        self.assertEqual(ssh_pipes.login_name("maria", ""), "maria")
        self.assertEqual(ssh_pipes.login_name("maria", "gpu"), "maria+gpu")


if __name__ == "__main__":
    unittest.main()
