"""Tests of components/hub/ca_trust.py: the hub's combined CA bundle, with throwaway CAs
(throwaway_ca.py) and a local HTTPS server (the fake Vault in TLS mode)."""
import asyncio
import os
import pathlib
import shutil
import ssl
import sys
import tempfile
import types
import unittest
import urllib.error
import urllib.request
from unittest import mock

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import throwaway_ca  # noqa: E402
from fake_vault import FakeVault  # noqa: E402

from project_module import load_project_module  # noqa: E402

ca_trust = load_project_module("components/hub/ca_trust.py", "ca_trust")

# The hub's own OAuthenticator, traitlets and tornado (npm run test:python runs this in the hub's Python).
from oauthenticator.generic import GenericOAuthenticator  # noqa: E402
from traitlets.config import Config  # noqa: E402


def hub_config(**oauthenticator):
    return types.SimpleNamespace(OAuthenticator=types.SimpleNamespace(**oauthenticator))


def ca_count(cafile):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=cafile)
    return context.cert_store_stats()["x509_ca"]


def fetch_with_tornados_context(url, bundle):
    """What tornado's simple_httpclient does with HTTPRequest(ca_certs=bundle): a default context
    built from that one file (tornado/simple_httpclient.py, _HTTPConnection._get_ssl_options)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=bundle)
    with urllib.request.urlopen(url, context=context, timeout=5) as response:
        return response.status


@unittest.skipUnless(throwaway_ca.available(), "needs the cryptography package to make throwaway CAs")
class BundleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cas = throwaway_ca.cas()

    def setUp(self):
        self.scratch = tempfile.mkdtemp(prefix="ca-trust-")
        self.addCleanup(shutil.rmtree, self.scratch, True)
        # install() sets SSL_CERT_FILE and REQUESTS_CA_BUNDLE for the process: put them back.
        patcher = mock.patch.dict(os.environ)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.bundle = os.path.join(self.scratch, "not", "there", "yet", "ca-bundle.pem")

    def test_the_bundle_is_the_system_cas_then_the_homelab_ca(self):
        system = ca_trust.system_ca_bundle()
        self.assertIsNotNone(system, "this machine has a public CA bundle")
        ca_trust.install(hub_config(), self.cas.a.ca, self.bundle)
        text = pathlib.Path(self.bundle).read_text()
        self.assertTrue(text.startswith(pathlib.Path(system).read_text().rstrip("\n")))
        self.assertTrue(text.rstrip().endswith(pathlib.Path(self.cas.a.ca).read_text().strip()))
        self.assertEqual(ca_count(self.bundle), ca_count(system) + 1)
        self.assertGreater(ca_count(system), 10)

    def test_a_client_built_like_tornados_trusts_the_homelab_ca_and_still_only_what_it_should(self):
        ca_trust.install(hub_config(), self.cas.a.ca, self.bundle)
        with FakeVault(tls=self.cas.a.server) as vault:
            # Vault's 403 to a request without a token: the TLS handshake succeeded.
            with self.assertRaises(urllib.error.HTTPError) as answered:
                fetch_with_tornados_context(vault.address + "/v1/sys/health", self.bundle)
            answered.exception.close()
            self.assertEqual(answered.exception.code, 403)
        with FakeVault(tls=self.cas.b.server) as vault:
            with self.assertRaises(urllib.error.URLError) as refused:
                fetch_with_tornados_context(vault.address + "/v1/sys/health", self.bundle)
            self.assertIsInstance(refused.exception.reason, ssl.SSLCertVerificationError)
            self.assertEqual(vault.requests, [])

    def test_the_ca_file_alone_would_lose_the_public_cas(self):
        # Why a bundle: tornado's ca_certs replaces the system CAs instead of adding to them.
        self.assertEqual(ca_count(self.cas.a.ca), 1)

    def test_tells_oauthenticator_keeping_other_request_options(self):
        c = hub_config(http_request_kwargs={"proxy_host": "proxy.home.arpa", "proxy_port": 3128})
        self.assertEqual(ca_trust.install(c, self.cas.a.ca, self.bundle), self.bundle)
        self.assertEqual(c.OAuthenticator.http_request_kwargs, {"proxy_host": "proxy.home.arpa", "proxy_port": 3128, "ca_certs": self.bundle})
        c = hub_config()
        ca_trust.install(c, self.cas.a.ca, self.bundle)
        self.assertEqual(c.OAuthenticator.http_request_kwargs, {"ca_certs": self.bundle})

    def test_points_the_processes_later_clients_at_the_bundle(self):
        ca_trust.install(hub_config(), self.cas.a.ca, self.bundle)
        self.assertEqual(os.environ["SSL_CERT_FILE"], self.bundle)
        self.assertEqual(os.environ["REQUESTS_CA_BUNDLE"], self.bundle)
        # ssl.create_default_context() reads SSL_CERT_FILE when a context is made.
        with FakeVault(tls=self.cas.a.server) as vault:
            with self.assertRaises(urllib.error.HTTPError) as answered:
                urllib.request.urlopen(vault.address + "/v1/sys/health", context=ssl.create_default_context(), timeout=5)
            answered.exception.close()
            self.assertEqual(answered.exception.code, 403)

    def test_installing_twice_does_not_bundle_the_bundle(self):
        ca_trust.install(hub_config(), self.cas.a.ca, self.bundle)
        first = pathlib.Path(self.bundle).read_text()
        ca_trust.install(hub_config(), self.cas.a.ca, self.bundle)
        self.assertEqual(pathlib.Path(self.bundle).read_text(), first)

    def test_a_given_system_bundle_comes_first(self):
        ca_trust.install(hub_config(), self.cas.a.ca, self.bundle, system_bundle=self.cas.b.ca)
        self.assertEqual(ca_count(self.bundle), 2)
        text = pathlib.Path(self.bundle).read_text()
        self.assertTrue(text.startswith(pathlib.Path(self.cas.b.ca).read_text().strip()))

    def test_only_the_certificates_of_the_ca_file_are_copied(self):
        mixed = os.path.join(self.scratch, "mixed.pem")
        key = pathlib.Path(self.cas.a.server[1]).read_text()
        pathlib.Path(mixed).write_text("CA for the homelab\n" + key + pathlib.Path(self.cas.a.ca).read_text())
        ca_trust.install(hub_config(), mixed, self.bundle, system_bundle=self.cas.b.ca)
        self.assertNotIn("PRIVATE KEY", pathlib.Path(self.bundle).read_text())
        self.assertEqual(ca_count(self.bundle), 2)

    def test_a_missing_ca_file_fails_loudly_naming_it(self):
        c = hub_config()
        with self.assertRaisesRegex(ca_trust.CaTrustError, "the CA file /no/such/ca.crt cannot be read"):
            ca_trust.install(c, "/no/such/ca.crt", self.bundle)
        self.assertFalse(os.path.exists(self.bundle))
        self.assertFalse(hasattr(c.OAuthenticator, "http_request_kwargs"))

    def test_a_file_without_a_certificate_fails_loudly_naming_it(self):
        for name, text in (("empty.pem", ""), ("key.pem", pathlib.Path(self.cas.a.server[1]).read_text())):
            path = os.path.join(self.scratch, name)
            pathlib.Path(path).write_text(text)
            with self.assertRaisesRegex(ca_trust.CaTrustError, f"the CA file {path} holds no PEM certificate"):
                ca_trust.install(hub_config(), path, self.bundle)

    def test_a_broken_certificate_fails_loudly_naming_it(self):
        path = os.path.join(self.scratch, "broken.pem")
        pathlib.Path(path).write_text("-----BEGIN CERTIFICATE-----\nMIIBnotacertificate\n-----END CERTIFICATE-----\n")
        with self.assertRaisesRegex(ca_trust.CaTrustError, f"the CA file {path} holds a certificate that does not parse"):
            ca_trust.install(hub_config(), path, self.bundle)

    def test_with_real_traitlets_config_the_option_merges_into_oauthenticators_trait(self):
        # OAuthenticator 17's http_request_kwargs (oauthenticator/oauth2.py), read by the login
        # handler's every token and userinfo request.
        unset = Config()
        ca_trust.install(unset, self.cas.a.ca, self.bundle)
        self.assertEqual(GenericOAuthenticator(config=unset).http_request_kwargs, {"ca_certs": self.bundle})
        preset = Config()
        preset.OAuthenticator.http_request_kwargs = {"proxy_host": "proxy.home.arpa"}
        ca_trust.install(preset, self.cas.a.ca, self.bundle)
        self.assertEqual(GenericOAuthenticator(config=preset).http_request_kwargs, {"proxy_host": "proxy.home.arpa", "ca_certs": self.bundle})

    def test_tornados_own_client_with_ca_certs_trusts_the_homelab_ca_only_through_the_bundle(self):
        from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

        ca_trust.install(hub_config(), self.cas.a.ca, self.bundle)

        async def fetch(url):
            client = AsyncHTTPClient(force_instance=True)
            try:
                return await client.fetch(HTTPRequest(url, ca_certs=self.bundle, request_timeout=5))
            finally:
                client.close()

        with FakeVault(tls=self.cas.a.server) as vault:
            with self.assertRaises(HTTPClientError) as answered:
                asyncio.run(fetch(vault.address + "/v1/sys/health"))
            self.assertEqual(answered.exception.code, 403)
        with FakeVault(tls=self.cas.b.server) as vault:
            with self.assertRaises(ssl.SSLCertVerificationError):
                asyncio.run(fetch(vault.address + "/v1/sys/health"))


if __name__ == "__main__":
    unittest.main()
