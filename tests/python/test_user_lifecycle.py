"""The hub's side of users' lifecycle (components/lifecycle/user_lifecycle.py): KubeSpawner's names,
the kept homes of renamed users, and the managed service's reconcile and stop-all against a fake
hub that answers like JupyterHub 5.5.0's REST API (tests/python/fake_hub.py)."""
import asyncio
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import types
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fake_hub import SERVICE_TOKEN, FakeHub  # noqa: E402
import chart_hub  # noqa: E402
from project_module import ROOT, load_project_module as load  # noqa: E402

lifecycle = load("components/lifecycle/user_lifecycle.py", "user_lifecycle")


def program_answers(*questions):
    """What the program's own TypeScript gives: each question is (module, function name, an
    expression using it), and its answer the expression's value (JSON). One node process for all."""
    script = "require('./scripts/registerTypeScript.cjs');" + "".join(f"const {{ {name} }} = require('./{module}');" for module, name, _ in questions)
    script += f"console.log(JSON.stringify([{', '.join(expression for _, _, expression in questions)}]));"
    return json.loads(subprocess.run(["node", "-e", script], cwd=ROOT, capture_output=True, text=True, check=True).stdout)

class Slugs(unittest.TestCase):
    # Computed with kubespawner/slugs.py of KubeSpawner 7.0.0 (safe_slug(name, max_length=48),
    # multi_slug([user, server], 48)), the way _expand_user_properties uses them.
    SAFE = {
        "aiko.tanaka": "aiko-tanaka---bb0feed0",
        "alice": "alice",
        "dev": "dev",
        "Bob": "bob---cd9fb1e1",
        "a--b": "a-b---90827a2e",
        "x" * 60: "x" * 37 + "---42f2d973",
        "jörg": "j-rg---12c433a0",
        "9lives": "x-9lives---bc867356",
        "ada_lovelace": "ada-lovelace---c8e26fe1",
        "carol@example.org": "carol-example-org---b39a0782",
    }
    USER_SERVER = {
        ("aiko.tanaka", "work"): "aiko-tanaka---bb0feed0--work",
        ("alice", "gpu"): "alice--gpu",
        ("alice", "x" * 40): "alice--" + "x" * 40,
        ("aiko.tanaka", "y" * 30): "aiko-tanaka--yyyyyyyyyyyyyyyyy---f39700c0",
        # A default server too, once the username's safe slug leaves no room for "--" (KubeSpawner
        # 7.0.0 itself names this pod jupyter-xxxxxxxxxxxxxxxxx--x---fb2abac5).
        ("x" * 60, ""): "xxxxxxxxxxxxxxxxx--x---fb2abac5",
    }

    def test_safe_slugs_match_kubespawner(self):
        for name, slug in self.SAFE.items():
            self.assertEqual(lifecycle.safe_slug(name), slug, name)

    def test_user_server_slugs_match_kubespawner(self):
        for (user, server), slug in self.USER_SERVER.items():
            self.assertEqual(lifecycle.user_server_slug(user, server), slug, (user, server))

    _program = {}

    @classmethod
    def program(cls):
        """The program's home claims (homeLocations.ts homeLocation) and slugs (kubespawnerLabels.ts
        templateSlug) of the SAFE names, asked once for both tests (a node process is ~0.1 CPU-s)."""
        if not cls._program:
            names = json.dumps(list(cls.SAFE))
            claims, slugs = program_answers(
                ("components/storage/homeLocations.ts", "homeLocation", f"{names}.map((n) => homeLocation({{ type: 'dynamic' }}, 'jupyterhub', n).claim)"),
                ("components/ssh/kubespawnerLabels.ts", "templateSlug", f"{names}.map(templateSlug)"),
            )
            cls._program.update(claims=claims, slugs=slugs)
        return cls._program

    def test_claim_names(self):
        self.assertEqual(lifecycle.claim_name("aiko.tanaka"), "claim-aiko-tanaka---bb0feed0")
        self.assertEqual(lifecycle.claim_name("alice", "gpu"), "claim-alice--gpu")

    def test_the_names_are_the_ones_kubespawner_itself_gives_pods_and_claims(self):
        hub = chart_hub.Hub(chart_hub.hub_config())
        self.addCleanup(hub.close)
        for name in self.SAFE:
            spawner = hub.spawner(hub.user(name))
            self.assertEqual((spawner.pod_name, spawner.pvc_name), (f"jupyter-{lifecycle.user_server_slug(name)}", lifecycle.claim_name(name)), name)
        for (name, server), slug in self.USER_SERVER.items():
            spawner = hub.spawner(hub.user(name), server)
            self.assertEqual((spawner.pod_name, spawner.pvc_name), (f"jupyter-{slug}", lifecycle.claim_name(name, server)), (name, server))

    def test_the_homes_output_names_the_claims_kubespawner_creates(self):
        # components/storage/homeLocations.ts homeLocation: the `homes` output the README's reset
        # and hand-over steps read.
        claims = self.program()["claims"]
        hub = chart_hub.Hub(chart_hub.hub_config())
        self.addCleanup(hub.close)
        self.assertEqual(claims, [hub.spawner(hub.user(name)).pvc_name for name in self.SAFE])

    def test_same_slugs_as_the_program_computes(self):
        # components/ssh/kubespawnerLabels.ts templateSlug, which the homes output uses.
        slugs = self.program()["slugs"]
        self.assertEqual(slugs, list(self.SAFE.values()))


