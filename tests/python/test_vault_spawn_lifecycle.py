"""The Vault hooks through a whole spawn and stop, in JupyterHub's order (tests/python/spawn_driver.py),
against the fake Vault: no token for a spawn KubeSpawner would refuse, and none outliving its server,
even when the hub restarted in between."""
import asyncio
import io
import logging
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import spawn_driver as hub  # noqa: E402
from project_module import load_project_module as load  # noqa: E402
from fake_vault import HUB_TOKEN, SERVICE_ACCOUNT_JWT, FakeVault, accessor_for, closed_port_address, hook_config as vault_config  # noqa: E402



vault_token_hook = load("components/vault/vault_token_hook.py", "vault_token_hook")
profile_filter = load("components/hub/profile_filter.py", "profile_filter")

PROFILES = [
    {"slug": "minimal", "display_name": "Minimal", "default": True},
    {"slug": "gpu", "display_name": "GPU"},
]
CREATE = "/v1/auth/token/create/jupyterhub-user-jupyterhub"
LOOKUP_SELF = "/v1/auth/token/lookup-self"
REVOKE_ACCESSOR = "/v1/auth/token/revoke-accessor"
UNWRAP = "/v1/sys/wrapping/unwrap"




class Hub:
    """The hub's config after the extraConfig entries, in key order: 40-vault-hook, 50-profile-filter.

    Its database (spawn_driver.Database) outlives the process: restarted() is a new hub process
    on the same database, with nothing of the old one's memory.
    """

    def __init__(self, address, profile_groups=None, on_failure="refuse", database=None):
        self.address = address
        self.profile_groups = profile_groups
        self.on_failure = on_failure
        self.database = database or hub.Database()
        self.c = hub.hub_config(PROFILES)
        cfg = vault_config(address, on_failure)
        self.client = vault_token_hook.VaultClient(cfg, read_service_account_token=lambda: SERVICE_ACCOUNT_JWT)
        # 40-vault-hook, as components/hub/vaultValues.ts wires it.
        vault_token_hook.install(self.c, cfg, self.client)
        self.spawner_class = hub.FakeKubeSpawner
        if profile_groups is not None:
            self.spawner_class = profile_filter.install(self.c, profile_groups, hub.FakeKubeSpawner)

    def spawner(self, user, profile=None, name=""):
        options = {"profile": profile} if profile is not None else {}
        return hub.new_spawner(self.spawner_class, self.c, user, name, options, database=self.database)

    def restarted(self):
        """The same config and database loaded by a new hub process: nothing in memory survives."""
        return Hub(self.address, self.profile_groups, self.on_failure, database=self.database)


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
    """Everything the Vault hook logs, as one string."""

    def __enter__(self):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.loggers = [logging.getLogger("JupyterHub.vault"), logging.getLogger("spawn_driver")]
        for logger in self.loggers:
            logger.addHandler(self.handler)
            logger.setLevel(logging.DEBUG)
            logger.propagate = False
        return self

    def __exit__(self, *exc):
        for logger in self.loggers:
            logger.removeHandler(self.handler)
            logger.propagate = True

    @property
    def text(self):
        return self.stream.getvalue()


