"""Tests of components/vault/vault_secrets.py, the notebook helper, against a local fake Vault."""
import importlib.util
import os
import pathlib
import sys
import unittest
from unittest import mock

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import throwaway_ca  # noqa: E402
from fake_vault import FakeVault  # noqa: E402

MODULE = pathlib.Path(__file__).resolve().parents[2] / "components" / "vault" / "vault_secrets.py"


def fresh_helper():
    spec = importlib.util.spec_from_file_location("vault_secrets", MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def environment(vault, **extra):
    """A server's environment as the hub's hook sets it, with a token the fake Vault minted."""
    return {
        "NOTEBOOK_VAULT_TOKEN": vault.seed_user_token("ada"),
        "VAULT_ADDR": vault.address,
        "VAULT_KV_MOUNT": "secret",
        "VAULT_USER_PATH": "jupyter/users/ada",
        "VAULT_SHARED_PATH": "jupyter/shared",
        **extra,
    }


class VaultSecretsTest(unittest.TestCase):
    def test_round_trip_of_own_secrets_under_the_users_path(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault)):
            helper = fresh_helper()
            helper.put("database", user="ada", password="pw")
            self.assertEqual(helper.get("database"), {"user": "ada", "password": "pw"})
            self.assertEqual(helper.names(), ["database"])
            helper.delete("database")
            self.assertIsNone(helper.get("database"))
            self.assertEqual(helper.names(), [])
        self.assertIn(("POST", "/v1/secret/data/jupyter/users/ada/database"), [r[:2] for r in vault.requests])

    def test_reads_shared_secrets(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault)):
            vault.kv["jupyter/shared/datasets"] = {"bucket": "s3://lab"}
            self.assertEqual(fresh_helper().shared("datasets"), {"bucket": "s3://lab"})

    def test_renews_the_token_before_the_first_call_and_then_only_after_half_its_lease(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault)):
            helper = fresh_helper()
            helper.get("a")
            helper.get("b")
            token = os.environ["NOTEBOOK_VAULT_TOKEN"]
        renewals = [r for r in vault.requests if r[1] == "/v1/auth/token/renew-self"]
        self.assertEqual(len(renewals), 1)
        self.assertEqual(renewals[0][3], token)

    def test_a_revoked_token_is_refused_without_showing_it(self):
        # The hub revokes a server's token when the server stops (vault_token_hook.post_stop_hook).
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault)):
            helper = fresh_helper()
            helper.get("a")
            token = os.environ["NOTEBOOK_VAULT_TOKEN"]
            vault.route("POST", "/v1/auth/token/revoke-self", None, token)
            with self.assertRaisesRegex(helper.VaultSecretsError, "HTTP 403") as refused:
                helper.get("a")
        self.assertNotIn(token, str(refused.exception))

    def test_reaches_only_the_users_own_path(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault, VAULT_USER_PATH="jupyter/users/grace")):
            helper = fresh_helper()
            with self.assertRaisesRegex(helper.VaultSecretsError, "HTTP 403"):
                helper.put("database", password="pw")

    def test_explains_a_server_without_a_token(self):
        env = {"NOTEBOOK_VAULT_STATUS": "no token: Vault at x is unreachable"}
        with mock.patch.dict(os.environ, env, clear=True):
            helper = fresh_helper()
            with self.assertRaisesRegex(helper.VaultSecretsError, "no Vault token .*unreachable"):
                helper.get("x")



@unittest.skipUnless(throwaway_ca.available(), "needs the openssl CLI to make throwaway CAs")
class HomelabCaTest(unittest.TestCase):
    """VAULT_CACERT: the helper trusts the system's CAs plus that file (Vault's own CLI variable)."""

    @classmethod
    def setUpClass(cls):
        cls.cas = throwaway_ca.cas()

    def test_trusts_a_vault_whose_certificate_the_ca_in_vault_cacert_signed(self):
        with FakeVault(tls=self.cas.a.server) as vault, mock.patch.dict(os.environ, environment(vault, VAULT_CACERT=self.cas.a.ca)):
            helper = fresh_helper()
            helper.put("database", password="pw")
            self.assertEqual(helper.get("database"), {"password": "pw"})
        self.assertTrue(vault.address.startswith("https://"))

    def test_refuses_a_vault_whose_certificate_another_ca_signed(self):
        with FakeVault(tls=self.cas.b.server) as vault, mock.patch.dict(os.environ, environment(vault, VAULT_CACERT=self.cas.a.ca)):
            helper = fresh_helper()
            with self.assertRaisesRegex(
                helper.VaultSecretsError, "presented a TLS certificate this server does not trust: .*VAULT_CACERT=.*a-ca.pem did not sign it"
            ):
                helper.get("database")
        self.assertEqual(vault.requests, [])

    def test_without_vault_cacert_only_the_system_cas_count(self):
        with FakeVault(tls=self.cas.a.server) as vault, mock.patch.dict(os.environ, environment(vault)):
            os.environ.pop("VAULT_CACERT", None)
            helper = fresh_helper()
            with self.assertRaisesRegex(helper.VaultSecretsError, "does not trust: .*set VAULT_CACERT"):
                helper.get("database")

    def test_a_vault_cacert_that_is_not_there_is_named(self):
        with FakeVault(tls=self.cas.a.server) as vault, mock.patch.dict(os.environ, environment(vault, VAULT_CACERT="/no/such/ca.pem")):
            helper = fresh_helper()
            with self.assertRaisesRegex(helper.VaultSecretsError, "cannot trust the CA in VAULT_CACERT=/no/such/ca.pem"):
                helper.get("database")


if __name__ == "__main__":
    unittest.main()
