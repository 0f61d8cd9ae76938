"""The Vault hooks through a whole spawn and stop, in JupyterHub's order (tests/python/spawn_driver.py),
against the fake Vault: no token for a spawn KubeSpawner would refuse, and none outliving its server."""
import asyncio
import io
import logging
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import spawn_driver as hub  # noqa: E402
from project_module import load_project_module as load  # noqa: E402
from fake_vault import HUB_TOKEN, SERVICE_ACCOUNT_JWT, FakeVault, closed_port_address, user_token_for  # noqa: E402



vault_token_hook = load("components/vault/vault_token_hook.py", "vault_token_hook")
profile_filter = load("components/hub/profile_filter.py", "profile_filter")

PROFILES = [
    {"slug": "minimal", "display_name": "Minimal", "default": True},
    {"slug": "gpu", "display_name": "GPU"},
]
CREATE = "/v1/auth/token/create/jupyterhub-user-jupyterhub"
LOOKUP_SELF = "/v1/auth/token/lookup-self"


def vault_config(address, on_failure="refuse"):
    return {
        "address": address,
        "kubernetesAuthMount": "kubernetes",
        "hubRole": "jupyterhub-hub-jupyterhub",
        "tokenRole": "jupyterhub-user-jupyterhub",
        "kvMount": "secret",
        "pathPrefix": "jupyter",
        "onFailure": on_failure,
        "timeoutSeconds": 2,
    }


