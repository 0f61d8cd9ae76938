"""Tests of components/vault/vault_token_hook.py against a local fake Vault (run by `npm test`)."""
import asyncio
import copy
import io
import logging
import pathlib
import sys
import types
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import throwaway_ca  # noqa: E402
from project_module import load_project_module as load  # noqa: E402
from fake_vault import HUB_TOKEN, SERVICE_ACCOUNT_JWT, FakeVault, closed_port_address, user_token_for  # noqa: E402



hook_module = load("components/vault/vault_token_hook.py", "vault_token_hook")


def config(address, on_failure="refuse", timeout=2, ca_file=None):
    return {
        "address": address,
        "kubernetesAuthMount": "kubernetes",
        "hubRole": "jupyterhub-hub-jupyterhub",
        "tokenRole": "jupyterhub-user-jupyterhub",
        "kvMount": "secret",
        "pathPrefix": "jupyter",
        "onFailure": on_failure,
        "timeoutSeconds": timeout,
        **({"caFile": ca_file} if ca_file else {}),
    }


def spawner(username="ada", server_name=""):
    return types.SimpleNamespace(user=types.SimpleNamespace(name=username), name=server_name, environment={"KEEP": "me"})


class CapturedLogs:
    """Everything the hook logs, at every level, as one string."""

    def __enter__(self):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.logger = logging.getLogger("JupyterHub.vault")
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)

    @property
    def text(self):
        return self.stream.getvalue()


def run_hook(cfg, target, client=None):
    client = client or hook_module.VaultClient(cfg, read_service_account_token=lambda: SERVICE_ACCOUNT_JWT)
    hook = hook_module.make_pre_spawn_hook(cfg, client)
    asyncio.run(hook(target))
    return client


class SuccessTest(unittest.TestCase):
    def test_sets_the_users_token_and_where_their_secrets_are(self):
        with FakeVault() as vault, CapturedLogs() as logs:
            target = spawner("ada", "gpu-run")
            run_hook(config(vault.address), target)
        self.assertEqual(
            target.environment,
            {
                "KEEP": "me",
                "NOTEBOOK_VAULT_TOKEN": user_token_for("ada"),
                "VAULT_ADDR": vault.address,
                "VAULT_KV_MOUNT": "secret",
                "VAULT_USER_PATH": "jupyter/users/ada",
                "VAULT_SHARED_PATH": "jupyter/shared",
            },
        )
        self.assertIn("Vault token for ada issued", logs.text)

    def test_logs_in_with_the_service_account_and_mints_through_the_token_role(self):
        with FakeVault() as vault:
            run_hook(config(vault.address), spawner("grace", "gpu-run"))
        login, create = vault.requests
        self.assertEqual(login, ("POST", "/v1/auth/kubernetes/login", {"role": "jupyterhub-hub-jupyterhub", "jwt": SERVICE_ACCOUNT_JWT}, None))
        self.assertEqual(create[:2], ("POST", "/v1/auth/token/create/jupyterhub-user-jupyterhub"))
        self.assertEqual(create[2]["entity_alias"], "grace")
        self.assertEqual(create[2]["meta"], {"user": "grace", "server": "gpu-run"})
        self.assertEqual(create[3], HUB_TOKEN)

    def test_reuses_the_hubs_login_until_it_nears_expiry(self):
        with FakeVault() as vault:
            cfg = config(vault.address)
            client = run_hook(cfg, spawner("ada"))
            run_hook(cfg, spawner("grace"), client)
        self.assertEqual([path for _, path, _, _ in vault.requests].count("/v1/auth/kubernetes/login"), 1)

    def test_logs_in_again_when_the_cached_hub_token_was_revoked(self):
        with FakeVault() as vault:
            cfg = config(vault.address)
            client = run_hook(cfg, spawner("ada"))
            vault.revoked_hub_tokens.add(HUB_TOKEN)
            target = spawner("grace")
            run_hook(cfg, target, client)
        self.assertEqual(target.environment["NOTEBOOK_VAULT_TOKEN"], user_token_for("grace"))
        self.assertEqual(vault.logins, 2)


