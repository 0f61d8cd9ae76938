"""Tests of components/vault/vault_secrets.py, the notebook helper, against a local fake Vault."""
import importlib.util
import os
import pathlib
import shutil
import stat
import sys
import tempfile
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


def token_directory(test):
    """The server's emptyDir in memory, standing in: a fresh temporary directory."""
    directory = tempfile.mkdtemp(prefix="vault-token-")
    test.addCleanup(shutil.rmtree, directory, ignore_errors=True)
    return directory


def environment(vault, directory, wrapped=False, **extra):
    """A server's environment as the hub's hook sets it. Unwrapped: the start hook already wrote
    VAULT_TOKEN_FILE. Wrapped: an image without the start hook, the wrapping token still unused."""
    token_file = os.path.join(directory, "token")
    base = {
        "VAULT_TOKEN_FILE": token_file,
        "VAULT_ADDR": vault.address,
        "VAULT_KV_MOUNT": "secret",
        "VAULT_USER_PATH": "jupyter/users/ada",
        "VAULT_SHARED_PATH": "jupyter/shared",
    }
    if wrapped:
        base["NOTEBOOK_VAULT_WRAPPING_TOKEN"], _ = vault.seed_wrapped_token("ada")
    else:
        base["NOTEBOOK_VAULT_WRAPPING_TOKEN"] = "hvs.CAESIwrapping-already-used"
        with open(token_file, "w", encoding="utf-8") as handle:
            handle.write(vault.seed_user_token("ada"))
    return {**base, **extra}


def token_in(env):
    with open(env["VAULT_TOKEN_FILE"], encoding="utf-8") as handle:
        return handle.read()


class VaultSecretsTest(unittest.TestCase):
    def test_round_trip_of_own_secrets_under_the_users_path(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self))):
            helper = fresh_helper()
            helper.put("database", user="ada", password="pw")
            self.assertEqual(helper.get("database"), {"user": "ada", "password": "pw"})
            self.assertEqual(helper.names(), ["database"])
            helper.delete("database")
            self.assertIsNone(helper.get("database"))
            self.assertEqual(helper.names(), [])
        self.assertIn(("POST", "/v1/secret/data/jupyter/users/ada/database"), [r[:2] for r in vault.requests])
        self.assertNotIn("/v1/sys/wrapping/unwrap", [r[1] for r in vault.requests])

    def test_reads_shared_secrets(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self))):
            vault.kv["jupyter/shared/datasets"] = {"bucket": "s3://lab"}
            self.assertEqual(fresh_helper().shared("datasets"), {"bucket": "s3://lab"})

    def test_renews_the_token_before_the_first_call_and_then_only_after_half_its_lease(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self))):
            helper = fresh_helper()
            helper.get("a")
            helper.get("b")
            token = token_in(os.environ)
        renewals = [r for r in vault.requests if r[1] == "/v1/auth/token/renew-self"]
        self.assertEqual(len(renewals), 1)
        self.assertEqual(renewals[0][3], token)

    def test_a_revoked_token_is_refused_without_showing_it(self):
        # The hub revokes a server's token by accessor when the server stops.
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self))):
            helper = fresh_helper()
            helper.get("a")
            token = token_in(os.environ)
            del vault.user_tokens[token]
            with self.assertRaisesRegex(helper.VaultSecretsError, "HTTP 403") as refused:
                helper.get("a")
        self.assertNotIn(token, str(refused.exception))

    def test_reaches_only_the_users_own_path(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self), VAULT_USER_PATH="jupyter/users/grace")):
            helper = fresh_helper()
            with self.assertRaisesRegex(helper.VaultSecretsError, "HTTP 403"):
                helper.put("database", password="pw")

    def test_explains_a_server_without_a_token(self):
        env = {"NOTEBOOK_VAULT_STATUS": "no token: Vault at x is unreachable"}
        with mock.patch.dict(os.environ, env, clear=True):
            helper = fresh_helper()
            with self.assertRaisesRegex(helper.VaultSecretsError, "no Vault token .*unreachable"):
                helper.get("x")