# The program's NFS homes (components/storage/homeVolumes.ts): the chart's static storage with a
# sub-directory per user, the home-owner init container on the same sub-path, and another volume
# mounted at the same sub-path, which is not the home.
NFS_VALUES = {
    "singleuser": {
        "storage": {
            "type": "static",
            "static": {"pvcName": "homes", "subPath": "{username}"},
            "extraVolumes": [{"name": "shared-data", "nfs": {"server": "nas.home.arpa", "path": "/volume1/shared"}}],
            "extraVolumeMounts": [{"name": "shared-data", "mountPath": "/srv/shared-data", "subPath": "{username}"}],
        },
        "initContainers": [
            {"name": "home-owner", "image": "docker.io/library/busybox:1.37.0", "command": ["true"],
             "volumeMounts": [{"name": "home", "mountPath": "/home/jovyan", "subPath": "{username}"}]}
        ],
    }
}


class Install(unittest.TestCase):
    """install() on the chart's own config, and KubeSpawner 7 starting servers against the fake API
    server (tests/python/chart_hub.py): the claim it creates and the pod it sends."""

    def test_only_configured_users_log_in(self):
        from kubespawner import KubeSpawner

        c = chart_hub.hub_config()
        self.assertIsNone(lifecycle.install(c, {"users": ["ada"]}, KubeSpawner))
        self.assertIs(c.Authenticator.allow_existing_users, False)
        self.assertEqual(c.JupyterHub.spawner_class, "kubespawner.KubeSpawner")

    def test_wraps_the_spawner_class_set_before(self):
        from kubespawner import KubeSpawner

        profile_filter = load("components/hub/profile_filter.py", "profile_filter")
        c = chart_hub.hub_config({"singleuser": {"profileList": [{"slug": "a", "display_name": "A", "default": True}]}})
        earlier = profile_filter.install(c, {}, KubeSpawner)
        spawner_class = lifecycle.install(c, {"renames": {"aiko": ["aiko.tanaka"]}}, KubeSpawner)
        self.assertIs(c.JupyterHub.spawner_class, spawner_class)
        self.assertTrue(issubclass(spawner_class, earlier))

    def start(self, config, name, server="", storage="dynamic", state=None):
        """Start `name`'s server with the kept-home spawner; (the claims created, the pod sent)."""
        from kubespawner import KubeSpawner

        values = NFS_VALUES if storage == "nfs" else {}
        kube = chart_hub.kube_api(chart_hub.render(values))
        c = chart_hub.hub_config(values)
        lifecycle.install(c, {**config, "storage": storage}, KubeSpawner)
        hub = chart_hub.Hub(c, kube=kube)
        user = hub.user(name)
        if state is not None:
            # What a hub saved for this server earlier (User._new_spawner hands it to load_state).
            hub.spawner(user, server).orm_spawner.state = state
            hub.db.commit()
        try:
            hub.run(hub.spawner(user, server).start())
            return [claim["metadata"]["name"] for claim in kube.created("persistentvolumeclaims")], kube.created("pods")[-1]
        finally:
            hub.close()  # one hub at a time: KubeSpawner's reflectors are the class's
            kube.stop()

    def test_a_renamed_user_keeps_the_oldest_names_claim(self):
        config = {"renames": {"aiko": ["aiko.tanaka", "aiko.t"]}}
        claims, pod = self.start(config, "aiko")
        self.assertEqual(claims, ["claim-aiko-tanaka---bb0feed0"])
        home = next(v for v in pod["spec"]["volumes"] if "persistentVolumeClaim" in v)
        self.assertEqual(home["persistentVolumeClaim"]["claimName"], "claim-aiko-tanaka---bb0feed0")
        claims, _ = self.start(config, "aiko", server="work")
        self.assertEqual(claims, ["claim-aiko-tanaka---bb0feed0--work"])

    def test_a_claim_remembered_in_the_spawners_state_is_kept(self):
        state = {"pod_name": "jupyter-aiko", "namespace": "jupyterhub", "pvc_name": "claim-aiko-2etanaka"}
        claims, _ = self.start({"renames": {"aiko": ["aiko.tanaka"]}}, "aiko", state=state)
        self.assertEqual(claims, ["claim-aiko-2etanaka"])

    def test_other_users_are_left_alone(self):
        claims, _ = self.start({"renames": {"aiko": ["aiko.tanaka"]}}, "alice")
        self.assertEqual(claims, ["claim-alice"])

    def test_nfs_a_renamed_user_keeps_the_oldest_names_sub_directory(self):
        claims, pod = self.start({"renames": {"aiko": ["aiko.tanaka"]}}, "aiko", storage="nfs")
        mounts = sorted((m["name"], m.get("subPath")) for m in pod["spec"]["containers"][0]["volumeMounts"])
        self.assertEqual(mounts, [("home", "aiko-tanaka---bb0feed0"), ("shared-data", "aiko")])
        self.assertEqual(pod["spec"]["initContainers"][0]["volumeMounts"][0]["subPath"], "aiko-tanaka---bb0feed0")
        self.assertEqual(claims, [])