class FailureTest(unittest.TestCase):
    def assert_refused(self, cfg, match):
        target = spawner("ada")
        with CapturedLogs() as logs, self.assertRaisesRegex(hook_module.VaultError, match):
            run_hook(cfg, target)
        self.assertNotIn("NOTEBOOK_VAULT_TOKEN", target.environment)
        self.assertIn("refusing the spawn", logs.text)

    def test_vault_down_refuses_the_spawn_with_a_clear_message(self):
        self.assert_refused(config(closed_port_address()), "Vault did not give one: Vault at http://127.0.0.1:[0-9]+ is unreachable")

    def test_denied_refuses_the_spawn(self):
        with FakeVault() as vault:
            vault.deny_token_create = True
            self.assert_refused(config(vault.address), "HTTP 403 .*permission denied")

    def test_timeout_refuses_the_spawn(self):
        with FakeVault() as vault:
            vault.delay_seconds = 0.5
            self.assert_refused(config(vault.address, timeout=0.1), "unreachable .*timed out")

    def test_continue_starts_without_a_token_and_says_so(self):
        target = spawner("ada")
        with CapturedLogs() as logs:
            run_hook(config(closed_port_address(), on_failure="continue"), target)
        self.assertNotIn("NOTEBOOK_VAULT_TOKEN", target.environment)
        self.assertTrue(target.environment["NOTEBOOK_VAULT_STATUS"].startswith("no token: Vault at"))
        self.assertIn("starting without one", logs.text)


class SecrecyTest(unittest.TestCase):
    def test_no_token_in_logs_or_errors(self):
        with FakeVault() as vault, CapturedLogs() as logs:
            cfg = config(vault.address)
            client = run_hook(cfg, spawner("ada"))
            vault.deny_token_create = True
            vault.revoked_hub_tokens.add(HUB_TOKEN)
            with self.assertRaises(hook_module.VaultError) as refused:
                run_hook(cfg, spawner("grace"), client)
        for text in (logs.text, str(refused.exception)):
            for secret in (HUB_TOKEN, user_token_for("ada"), user_token_for("grace"), SERVICE_ACCOUNT_JWT):
                self.assertNotIn(secret, text)



class RevokeSelfTest(unittest.TestCase):
    """VaultClient.revoke_self against the fake's revoke-self (Vault's token API: POST, 204, no body)."""

    def client(self, vault):
        return hook_module.VaultClient(config(vault.address), read_service_account_token=lambda: SERVICE_ACCOUNT_JWT)

    def test_revokes_the_token_with_the_token_itself_and_takes_the_empty_204(self):
        with FakeVault() as vault:
            token = vault.seed_user_token("ada")
            self.client(vault).revoke_self(token)
            self.assertFalse(vault.is_live(token))
        self.assertEqual(vault.requests, [("POST", "/v1/auth/token/revoke-self", None, token)])

    def test_a_token_already_revoked_gets_403_permission_denied(self):
        with FakeVault() as vault:
            token = vault.seed_user_token("ada")
            client = self.client(vault)
            client.revoke_self(token)
            with self.assertRaisesRegex(hook_module.VaultError, "HTTP 403 .*permission denied") as denied:
                client.revoke_self(token)
        self.assertEqual(denied.exception.status, 403)
        self.assertNotIn(token, str(denied.exception))

    def test_a_policy_without_revoke_self_gets_403_and_the_token_stays(self):
        # token_no_default_policy: the default policy's revoke-self is not there to fall back on.
        with FakeVault() as vault:
            vault.user_policy_self_paths.discard("auth/token/revoke-self")
            token = vault.seed_user_token("ada")
            with self.assertRaisesRegex(hook_module.VaultError, "HTTP 403"):
                self.client(vault).revoke_self(token)
            self.assertTrue(vault.is_live(token))