class ProfileCheckedBeforeMintingTest(unittest.TestCase):
    def refused(self, the_hub, spawner, vault, message):
        with CapturedLogs():
            with self.assertRaisesRegex(vault_token_hook.ProfileUnavailable, message):
                asyncio.run(hub.spawn(spawner))
        self.assertEqual(vault.requests, [], "nothing may reach Vault for a refused profile, not even the hub's login")
        self.assertNotIn("NOTEBOOK_VAULT_WRAPPING_TOKEN", spawner.environment)
        self.assertIsNone(spawner.loaded_profile)

    def test_a_group_gated_profile_the_user_may_not_use_mints_nothing(self):
        with FakeVault() as vault:
            the_hub = Hub(vault.address, profile_groups={"gpu": ["gpu"]})
            self.refused(the_hub, the_hub.spawner(hub.user("noah", ["lab"]), "gpu"), vault, "profile 'gpu' is not available to noah")

    def test_an_unknown_profile_mints_nothing_with_the_group_filter(self):
        with FakeVault() as vault:
            the_hub = Hub(vault.address, profile_groups={"gpu": ["gpu"]})
            self.refused(the_hub, the_hub.spawner(hub.user("maria", admin=True), "nonexistent"), vault, "'nonexistent' is not available")

    def test_an_unknown_profile_mints_nothing_when_no_profile_is_group_gated(self):
        # profileFilterValues renders no profile filter then: only the Vault hook and KubeSpawner.
        with FakeVault() as vault:
            the_hub = Hub(vault.address)
            self.assertIs(the_hub.spawner_class, hub.FakeKubeSpawner)
            self.refused(the_hub, the_hub.spawner(hub.user("noah"), "nonexistent"), vault, "'nonexistent' is not available to noah")

    def test_refused_even_when_vault_failures_would_let_the_server_start(self):
        with FakeVault() as vault:
            the_hub = Hub(vault.address, profile_groups={"gpu": ["gpu"]}, on_failure="continue")
            self.refused(the_hub, the_hub.spawner(hub.user("noah"), "gpu"), vault, "'gpu' is not available")

    def test_every_configured_profile_is_allowed_without_groups_and_the_default_always(self):
        with FakeVault() as vault:
            the_hub = Hub(vault.address)
            for profile in ("gpu", "minimal", "", None):
                spawner = the_hub.spawner(hub.user("noah"), profile)
                asyncio.run(hub.spawn(spawner))
                self.assertTrue(spawner.running)
            self.assertEqual(len(creates(vault)), 4)

    def test_members_and_admins_get_the_gated_profile_and_a_token(self):
        with FakeVault() as vault:
            the_hub = Hub(vault.address, profile_groups={"gpu": ["gpu"]})
            for person in (hub.user("lena", ["gpu"]), hub.user("maria", admin=True)):
                spawner = the_hub.spawner(person, "gpu")
                asyncio.run(hub.spawn(spawner))
                self.assertEqual(spawner.loaded_profile, "gpu")
                self.assertEqual(lookup_self(vault, unwrapped(vault, spawner)), 200)

    def test_the_group_gated_spawner_still_refuses_in_load_user_options(self):
        # The existing GroupGatedSpawner check, for a spawn that bypasses the pre-spawn hook.
        the_hub = Hub(closed_port_address(), profile_groups={"gpu": ["gpu"]})
        spawner = the_hub.spawner(hub.user("noah"), "gpu")
        with self.assertRaisesRegex(profile_filter.ProfileNotAllowed, "profile 'gpu' is not available to noah"):
            asyncio.run(spawner.load_user_options())