CONFIG = {"service": "user-lifecycle", "users": ["ada", "grace"], "formerUsers": ["bob"], "renames": {}, "storage": "dynamic"}


class Reconcile(unittest.TestCase):
    def setUp(self):
        self.hub = FakeHub().__enter__()
        self.addCleanup(self.hub.__exit__)
        self.api = lifecycle.HubApi(self.hub.url, SERVICE_TOKEN)

    def reconcile(self, config=CONFIG):
        return lifecycle.reconcile(self.api, config, wait=lambda name: lifecycle.wait_until_stopped(self.api, name, 5, sleep=lambda s: None))

    def test_offboards_a_former_user_and_keeps_them(self):
        self.hub.add_user("ada", admin=True, servers=[""])
        self.hub.add_user("grace")
        self.hub.add_user("bob", admin=True, servers=["", "gpu"])
        self.hub.add_token("bob")
        self.hub.add_token("bob", client="jupyterhub-user-bob")
        self.hub.add_token("bob", client="jupyterhub-user-bob")
        actions = self.reconcile()
        self.assertEqual(self.hub.running("bob"), [])
        self.assertEqual(self.hub.users["bob"]["tokens"], {})
        self.assertFalse(self.hub.users["bob"]["admin"])
        self.assertIn("bob", self.hub.users)  # the hub row stays, like the home and Vault data
        self.assertEqual(self.hub.running("ada"), [""])  # configured users are left alone
        self.assertTrue(self.hub.users["ada"]["admin"])
        self.assertIn("took admin away from bob", actions)
        # Stopped through DELETE /users/{name}/server[s/{name}], never by deleting the user.
        deletes = [path for method, path, _ in self.hub.requests if method == "DELETE"]
        self.assertIn("/hub/api/users/bob/server", deletes)
        self.assertIn("/hub/api/users/bob/servers/gpu", deletes)
        self.assertNotIn("/hub/api/users/bob", deletes)

    def test_a_second_round_does_nothing(self):
        self.hub.add_user("ada")
        self.hub.add_user("bob", servers=[""])
        self.hub.add_token("bob")
        self.reconcile()
        self.assertEqual(self.reconcile(), [])

    def test_offboards_a_hub_user_nobody_listed(self):
        self.hub.add_user("mallory", servers=[""])
        self.hub.add_token("mallory")
        with self.assertLogs("JupyterHub.user-lifecycle", "WARNING") as logs:
            self.reconcile()
        self.assertEqual((self.hub.running("mallory"), self.hub.users["mallory"]["tokens"]), ([], {}))
        self.assertIn("mallory is in neither jupyterhub:users nor jupyterhub:formerUsers", "\n".join(logs.output))

    def test_reads_every_page_of_users(self):
        for index in range(7):
            self.hub.add_user(f"gone{index}", servers=[""])
        with self.assertLogs("JupyterHub.user-lifecycle", "WARNING"):
            self.reconcile()
        self.assertEqual([name for name in self.hub.users if self.hub.running(name)], [])
        self.assertGreater(len([p for m, p, _ in self.hub.requests if m == "GET" and p.startswith("/hub/api/users?")]), 3)

    RENAME = {**CONFIG, "users": ["ada", "aiko"], "renames": {"aiko": ["aiko.tanaka"]}}

    def test_renames_the_hub_user_out_of_the_way_of_the_fresh_one(self):
        # At start the hub made `aiko` from allowed_users (app.py init_users): unused, so the old
        # account takes the name with its tokens, servers' state and the fresh one's groups.
        self.hub.add_user("aiko.tanaka", groups=["ml"])
        self.hub.users["aiko.tanaka"]["spawner_state"] = {"": {"pvc_name": "claim-aiko-tanaka---bb0feed0"}}
        token = self.hub.add_token("aiko.tanaka")
        self.hub.add_user("aiko", groups=["staff"], last_activity=None)
        self.hub.groups.setdefault("ml", set())
        actions = self.reconcile(self.RENAME)
        self.assertIn("renamed hub user aiko.tanaka to aiko", actions)
        self.assertEqual(sorted(self.hub.users), ["aiko"])
        renamed = self.hub.users["aiko"]
        self.assertEqual(list(renamed["tokens"]), [token])
        self.assertEqual(renamed["spawner_state"], {"": {"pvc_name": "claim-aiko-tanaka---bb0feed0"}})
        self.assertEqual(sorted(g for g, members in self.hub.groups.items() if "aiko" in members), ["staff"])
        # The Authenticator still lets `aiko` in: only the placeholder left allowed_users.
        self.assertIn("aiko", self.hub.allowed_users)
        self.assertEqual(self.reconcile(self.RENAME), [])

    def test_renames_an_admin_which_only_an_admin_service_may(self):
        self.hub.add_user("aiko.tanaka", admin=True, servers=[""])
        self.hub.add_user("aiko", admin=True, last_activity=None)
        self.reconcile(self.RENAME)
        self.assertEqual(sorted(self.hub.users), ["aiko"])
        self.assertTrue(self.hub.users["aiko"]["admin"])
        # The server was stopped before the rename: its URL and pod carry the old name.
        self.assertEqual(self.hub.running("aiko"), [])

        hub = FakeHub().__enter__()
        self.addCleanup(hub.__exit__)
        hub.add_requester("scoped", "user-lifecycle", scopes={"list:users", "read:users", "admin:users", "read:tokens", "delete:servers"})
        hub.add_user("aiko.tanaka", admin=True)
        with self.assertRaises(lifecycle.HubApiError) as refused:
            lifecycle.reconcile(lifecycle.HubApi(hub.url, "scoped"), {**self.RENAME, "users": ["ada", "aiko"]})
        self.assertIn("Only admins can modify other admins", str(refused.exception))

    def test_a_plain_rename_when_the_hub_has_no_account_under_the_new_name(self):
        self.hub.add_user("aiko.tanaka")
        self.reconcile(self.RENAME)
        self.assertEqual(sorted(self.hub.users), ["aiko"])

    def test_the_most_recent_earlier_name_is_renamed(self):
        self.hub.add_user("aiko.t")
        self.reconcile({**self.RENAME, "renames": {"aiko": ["aiko.tanaka", "aiko.t"]}})
        self.assertEqual(sorted(self.hub.users), ["aiko"])

    def test_no_rename_over_a_used_account(self):
        self.hub.add_user("aiko.tanaka", servers=[""])
        self.hub.add_user("aiko", servers=[""])
        with self.assertLogs("JupyterHub.user-lifecycle", "ERROR") as logs:
            actions = self.reconcile(self.RENAME)
        self.assertIn("cannot rename hub user aiko.tanaka to aiko", "\n".join(logs.output))
        self.assertEqual(self.hub.running("aiko"), [""])
        # The old account is offboarded like any unconfigured one.
        self.assertEqual(self.hub.running("aiko.tanaka"), [])
        self.assertIn("stopped aiko.tanaka's server (default)", actions)