class Hub:
    """The hub's config after the extraConfig entries, in key order: 40-vault-hook, 50-profile-filter."""

    def __init__(self, address, profile_groups=None, on_failure="refuse"):
        self.c = hub.hub_config(PROFILES)
        cfg = vault_config(address, on_failure)
        self.client = vault_token_hook.VaultClient(cfg, read_service_account_token=lambda: SERVICE_ACCOUNT_JWT)
        # 40-vault-hook, as components/hub/vaultValues.ts wires it.
        self.c.Spawner.pre_spawn_hook = vault_token_hook.make_pre_spawn_hook(cfg, self.client)
        self.spawner_class = hub.FakeKubeSpawner
        if profile_groups is not None:
            self.spawner_class = profile_filter.install(self.c, profile_groups, hub.FakeKubeSpawner)

    def spawner(self, user, profile=None, name=""):
        return hub.new_spawner(self.spawner_class, self.c, user, name, {"profile": profile} if profile is not None else {})

    def restarted(self):
        """The same config loaded again by a new hub process: nothing minted is remembered."""
        again = Hub.__new__(Hub)
        again.__dict__.update(self.__dict__)
        again.c = hub.hub_config(PROFILES)
        again.c.Spawner.pre_spawn_hook = vault_token_hook.make_pre_spawn_hook(vault_config(self.client.address), self.client)
        return again


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
        self.assertNotIn("NOTEBOOK_VAULT_TOKEN", spawner.environment)
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
                self.assertEqual(lookup_self(vault, spawner.environment["NOTEBOOK_VAULT_TOKEN"]), 200)

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
            token = user_token_for("lena")
            self.assertEqual(len(creates(vault)), 1)
            self.assertIn(("POST", "/v1/auth/token/revoke-self", None, token), vault.requests)
            self.assertEqual(lookup_self(vault, token), 403)
        self.assertNotIn("NOTEBOOK_VAULT_TOKEN", spawner.environment)
        self.assertIn("revoked", logs.text)
        self.assertNotIn(token, logs.text)

    def test_a_profile_kubespawner_refuses_after_the_check_is_revoked_too(self):
        # The list changed between the hook's check and KubeSpawner's own (a callable list may).
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            answers = iter([PROFILES, PROFILES[:1]])
            the_hub.c.KubeSpawner.profile_list = lambda spawner: next(answers)
            spawner = the_hub.spawner(hub.user("noah"), "gpu")
            with self.assertRaisesRegex(ValueError, "No such profile: gpu"):
                asyncio.run(hub.spawn(spawner))
            self.assertEqual(lookup_self(vault, user_token_for("noah")), 403)

    def test_a_stopped_server_takes_its_token_with_it(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            spawner = the_hub.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(spawner))
            token = spawner.environment["NOTEBOOK_VAULT_TOKEN"]
            self.assertEqual(lookup_self(vault, token), 200)
            asyncio.run(hub.stop(spawner))
            self.assertEqual(lookup_self(vault, token), 403)
            # Stopping again has nothing left to revoke.
            asyncio.run(hub.stop(spawner))
        self.assertEqual(len([r for r in vault.requests if r[1] == "/v1/auth/token/revoke-self"]), 1)

    def test_each_server_revokes_only_its_own_token(self):
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            default, named = the_hub.spawner(hub.user("ada")), the_hub.spawner(hub.user("ada"), name="gpu-run")
            asyncio.run(hub.spawn(default))
            asyncio.run(hub.spawn(named))
            asyncio.run(hub.stop(named))
            self.assertEqual(lookup_self(vault, default.environment["NOTEBOOK_VAULT_TOKEN"]), 200)
            self.assertEqual(lookup_self(vault, user_token_for("ada", 1)), 403)

    def test_a_spawn_refused_before_minting_revokes_nothing(self):
        with FakeVault() as vault, CapturedLogs():
            vault.deny_token_create = True
            the_hub = Hub(vault.address)
            spawner = the_hub.spawner(hub.user("ada"))
            with self.assertRaises(vault_token_hook.VaultError):
                asyncio.run(hub.spawn(spawner))
        self.assertEqual([r for r in vault.requests if "revoke" in r[1]], [])

    def test_a_failed_revoke_is_logged_without_the_token_and_the_stop_goes_on(self):
        # The user policy before auth/token/revoke-self was added: Vault answers 403.
        with FakeVault() as vault, CapturedLogs() as logs:
            vault.user_policy_self_paths.discard("auth/token/revoke-self")
            the_hub = Hub(vault.address)
            spawner = the_hub.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(spawner))
            token = spawner.environment["NOTEBOOK_VAULT_TOKEN"]
            asyncio.run(hub.stop(spawner))
            self.assertFalse(spawner.running)
            self.assertTrue(vault.is_live(token))
        self.assertIn("Could not revoke the Vault token of ada's server '': Vault refused auth/token/revoke-self: HTTP 403", logs.text)
        self.assertNotIn("post_stop_hook failed", logs.text)
        for secret in (token, HUB_TOKEN, SERVICE_ACCOUNT_JWT):
            self.assertNotIn(secret, logs.text)

    def test_vault_down_at_stop_is_logged_and_the_stop_goes_on(self):
        with FakeVault() as vault, CapturedLogs() as logs:
            the_hub = Hub(vault.address)
            spawner = the_hub.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(spawner))
        # The fake Vault is gone now.
        with CapturedLogs() as logs:
            asyncio.run(hub.stop(spawner))
        self.assertIn("Could not revoke the Vault token of ada's server '': Vault at http://127.0.0.1:", logs.text)
        self.assertNotIn(user_token_for("ada"), logs.text)

    def test_a_hub_restarted_between_spawn_and_stop_cannot_revoke(self):
        # Documented limitation: the record of minted tokens lives in the hub process.
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            spawner = the_hub.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(spawner))
            after_restart = the_hub.restarted().spawner(hub.user("ada"))
            after_restart.running = True
            asyncio.run(hub.stop(after_restart))
            self.assertEqual(lookup_self(vault, user_token_for("ada")), 200)

    def test_a_post_stop_hook_of_the_hubs_own_config_still_runs_and_cannot_keep_the_token_alive(self):
        with FakeVault() as vault, CapturedLogs() as logs:
            the_hub = Hub(vault.address)
            seen = []

            def configured_hook(spawner):
                seen.append(spawner.name)
                raise RuntimeError("the operator's hook failed")

            the_hub.c.Spawner.post_stop_hook = configured_hook
            spawner = the_hub.spawner(hub.user("ada"), name="gpu-run")
            asyncio.run(hub.spawn(spawner))
            asyncio.run(hub.stop(spawner))
            self.assertEqual(seen, ["gpu-run"])
            self.assertEqual(lookup_self(vault, user_token_for("ada")), 403)
        self.assertIn("Error in Spawner.post_stop_hook", logs.text)  # User.stop logs it, as upstream

    def test_a_second_mint_for_the_same_server_revokes_the_first(self):
        # A stop whose hook never ran (it always runs in User.stop's finally, but): no orphan.
        with FakeVault() as vault, CapturedLogs():
            the_hub = Hub(vault.address)
            first = the_hub.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(first))
            second = the_hub.spawner(hub.user("ada"))
            asyncio.run(hub.spawn(second))
            self.assertEqual(lookup_self(vault, user_token_for("ada", 0)), 403)
            self.assertEqual(lookup_self(vault, user_token_for("ada", 1)), 200)


if __name__ == "__main__":
    unittest.main()