class UnwrapOnFirstUseTest(unittest.TestCase):
    """An image without the start hook: the helper unwraps the token itself, once."""

    def test_unwraps_into_the_token_file_readable_by_the_user_alone_and_then_reads_the_file(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self), wrapped=True)):
            helper = fresh_helper()
            helper.put("database", password="pw")
            self.assertEqual(fresh_helper().get("database"), {"password": "pw"})  # a second kernel
            token_file = os.environ["VAULT_TOKEN_FILE"]
            self.assertTrue(vault.is_live(token_in(os.environ)))
        self.assertEqual(stat.S_IMODE(os.stat(token_file).st_mode), 0o600)
        self.assertEqual(len(vault.paths_requested("/v1/sys/wrapping/unwrap")), 1)

    def test_a_wrapping_token_someone_else_unwrapped_first_fails_loudly_every_time(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self), wrapped=True)):
            wrapping = os.environ["NOTEBOOK_VAULT_WRAPPING_TOKEN"]
            stolen = vault.route("POST", "/v1/sys/wrapping/unwrap", None, wrapping)
            self.assertEqual(stolen[0], 200)
            helper = fresh_helper()
            for _ in range(2):
                with self.assertRaisesRegex(helper.VaultSecretsError, "already used or has expired.*someone else may have.*Stop your server") as refused:
                    helper.get("database")
            self.assertFalse(os.path.exists(os.environ["VAULT_TOKEN_FILE"]))
        self.assertNotIn(wrapping, str(refused.exception))

    def test_a_wrapping_token_past_its_ttl_fails_the_same_way(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self), wrapped=True)):
            vault.advance(601)
            helper = fresh_helper()
            with self.assertRaisesRegex(helper.VaultSecretsError, "already used or has expired"):
                helper.get("database")

    def test_a_process_that_loses_the_race_to_another_of_the_same_server_uses_the_winners_file(self):
        with FakeVault() as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self), wrapped=True)):
            helper = fresh_helper()
            winner = fresh_helper()
            original = helper._post_unwrap

            def lose(wrapping):
                winner.unwrap()  # another kernel got there first
                return original(wrapping)

            helper._post_unwrap = lose
            self.assertEqual(helper.unwrap(), token_in(os.environ))
            helper.put("x", a="b")



@unittest.skipUnless(throwaway_ca.available(), "needs the cryptography package to make throwaway CAs")
class HomelabCaTest(unittest.TestCase):
    """VAULT_CACERT: the helper trusts the system's CAs plus that file (Vault's own CLI variable)."""

    @classmethod
    def setUpClass(cls):
        cls.cas = throwaway_ca.cas()

    def test_trusts_a_vault_whose_certificate_the_ca_in_vault_cacert_signed(self):
        with FakeVault(tls=self.cas.a.server) as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self), VAULT_CACERT=self.cas.a.ca)):
            helper = fresh_helper()
            helper.put("database", password="pw")
            self.assertEqual(helper.get("database"), {"password": "pw"})
        self.assertTrue(vault.address.startswith("https://"))

    def test_refuses_a_vault_whose_certificate_another_ca_signed(self):
        with FakeVault(tls=self.cas.b.server) as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self), VAULT_CACERT=self.cas.a.ca)):
            helper = fresh_helper()
            with self.assertRaisesRegex(
                helper.VaultSecretsError, "presented a TLS certificate this server does not trust: .*VAULT_CACERT=.*a-ca.pem did not sign it"
            ):
                helper.get("database")
        self.assertEqual(vault.requests, [])

    def test_without_vault_cacert_only_the_system_cas_count(self):
        with FakeVault(tls=self.cas.a.server) as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self))):
            os.environ.pop("VAULT_CACERT", None)
            helper = fresh_helper()
            with self.assertRaisesRegex(helper.VaultSecretsError, "does not trust: .*set VAULT_CACERT"):
                helper.get("database")

    def test_a_vault_cacert_that_is_not_there_is_named(self):
        with FakeVault(tls=self.cas.a.server) as vault, mock.patch.dict(os.environ, environment(vault, token_directory(self), VAULT_CACERT="/no/such/ca.pem")):
            helper = fresh_helper()
            with self.assertRaisesRegex(helper.VaultSecretsError, "cannot trust the CA in VAULT_CACERT=/no/such/ca.pem"):
                helper.get("database")


if __name__ == "__main__":
    unittest.main()