class StopAll(unittest.TestCase):
    def test_stops_every_server_and_waits_for_pending_stops(self):
        with FakeHub(stop_polls=2) as hub:
            hub.add_user("ada", servers=[""])
            hub.add_user("grace", servers=["", "gpu"])
            hub.add_user("idle")
            stopped = lifecycle.stop_all(lifecycle.HubApi(hub.url, SERVICE_TOKEN), timeout=5, sleep=lambda s: None)
            self.assertEqual(stopped, ["ada", "grace", "grace/gpu"])
            self.assertEqual([hub.running(name) for name in ("ada", "grace")], [[], []])

    def test_says_whose_servers_did_not_stop(self):
        with FakeHub(stop_polls=10_000) as hub:
            hub.add_user("grace", servers=[""])
            clock = iter(range(0, 1000, 5))
            with self.assertRaisesRegex(TimeoutError, "servers of grace were still running after 10s"):
                lifecycle.stop_all(lifecycle.HubApi(hub.url, SERVICE_TOKEN), timeout=10, sleep=lambda s: None, clock=lambda: next(clock))


class Cli(unittest.TestCase):
    """The script as `pulumi destroy` runs it in the hub's container (kubectl exec): config and
    the service's token from the chart's z2jh helper, the hub on localhost."""

    def run_script(self, *args, api_url):
        with tempfile.TemporaryDirectory() as scratch:
            # Stands in for the chart's z2jh.py: values and the hub Secret's files.
            pathlib.Path(scratch, "z2jh.py").write_text(
                "def get_config(key, default=None):\n"
                f"    return {{'custom.userLifecycle': {CONFIG!r}, 'hub.baseUrl': '/'}}.get(key, default)\n"
                "def get_secret_value(key, default=None):\n"
                f"    assert key == 'hub.services.user-lifecycle.apiToken', key\n"
                f"    return {SERVICE_TOKEN!r}\n"
            )
            env = {**os.environ, "PYTHONPATH": scratch, "JUPYTERHUB_API_URL": api_url}
            env.pop("JUPYTERHUB_API_TOKEN", None)
            script = ROOT / "components" / "lifecycle" / "user_lifecycle.py"
            return subprocess.run([sys.executable, str(script), *args], env=env, capture_output=True, text=True, timeout=60)

    def test_stop_all_stops_every_server_with_the_services_token(self):
        with FakeHub() as hub:
            hub.add_user("ada", servers=["", "gpu"])
            run = self.run_script("stop-all", "--timeout", "5", api_url=hub.url)
            self.assertEqual((run.returncode, run.stdout), (0, "stopped 2 server(s): ada, ada/gpu\n"))
            self.assertEqual(hub.running("ada"), [])

    def test_stop_all_fails_loudly_when_the_hub_does_not_answer(self):
        with FakeHub() as hub:
            url = hub.url
        run = self.run_script("stop-all", api_url=url)
        self.assertEqual(run.returncode, 1)
        self.assertIn("could not stop every server through the hub:", run.stderr)

    def test_says_how_to_call_it(self):
        run = self.run_script(api_url="http://127.0.0.1:9")
        self.assertEqual(run.returncode, 2)
        self.assertIn("usage: user_lifecycle.py serve | status | stop-all", run.stderr)


if __name__ == "__main__":
    unittest.main()