class RevokedWhenTheServerStopsTest(unittest.TestCase):
    def test_a_spawn_that_fails_after_minting_ends_with_the_token_revoked(self):
        with FakeVault() as vault, CapturedLogs() as logs:
            the_hub = Hub(vault.address, profile_groups={"gpu": ["gpu"]})
            spawner = the_hub.spawner(hub.user("lena", ["gpu"]), "gpu")
            spawner.fail_start = RuntimeError("pod creation failed: exceeded quota")
            with self.assertRaisesRegex(RuntimeError, "exceeded quota"):
                asyncio.run(hub.spawn(spawner))
            self.assertEqual(len(creates(vault)), 1)
            self.assertIn(("POST", REVOKE_ACCESSOR, {"accessor": accessor_for("lena")}, HUB_TOKEN), vault.requests)
            self.assertIsNone(vault.live_token_with_accessor(accessor_for("lena")))
        self.assertNotIn("NOTEBOOK_VAULT_WRAPPING_TOKEN", spawner.environment)
        self.assertNotIn("vault_token_accessor", spawner.orm_spawner.state)
        self.assertIn("revoked", logs.text)
        self.assertNotIn(accessor_for("lena"), logs.text)

    def test_a_profile_kubespawner_refuses_after_the_check_is_revoked_too(self):
        # The list changed between the hook's check and KubeSpawner's own (a callable list may).
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            answers = iter([PROFILES, PROFILES[:1]])
            the_hub.c.KubeSpawner.profile_list = lambda spawner: next(answers)
            spawner = the_hub.spawner(hub.user("noah"), "gpu")
            with self.assertRaisesRegex(ValueError, "No such profile: gpu"):
                asyncio.run(hub.spawn(spawner))
            self.assertIsNone(vault.live_token_with_accessor(accessor_for("noah")))

    def test_a_stopped_server_takes_its_token_with_it(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            spawner = the_hub.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(spawner))
            token = unwrapped(vault, spawner)
            self.assertEqual(lookup_self(vault, token), 200)
            self.assertEqual(spawner.orm_spawner.state["vault_token_accessor"], accessor_for("ada"))
            asyncio.run(hub.stop(spawner))
            self.assertEqual(lookup_self(vault, token), 403)
            self.assertNotIn("vault_token_accessor", spawner.orm_spawner.state)
            # Stopping again has nothing left to revoke.
            asyncio.run(hub.stop(spawner))
        self.assertEqual(len(vault.paths_requested(REVOKE_ACCESSOR)), 1)

    def test_each_server_revokes_only_its_own_token(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            default, named = the_hub.spawner(hub.user("ada")), the_hub.spawner(hub.user("ada"), name="gpu-run")
            asyncio.run(hub.spawn(default))
            asyncio.run(hub.spawn(named))
            default_token, named_token = unwrapped(vault, default), unwrapped(vault, named)
            asyncio.run(hub.stop(named))
            self.assertEqual(lookup_self(vault, default_token), 200)
            self.assertEqual(lookup_self(vault, named_token), 403)

    def test_a_spawn_refused_before_minting_revokes_nothing(self):
        with FakeVault() as vault, CapturedLogs():
            vault.deny_token_create = True
            the_hub = Hub(vault.address)
            spawner = the_hub.spawner(hub.user("ada"))
            with self.assertRaises(vault_token_hook.VaultError):
                asyncio.run(hub.spawn(spawner))
        self.assertEqual([r for r in vault.requests if "revoke" in r[1]], [])

    def test_a_failed_revoke_is_logged_without_secrets_the_stop_goes_on_and_the_next_start_retries(self):
        # A hub policy without revoke-accessor: Vault answers 403.
        with FakeVault() as vault, CapturedLogs() as logs:
            revoke_rule = vault.hub_policy.pop("auth/token/revoke-accessor")
            the_hub = Hub(vault.address)
            spawner = the_hub.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(spawner))
            token = unwrapped(vault, spawner)
            asyncio.run(hub.stop(spawner))
            self.assertFalse(spawner.running)
            self.assertTrue(vault.is_live(token))
            # Kept in the server's state: the next start revokes it before minting a new one.
            self.assertEqual(spawner.orm_spawner.state["vault_token_accessor"], accessor_for("ada"))
            vault.hub_policy["auth/token/revoke-accessor"] = revoke_rule
            asyncio.run(hub.spawn(the_hub.restarted().spawner(hub.user("ada"))))
            self.assertFalse(vault.is_live(token))
        self.assertIn("Could not revoke the Vault token of ada's server '' (server stopped): Vault refused auth/token/revoke-accessor: HTTP 403", logs.text)
        self.assertIn("revoked (left from an earlier start)", logs.text)
        self.assertNotIn("post_stop_hook failed", logs.text)
        for secret in (token, accessor_for("ada"), HUB_TOKEN, SERVICE_ACCOUNT_JWT):
            self.assertNotIn(secret, logs.text)

    def test_a_token_whose_revoke_failed_dies_unrenewed_within_userTokens_ttl(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            spawner = the_hub.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(spawner))
            token = unwrapped(vault, spawner)
        # Vault is unreachable when the server stops; its token is no longer renewed by anyone.
        with CapturedLogs() as logs:
            asyncio.run(hub.stop(spawner))
        self.assertIn("Could not revoke the Vault token of ada's server '' (server stopped): Vault at http://127.0.0.1:", logs.text)
        self.assertIn("expires unrenewed within userTokens.ttl", logs.text)
        self.assertEqual(vault.user_tokens[token]["expires"] - vault.now(), 3600)

    def test_a_hub_restarted_between_spawn_and_stop_still_revokes_by_the_saved_accessor(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            spawner = the_hub.spawner(hub.user("ada"), name="gpu-run")
            asyncio.run(hub.spawn(spawner))
            token = unwrapped(vault, spawner)
            # A new hub process: its spawner comes from the database, as JupyterHub loads it.
            after_restart = the_hub.restarted().spawner(hub.user("ada"), name="gpu-run")
            after_restart.running = True
            self.assertIsNot(after_restart, spawner)
            asyncio.run(hub.stop(after_restart))
            self.assertEqual(lookup_self(vault, token), 403)
            self.assertNotIn("vault_token_accessor", after_restart.orm_spawner.state)
        self.assertEqual(vault.paths_requested(REVOKE_ACCESSOR)[0][2], {"accessor": accessor_for("ada")})

    def test_a_hub_restarted_twice_revokes_once(self):
        with FakeVault() as vault, CapturedLogs():
            first = Hub(vault.address)
            spawner = first.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(spawner))
            token = unwrapped(vault, spawner)
            second = first.restarted().spawner(hub.user("ada"))
            second.running = True
            asyncio.run(hub.stop(second))
            third = first.restarted().spawner(hub.user("ada"))
            asyncio.run(hub.stop(third))
            self.assertFalse(vault.is_live(token))
        self.assertEqual(len(vault.paths_requested(REVOKE_ACCESSOR)), 1)

    def test_a_post_stop_hook_of_the_hubs_own_config_still_runs_and_cannot_keep_the_token_alive(self):
        with FakeVault() as vault, CapturedLogs() as logs:
            seen = []

            def configured_hook(spawner):
                seen.append(spawner.name)
                raise RuntimeError("the operator's hook failed")

            the_hub = Hub.__new__(Hub)
            the_hub.c = hub.hub_config(PROFILES)
            the_hub.c.Spawner.post_stop_hook = configured_hook  # set before 40-vault-hook runs
            the_hub.database, the_hub.spawner_class = hub.Database(), hub.FakeKubeSpawner
            cfg = vault_config(vault.address)
            vault_token_hook.install(the_hub.c, cfg, vault_token_hook.VaultClient(cfg, read_service_account_token=lambda: SERVICE_ACCOUNT_JWT))
            spawner = the_hub.spawner(hub.user("ada"), name="gpu-run")
            asyncio.run(hub.spawn(spawner))
            token = unwrapped(vault, spawner)
            asyncio.run(hub.stop(spawner))
            self.assertEqual(seen, ["gpu-run"])
            self.assertEqual(lookup_self(vault, token), 403)
        self.assertIn("Error in Spawner.post_stop_hook", logs.text)  # User.stop logs it, as upstream

    def test_a_second_mint_for_the_same_server_revokes_the_first(self):
        # A stop whose hook never ran (it always runs in User.stop's finally, but): no orphan.
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            first = the_hub.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(first))
            first_token = unwrapped(vault, first)
            asyncio.run(hub.spawn(first))
            self.assertEqual(lookup_self(vault, first_token), 403)
            self.assertEqual(lookup_self(vault, unwrapped(vault, first)), 200)


if __name__ == "__main__":
    unittest.main()
