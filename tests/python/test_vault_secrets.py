"""Tests of components/vault/vault_secrets.py, the notebook helper, against a local fake Vault."""
import importlib.util
import os
import pathlib
import sys
import unittest
from unittest import mock

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from fake_vault import FakeVault, user_token_for  # noqa: E402

MODULE = pathlib.Path(__file__).resolve().parents[2] / "components" / "vault" / "vault_secrets.py"


def fresh_helper():
    spec = importlib.util.spec_from_file_location("vault_secrets", MODULE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def environment(address):
    return {
        "NOTEBOOK_VAULT_TOKEN": user_token_for("ada"),
        "VAULT_ADDR": address,
        "VAULT_KV_MOUNT": "secret",
        "VAULT_USER_PATH": "jupyter/users/ada",
        "VAULT_SHARED_PATH": "jupyter/shared",
    }


class VaultSecretsTest(unittest.TestCase):
    def test_round_trip_of_own_secrets_under_the_users_path(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault.address)):
            helper = fresh_helper()
            helper.put("database", user="ada", password="pw")
            self.assertEqual(helper.get("database"), {"user": "ada", "password": "pw"})
            self.assertEqual(helper.names(), ["database"])
            helper.delete("database")
            self.assertIsNone(helper.get("database"))
            self.assertEqual(helper.names(), [])
        self.assertIn(("POST", "/v1/secret/data/jupyter/users/ada/database"), [r[:2] for r in vault.requests])

    def test_reads_shared_secrets(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault.address)):
            vault.kv["jupyter/shared/datasets"] = {"bucket": "s3://lab"}
            self.assertEqual(fresh_helper().shared("datasets"), {"bucket": "s3://lab"})

    def test_renews_the_token_before_the_first_call_and_then_only_after_half_its_lease(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault.address)):
            helper = fresh_helper()
            helper.get("a")
            helper.get("b")
        renewals = [r for r in vault.requests if r[1] == "/v1/auth/token/renew-self"]
        self.assertEqual(len(renewals), 1)
        self.assertEqual(renewals[0][3], user_token_for("ada"))

    def test_explains_a_server_without_a_token(self):
        env = {"NOTEBOOK_VAULT_STATUS": "no token: Vault at x is unreachable"}
        with mock.patch.dict(os.environ, env, clear=True):
            helper = fresh_helper()
            with self.assertRaisesRegex(helper.VaultSecretsError, "no Vault token .*unreachable"):
                helper.get("x")


if __name__ == "__main__":
    unittest.main()
