"""The Vault hooks through a whole spawn and stop, run by JupyterHub's own User.spawn and User.stop
on real KubeSpawners (configured by the chart's jupyterhub_config.py) against the fake API server
and the fake Vault (tests/python/chart_hub.py): no token for a spawn KubeSpawner would refuse, and
none outliving its server, even when the hub restarted in between."""
import io
import logging
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import chart_hub  # noqa: E402
from project_module import load_project_module as load  # noqa: E402
from fake_vault import HUB_TOKEN, SERVICE_ACCOUNT_JWT, FakeVault, accessor_for, closed_port_address, hook_config as vault_config  # noqa: E402

vault_token_hook = load("components/vault/vault_token_hook.py", "vault_token_hook")
profile_filter = load("components/hub/profile_filter.py", "profile_filter")


def profile(slug, default=False):
    # Each profile's own image: the pod KubeSpawner creates shows which profile it applied.
    entry = {"slug": slug, "display_name": slug.upper(), "kubespawner_override": {"image": f"registry.home.arpa/{slug}:1"}}
    return {**entry, "default": True} if default else entry


PROFILES = [profile("minimal", default=True), profile("gpu")]
CREATE = "/v1/auth/token/create/jupyterhub-user-jupyterhub"
LOOKUP_SELF = "/v1/auth/token/lookup-self"
REVOKE_ACCESSOR = "/v1/auth/token/revoke-accessor"
UNWRAP = "/v1/sys/wrapping/unwrap"


class KubeCase(unittest.TestCase):
    """A fake API server per test, authorizing the hub as the chart's hub Role does."""

    rules = None  # the hub's Role; None: the chart's own

    def setUp(self):
        manifests = chart_hub.render({"singleuser": {"profileList": PROFILES}})
        if self.rules is not None:
            for manifest in manifests:
                if manifest.get("kind") == "Role" and manifest["metadata"]["name"] == "hub":
                    manifest["rules"] = self.rules(manifest["rules"])
        self.kube = chart_hub.kube_api(manifests)
        self.addCleanup(self.kube.stop)
        self.hubs = []
        self.addCleanup(lambda: [h.close() for h in self.hubs])

    def hub(self, address, profile_groups=None, on_failure="refuse", configure=None, database=None):
        for running in self.hubs:
            running.close()  # one hub process at a time
        self.hubs = [Hub(self.kube, address, profile_groups, on_failure, configure, database)]
        return self.hubs[0]

    def restarted(self, hub):
        """The same config and database loaded by a new hub process: nothing in memory survives."""
        return self.hub(hub.address, hub.profile_groups, hub.on_failure, hub.configure, database=hub.hub.db)

    def images(self):
        """The image of every pod created so far, in order."""
        return [pod["spec"]["containers"][0]["image"] for pod in self.kube.created("pods")]


class Hub:
    """The hub's config after the extraConfig entries, in key order: 40-vault-hook, 50-profile-filter.

    Its database outlives the process: a restarted hub is a new Hub on the same database, with
    nothing of the old one's memory."""

    def __init__(self, kube, address, profile_groups, on_failure, configure, database):
        from kubespawner import KubeSpawner

        self.address, self.profile_groups, self.on_failure, self.configure = address, profile_groups, on_failure, configure
        self.c = chart_hub.hub_config({"singleuser": {"profileList": PROFILES}})
        if configure:
            configure(self.c)
        cfg = vault_config(address, on_failure)
        self.client = vault_token_hook.VaultClient(cfg, read_service_account_token=lambda: SERVICE_ACCOUNT_JWT)
        # 40-vault-hook, as components/hub/vaultValues.ts wires it.
        vault_token_hook.install(self.c, cfg, self.client)
        if profile_groups is not None:
            profile_filter.install(self.c, profile_groups, KubeSpawner)
        self.hub = chart_hub.Hub(self.c, kube=kube, database=database)
        self.spawner_class = self.hub.spawner_class()

    def close(self):
        self.hub.close()

    def user(self, name, groups=(), admin=False):
        return self.hub.user(name, groups, admin)

    def spawn(self, user, profile=None, name=""):
        """User.spawn with the spawn form's choice; the server's spawner."""
        self.hub.spawn(user, name, {"profile": profile} if profile is not None else {})
        return self.hub.server(user, name)

    def stop(self, user, name=""):
        self.hub.stop(user, name)
        return self.hub.server(user, name)

    def server(self, user, name=""):
        return self.hub.server(user, name)

    def running(self, spawner):
        return self.hub.running(spawner)