class PostStopHookTest(unittest.TestCase):
    """The pre-spawn hook arms the revoke on the spawner it mints for (spawner.post_stop_hook)."""

    def test_the_hook_survives_traitlets_deepcopy_of_config_values(self):
        # traitlets' Configurable._load_config deep-copies each config value into every Spawner:
        # a function stays itself, and so does the record of minted tokens in its closure.
        hook = hook_module.make_pre_spawn_hook(config("http://127.0.0.1:1"))
        self.assertIs(copy.deepcopy(hook), hook)

    def test_arms_the_spawner_it_mints_for_and_the_stop_revokes(self):
        with FakeVault() as vault, CapturedLogs():
            target = spawner("ada")
            run_hook(config(vault.address), target)
            token = target.environment["NOTEBOOK_VAULT_TOKEN"]
            self.assertTrue(vault.is_live(token))
            asyncio.run(target.post_stop_hook(target))
            self.assertFalse(vault.is_live(token))
        self.assertNotIn("NOTEBOOK_VAULT_TOKEN", target.environment)

    def test_a_post_stop_hook_configured_before_still_runs_first(self):
        calls = []
        with FakeVault() as vault, CapturedLogs():
            cfg = config(vault.address)
            hook = hook_module.make_pre_spawn_hook(cfg, hook_module.VaultClient(cfg, read_service_account_token=lambda: SERVICE_ACCOUNT_JWT))
            target = spawner("ada")
            target.post_stop_hook = lambda s: calls.append(("configured", vault.is_live(s.environment["NOTEBOOK_VAULT_TOKEN"])))
            asyncio.run(hook(target))
            # A second spawn of the same spawner, its stop never run: the first token goes first.
            asyncio.run(hook(target))
            self.assertFalse(vault.is_live(user_token_for("ada", 0)))
            asyncio.run(target.post_stop_hook(target))
            self.assertFalse(vault.is_live(user_token_for("ada", 1)))
        self.assertEqual(calls, [("configured", True)])  # armed once, the configured hook kept


@unittest.skipUnless(throwaway_ca.available(), "needs the openssl CLI to make throwaway CAs")
class HomelabCaTest(unittest.TestCase):
    """caFile: the hook trusts the system's CAs plus that file, against a fake Vault over HTTPS."""

    @classmethod
    def setUpClass(cls):
        cls.cas = throwaway_ca.cas()

    def test_trusts_a_vault_whose_certificate_the_homelab_ca_signed(self):
        with FakeVault(tls=self.cas.a.server) as vault:
            target = spawner("ada")
            run_hook(config(vault.address, ca_file=self.cas.a.ca), target)
        self.assertTrue(vault.address.startswith("https://"))
        self.assertEqual(target.environment["NOTEBOOK_VAULT_TOKEN"], user_token_for("ada"))

    def test_refuses_the_spawn_when_another_ca_signed_vaults_certificate(self):
        with FakeVault(tls=self.cas.b.server) as vault, CapturedLogs() as logs:
            target = spawner("ada")
            with self.assertRaisesRegex(
                hook_module.VaultError,
                "Vault did not give one: Vault at https://127.0.0.1:[0-9]+ presented a TLS certificate the hub does not trust "
                r"\(auth/kubernetes/login\): .*; caFile .*a-ca.pem did not sign it",
            ):
                run_hook(config(vault.address, ca_file=self.cas.a.ca), target)
        self.assertEqual(vault.requests, [])  # the handshake failed: nothing reached Vault
        self.assertNotIn("NOTEBOOK_VAULT_TOKEN", target.environment)
        self.assertIn("refusing the spawn", logs.text)

    def test_without_ca_file_only_the_system_cas_count(self):
        with FakeVault(tls=self.cas.a.server) as vault, CapturedLogs():
            with self.assertRaisesRegex(hook_module.VaultError, "does not trust .*set caFile to the CA that signed it"):
                run_hook(config(vault.address), spawner("ada"))

    def test_a_missing_ca_file_refuses_the_spawn_naming_it(self):
        with FakeVault(tls=self.cas.a.server) as vault, CapturedLogs():
            with self.assertRaisesRegex(hook_module.VaultError, "cannot trust the CA in caFile /no/such/ca.pem"):
                run_hook(config(vault.address, ca_file="/no/such/ca.pem"), spawner("ada"))


if __name__ == "__main__":
    unittest.main()
