"""Tests of components/vault/vault_token_hook.py against a local fake Vault (run by `npm test`)."""
import asyncio
import importlib.util
import io
import logging
import pathlib
import sys
import types
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fake_vault import HUB_TOKEN, SERVICE_ACCOUNT_JWT, FakeVault, closed_port_address, user_token_for  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load(relative, name):
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook_module = load("components/vault/vault_token_hook.py", "vault_token_hook")


def config(address, on_failure="refuse", timeout=2):
    return {
        "address": address,
        "kubernetesAuthMount": "kubernetes",
        "hubRole": "jupyterhub-hub-jupyterhub",
        "tokenRole": "jupyterhub-user-jupyterhub",
        "kvMount": "secret",
        "pathPrefix": "jupyter",
        "onFailure": on_failure,
        "timeoutSeconds": timeout,
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


if __name__ == "__main__":
    unittest.main()