def unwrapped(vault, spawner):
    """The server's start hook: the user's token, from the wrapping token in the pod's environment."""
    status, reply = vault.route("POST", UNWRAP, None, spawner.environment["NOTEBOOK_VAULT_WRAPPING_TOKEN"])
    assert status == 200, status
    return reply["auth"]["client_token"]


def creates(vault):
    return [r for r in vault.requests if r[1] == CREATE]


def lookup_self(vault, token):
    """What Vault answers the token's own lookup: 200 while it lives, 403 once revoked."""
    return vault.route("GET", LOOKUP_SELF, None, token)[0]


class CapturedLogs:
    """Everything the Vault hook, JupyterHub's User (tornado's app log) and the spawners log."""

    NAMES = ("JupyterHub", "tornado.application", "traitlets")

    def __enter__(self):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.loggers = [logging.getLogger(name) for name in self.NAMES]
        self.levels = [logger.level for logger in self.loggers]
        for logger in self.loggers:
            logger.addHandler(self.handler)
            logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc):
        for logger, level in zip(self.loggers, self.levels):
            logger.removeHandler(self.handler)
            logger.setLevel(level)

    @property
    def text(self):
        return self.stream.getvalue()


class ProfileCheckedBeforeMintingTest(KubeCase):
    def refused(self, the_hub, user, profile, vault, message):
        with CapturedLogs():
            with self.assertRaisesRegex(vault_token_hook.ProfileUnavailable, message):
                the_hub.spawn(user, profile)
        self.assertEqual(vault.requests, [], "nothing may reach Vault for a refused profile, not even the hub's login")
        self.assertNotIn("NOTEBOOK_VAULT_WRAPPING_TOKEN", the_hub.server(user).environment)
        self.assertEqual(self.kube.created("pods"), [])

    def test_a_group_gated_profile_the_user_may_not_use_mints_nothing(self):
        with FakeVault() as vault:
            the_hub = self.hub(vault.address, profile_groups={"gpu": ["gpu"]})
            self.refused(the_hub, the_hub.user("noah", ["lab"]), "gpu", vault, "profile 'gpu' is not available to noah")

    def test_an_unknown_profile_mints_nothing_with_the_group_filter(self):
        with FakeVault() as vault:
            the_hub = self.hub(vault.address, profile_groups={"gpu": ["gpu"]})
            self.refused(the_hub, the_hub.user("maria", admin=True), "nonexistent", vault, "'nonexistent' is not available")

    def test_an_unknown_profile_mints_nothing_when_no_profile_is_group_gated(self):
        # profileFilterValues renders no profile filter then: only the Vault hook and KubeSpawner.
        from kubespawner import KubeSpawner

        with FakeVault() as vault:
            the_hub = self.hub(vault.address)
            self.assertIs(the_hub.spawner_class, KubeSpawner)
            self.refused(the_hub, the_hub.user("noah"), "nonexistent", vault, "'nonexistent' is not available to noah")

    def test_refused_even_when_vault_failures_would_let_the_server_start(self):
        with FakeVault() as vault:
            the_hub = self.hub(vault.address, profile_groups={"gpu": ["gpu"]}, on_failure="continue")
            self.refused(the_hub, the_hub.user("noah"), "gpu", vault, "'gpu' is not available")

    def test_every_configured_profile_is_allowed_without_groups_and_the_default_always(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = self.hub(vault.address)
            noah = the_hub.user("noah")
            for profile in ("gpu", "minimal", "", None):
                spawner = the_hub.spawn(noah, profile)
                self.assertTrue(the_hub.running(spawner))
                the_hub.stop(noah)
            self.assertEqual(len(creates(vault)), 4)
        self.assertEqual(self.images(), [f"registry.home.arpa/{slug}:1" for slug in ("gpu", "minimal", "minimal", "minimal")])

    def test_members_and_admins_get_the_gated_profile_and_a_token(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = self.hub(vault.address, profile_groups={"gpu": ["gpu"]})
            for person in (the_hub.user("lena", ["gpu"]), the_hub.user("maria", admin=True)):
                spawner = the_hub.spawn(person, "gpu")
                self.assertEqual(spawner.image, "registry.home.arpa/gpu:1")
                self.assertEqual(lookup_self(vault, unwrapped(vault, spawner)), 200)
        self.assertEqual(self.images(), ["registry.home.arpa/gpu:1"] * 2)

    def test_the_group_gated_spawner_still_refuses_in_load_user_options(self):
        # The existing GroupGatedSpawner check, for a spawn that bypasses the pre-spawn hook.
        the_hub = self.hub(closed_port_address(), profile_groups={"gpu": ["gpu"]})
        spawner = the_hub.hub.spawner(the_hub.user("noah"), user_options={"profile": "gpu"})
        with self.assertRaisesRegex(profile_filter.ProfileNotAllowed, "profile 'gpu' is not available to noah"):
            the_hub.hub.run(spawner.load_user_options())


class PodCreationRefusedTest(KubeCase):
    # The hub's Role without `create` on pods: the API server refuses the pod (403), as it would
    # for a quota or an admission webhook, after the token was minted.
    @staticmethod
    def rules(rules):
        return [{**rule, "verbs": [v for v in rule["verbs"] if v != "create"]} if "pods" in rule.get("resources", []) else rule for rule in rules]

    def test_a_spawn_that_fails_after_minting_ends_with_the_token_revoked(self):
        with FakeVault() as vault, CapturedLogs() as logs:
            the_hub = self.hub(vault.address, profile_groups={"gpu": ["gpu"]})
            lena = the_hub.user("lena", ["gpu"])
            with self.assertRaisesRegex(Exception, "403|[Ff]orbidden"):
                the_hub.spawn(lena, "gpu")
            spawner = the_hub.server(lena)
            self.assertEqual(len(creates(vault)), 1)
            self.assertIn(("POST", REVOKE_ACCESSOR, {"accessor": accessor_for("lena")}, HUB_TOKEN), vault.requests)
            self.assertIsNone(vault.live_token_with_accessor(accessor_for("lena")))
        self.assertNotIn("NOTEBOOK_VAULT_WRAPPING_TOKEN", spawner.environment)
        self.assertNotIn("vault_token_accessor", spawner.orm_spawner.state or {})
        self.assertIn("revoked", logs.text)
        self.assertNotIn(accessor_for("lena"), logs.text)
        self.assertEqual(self.kube.objects("pods"), [])


class RevokedWhenTheServerStopsTest(KubeCase):
    def test_a_profile_kubespawner_refuses_after_the_check_is_revoked_too(self):
        # The list changed between the hook's check and KubeSpawner's own (a callable list may).
        answers = iter([PROFILES, PROFILES[:1]])

        def configure(c):
            c.KubeSpawner.profile_list = lambda spawner: next(answers)

        with FakeVault() as vault, CapturedLogs():
            the_hub = self.hub(vault.address, configure=configure)
            with self.assertRaisesRegex(ValueError, "No such profile: gpu"):
                the_hub.spawn(the_hub.user("noah"), "gpu")
            self.assertIsNone(vault.live_token_with_accessor(accessor_for("noah")))
        self.assertEqual(self.kube.created("pods"), [])

    def test_a_stopped_server_takes_its_token_with_it(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = self.hub(vault.address)
            ada = the_hub.user("ada")
            spawner = the_hub.spawn(ada)
            token = unwrapped(vault, spawner)
            self.assertEqual(lookup_self(vault, token), 200)
            self.assertEqual(spawner.orm_spawner.state["vault_token_accessor"], accessor_for("ada"))
            the_hub.stop(ada)
            self.assertEqual(lookup_self(vault, token), 403)
            self.assertNotIn("vault_token_accessor", spawner.orm_spawner.state or {})
            self.assertEqual(self.kube.objects("pods"), [])
            # Stopping again has nothing left to revoke.
            the_hub.stop(ada)
        self.assertEqual(len(vault.paths_requested(REVOKE_ACCESSOR)), 1)

    def test_each_server_revokes_only_its_own_token(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = self.hub(vault.address)
            ada = the_hub.user("ada")
            default, named = the_hub.spawn(ada), the_hub.spawn(ada, name="gpu-run")
            default_token, named_token = unwrapped(vault, default), unwrapped(vault, named)
            the_hub.stop(ada, "gpu-run")
            self.assertEqual(lookup_self(vault, default_token), 200)
            self.assertEqual(lookup_self(vault, named_token), 403)

    def test_a_spawn_refused_before_minting_revokes_nothing(self):
        with FakeVault() as vault, CapturedLogs():
            vault.deny_token_create = True
            the_hub = self.hub(vault.address)
            with self.assertRaises(vault_token_hook.VaultError):
                the_hub.spawn(the_hub.user("ada"))
        self.assertEqual([r for r in vault.requests if "revoke" in r[1]], [])
        self.assertEqual(self.kube.created("pods"), [])

    def test_a_failed_revoke_is_logged_without_secrets_the_stop_goes_on_and_the_next_start_retries(self):
        # A hub policy without revoke-accessor: Vault answers 403.
        with FakeVault() as vault, CapturedLogs() as logs:
            revoke_rule = vault.hub_policy.pop("auth/token/revoke-accessor")
            the_hub = self.hub(vault.address)
            ada = the_hub.user("ada")
            spawner = the_hub.spawn(ada)
            token = unwrapped(vault, spawner)
            the_hub.stop(ada)
            self.assertFalse(the_hub.running(spawner))
            self.assertTrue(vault.is_live(token))
            # Kept in the server's state: the next start revokes it before minting a new one.
            self.assertEqual(spawner.orm_spawner.state["vault_token_accessor"], accessor_for("ada"))
            vault.hub_policy["auth/token/revoke-accessor"] = revoke_rule
            restarted = self.restarted(the_hub)
            restarted.spawn(restarted.user("ada"))
            self.assertFalse(vault.is_live(token))
        self.assertIn("Could not revoke the Vault token of ada's server '' (server stopped): Vault refused auth/token/revoke-accessor: HTTP 403", logs.text)
        self.assertIn("revoked (left from an earlier start)", logs.text)
        self.assertNotIn("post_stop_hook failed", logs.text)
        self.assertNotIn("Error in Spawner.post_stop_hook", logs.text)
        for secret in (token, accessor_for("ada"), HUB_TOKEN, SERVICE_ACCOUNT_JWT):
            self.assertNotIn(secret, logs.text)

    def test_a_token_whose_revoke_failed_dies_unrenewed_within_userTokens_ttl(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = self.hub(vault.address)
            ada = the_hub.user("ada")
            token = unwrapped(vault, the_hub.spawn(ada))
        # Vault is unreachable when the server stops; its token is no longer renewed by anyone.
        with CapturedLogs() as logs:
            the_hub.stop(ada)
        self.assertIn("Could not revoke the Vault token of ada's server '' (server stopped): Vault at http://127.0.0.1:", logs.text)
        self.assertIn("expires unrenewed within userTokens.ttl", logs.text)
        self.assertEqual(vault.user_tokens[token]["expires"] - vault.now(), 3600)

    def test_a_hub_restarted_between_spawn_and_stop_still_revokes_by_the_saved_accessor(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = self.hub(vault.address)
            spawner = the_hub.spawn(the_hub.user("ada"), name="gpu-run")
            token = unwrapped(vault, spawner)
            # A new hub process: its spawner comes from the database, as JupyterHub loads it, and
            # the pod still runs.
            after_restart = self.restarted(the_hub)
            ada = after_restart.user("ada")
            loaded = after_restart.server(ada, "gpu-run")
            self.assertIsNot(loaded, spawner)
            self.assertTrue(after_restart.running(loaded))
            after_restart.stop(ada, "gpu-run")
            self.assertEqual(lookup_self(vault, token), 403)
            self.assertNotIn("vault_token_accessor", loaded.orm_spawner.state or {})
        self.assertEqual(vault.paths_requested(REVOKE_ACCESSOR)[0][2], {"accessor": accessor_for("ada")})

    def test_a_hub_restarted_twice_revokes_once(self):
        with FakeVault() as vault, CapturedLogs():
            first = self.hub(vault.address)
            token = unwrapped(vault, first.spawn(first.user("ada")))
            second = self.restarted(first)
            second.stop(second.user("ada"))
            third = self.restarted(second)
            third.stop(third.user("ada"))
            self.assertFalse(vault.is_live(token))
        self.assertEqual(len(vault.paths_requested(REVOKE_ACCESSOR)), 1)

    def test_a_post_stop_hook_of_the_hubs_own_config_still_runs_and_cannot_keep_the_token_alive(self):
        seen = []

        def configured_hook(spawner):
            seen.append(spawner.name)
            raise RuntimeError("the operator's hook failed")

        def configure(c):
            c.Spawner.post_stop_hook = configured_hook  # set before 40-vault-hook runs

        with FakeVault() as vault, CapturedLogs() as logs:
            the_hub = self.hub(vault.address, configure=configure)
            ada = the_hub.user("ada")
            token = unwrapped(vault, the_hub.spawn(ada, name="gpu-run"))
            the_hub.stop(ada, "gpu-run")
            self.assertEqual(seen, ["gpu-run"])
            self.assertEqual(lookup_self(vault, token), 403)
        self.assertIn("Error in Spawner.post_stop_hook", logs.text)  # User.stop logs it

    def test_a_second_mint_for_the_same_server_revokes_the_first(self):
        # A stop whose hook never ran (it always runs in User.stop's finally, but): no orphan.
        with FakeVault() as vault, CapturedLogs():
            the_hub = self.hub(vault.address)
            ada = the_hub.user("ada")
            first = the_hub.spawn(ada)
            first_token = unwrapped(vault, first)
            again = the_hub.spawn(ada)
            self.assertIs(again, first)
            self.assertEqual(lookup_self(vault, first_token), 403)
            self.assertEqual(lookup_self(vault, unwrapped(vault, first)), 200)


if __name__ == "__main__":
    unittest.main()
