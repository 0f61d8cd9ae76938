"""The fake Keycloak: the realm it builds from the homelab stack's own render, its answers at each
endpoint as Keycloak gives them, and the whole login driven by the real GenericOAuthenticator
17.4.0 (in the hub's venv, over tornado's curl client, as the chart configures it).

Run: python3 -m unittest tests/realhub/fakes/test_keycloak.py (from the project root).
"""

import atexit
import base64
import glob
import hashlib
import http.client
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest
from urllib.parse import parse_qs, urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
PROJECT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(PROJECT, "tests", "python"))

import throwaway_ca  # noqa: E402
from keycloak import BROKER_HEADER, LOGIN_HEADER, SECRET, FakeKeycloak  # noqa: E402
from keycloak_realm import RealmError, realm_from_resources  # noqa: E402
from keycloak_tokens import b64url, b64url_decode  # noqa: E402

CLIENT_SECRET = "hub-client-secret-" + secrets.token_hex(8)
CALLBACK = "https://jupyter.home.arpa/hub/oauth_callback"
MARIA_GOOGLE = "104857392010284756123"
_rendered = {}


def rendered_homelab():
    """resources.json and values.yaml of `npm run render -- homelab`, made once per run. Each call
    gets resources of its own, parsed again from the JSON (a fifth of copy.deepcopy's time)."""
    if not _rendered:
        out = tempfile.mkdtemp(prefix="kc-render-")
        atexit.register(shutil.rmtree, out, ignore_errors=True)  # values.yaml is read until the run ends
        subprocess.run(
            ["node", "-r", "./scripts/registerTypeScript.cjs", "scripts/render.ts", "homelab", "--out", out],
            cwd=PROJECT, check=True, capture_output=True,
        )
        with open(os.path.join(out, "resources.json"), encoding="utf-8") as handle:
            _rendered["resources"] = handle.read()
        _rendered["values"] = os.path.join(out, "values.yaml")
    return json.loads(_rendered["resources"])


def pkce():
    verifier = secrets.token_urlsafe(32)
    return verifier, b64url(hashlib.sha256(verifier.encode()).digest())


class Browser:
    """HTTPS to the fake, trusting the throwaway CA, following no redirect."""

    def __init__(self, fake, ca):
        self.fake = fake
        self.context = ssl.create_default_context(cafile=ca)

    def request(self, method, url, headers=None, form=None):
        parts = urlsplit(url)
        connection = http.client.HTTPSConnection("127.0.0.1", self.fake.port, context=self.context, timeout=10)
        body = urlencode(form) if isinstance(form, dict) else form
        headers = dict(headers or {})
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def authorize(self, person=None, broker=None, accept=None, **params):
        query = {"client_id": "jupyterhub", "response_type": "code", "redirect_uri": CALLBACK, "scope": "openid profile email", "state": "s-1", **params}
        query = {k: v for k, v in query.items() if v is not None}
        headers = {}
        if person:
            headers[LOGIN_HEADER] = person
        if broker:
            headers[BROKER_HEADER] = broker
        if accept:
            headers["Accept"] = accept
        return self.request("GET", f"{self.fake.endpoints['authorize']}?{urlencode(query)}", headers)

    def login(self, person="maria", **params):
        """A code for `person`, with its PKCE verifier."""
        verifier, challenge = pkce()
        status, headers, _ = self.authorize(person, code_challenge=challenge, code_challenge_method="S256", **params)
        assert status == 302, status
        return parse_qs(urlsplit(headers["location"]).query)["code"][0], verifier

    def token(self, form, basic=None):
        headers = {}
        if basic:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        status, headers, body = self.request("POST", self.fake.endpoints["token"], headers, form)
        return status, headers, json.loads(body) if body else None

    def exchange(self, code, verifier, **extra):
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier,
                "client_id": "jupyterhub", "client_secret": CLIENT_SECRET, **extra}
        return self.token({k: v for k, v in form.items() if v is not None})

    def userinfo(self, access_token):
        status, headers, body = self.request("GET", self.fake.endpoints["userinfo"], {"Authorization": f"Bearer {access_token}"} if access_token else {})
        return status, headers, json.loads(body) if body else None


def claims_of(token):
    return json.loads(b64url_decode(token.split(".")[1]))


class RealmFromTheHomelabStack(unittest.TestCase):
    def setUp(self):
        self.resources = rendered_homelab()

    def realm(self, resources=None):
        return realm_from_resources(self.resources if resources is None else resources, CLIENT_SECRET)

    def of(self, name):
        return next(r for r in self.resources if r["name"] == name)

    def test_every_user_gets_the_hub_client_roles_of_their_groups(self):
        realm = self.realm()
        claims = {name: realm.mapper_claims(user, "jupyterhub", "userinfo") for name, user in realm.users.items()}
        self.assertEqual(
            claims,
            {
                "maria": {"jupyterhub_groups": ["gpu", "jupyterhub", "jupyterhub-admins", "lab"]},
                "tomas": {"jupyterhub_groups": ["jupyterhub", "lab"]},
                "lena": {"jupyterhub_groups": ["gpu", "jupyterhub"]},
                "noah": {"jupyterhub_groups": ["jupyterhub"]},
                "aiko.tanaka": {"jupyterhub_groups": ["jupyterhub", "lab"]},
            },
        )
        maria = realm.users["maria"]
        self.assertEqual(realm.user_claims(maria), {"sub": maria.id, "email_verified": True, "preferred_username": "maria", "email": "maria.santos@gmail.com"})
        self.assertEqual(realm.linked_user("google", MARIA_GOOGLE), maria)
        self.assertEqual(realm.sso_idle_timeout, 12 * 3600)
        self.assertEqual(realm.clients["jupyterhub"].redirect_uris, [CALLBACK])
        self.assertEqual(realm.clients["jupyterhub"].pkce_method, "S256")

    def test_a_user_with_no_role_of_the_client_gets_no_claim_at_all(self):
        realm = self.realm()
        for group in realm.groups.values():
            group.members.discard("noah")
        self.assertEqual(realm.mapper_claims(realm.users["noah"], "jupyterhub", "userinfo"), {})

    def test_a_single_valued_mapper_gives_one_string_and_dotted_names_nest(self):
        mapper = self.of("jupyterhub-groups-claim")
        mapper["inputs"].update(multivalued=False, claimName="hub.groups")
        realm = self.realm()
        claim = realm.mapper_claims(realm.users["noah"], "jupyterhub", "userinfo")
        self.assertEqual(claim, {"hub": {"groups": "jupyterhub"}})
        mapper["inputs"]["claimName"] = "hub\\.groups"
        self.assertEqual(self.realm().mapper_claims(realm.users["noah"], "jupyterhub", "id"), {"hub.groups": "jupyterhub"})

    def test_a_mapper_off_for_userinfo_adds_nothing_there(self):
        self.of("jupyterhub-groups-claim")["inputs"]["addToUserinfo"] = False
        realm = self.realm()
        self.assertEqual(realm.mapper_claims(realm.users["maria"], "jupyterhub", "userinfo"), {})
        self.assertIn("jupyterhub_groups", realm.mapper_claims(realm.users["maria"], "jupyterhub", "access"))

    def test_an_unknown_resource_type_or_field_fails_loudly(self):
        with_type = self.resources + [{"type": "keycloak:openid/groupMembershipProtocolMapper:GroupMembershipProtocolMapper", "name": "x", "inputs": {}}]
        with self.assertRaisesRegex(RealmError, "does not model this resource type"):
            self.realm(with_type)
        self.of("jupyterhub-hub")["inputs"]["consentRequired"] = True
        with self.assertRaisesRegex(RealmError, "jupyterhub-hub.*consentRequired"):
            self.realm()

    def test_a_reference_to_nothing_fails_loudly(self):
        self.of("jupyterhub-group-gpu-role")["inputs"]["roleIds"] = ["no-such-role-id"]
        with self.assertRaisesRegex(RealmError, "roleIds"):
            self.realm()

    def test_unknown_ids_of_a_preview_are_resolved_by_what_the_resource_waits_for(self):
        for resource in self.resources:
            inputs = resource["inputs"]
            if resource["type"] == "keycloak:index/groupRoles:GroupRoles":
                inputs.pop("groupId")
                inputs["roleIds"] = [None]
            if resource["type"] == "keycloak:index/groupMemberships:GroupMemberships":
                inputs.pop("groupId")
        realm = self.realm()
        self.assertEqual(realm.client_roles("lena", "jupyterhub"), ["gpu", "jupyterhub"])

    def test_an_existing_realm_and_an_existing_user_named_only_in_memberships(self):
        resources = [r for r in self.resources if r["type"] != "keycloak:index/realm:Realm" and r["name"] != "jupyterhub-user-noah"]
        realm = self.realm(resources)
        self.assertEqual(realm.name, "homelab")
        self.assertEqual(realm.sso_idle_timeout, 1800)  # Keycloak's default: the stack does not say
        noah = realm.users["noah"]
        self.assertTrue(noah.existing)
        self.assertIsNone(noah.email)
        self.assertEqual(realm.client_roles("noah", "jupyterhub"), ["jupyterhub"])

    def test_a_confidential_client_needs_its_secret(self):
        with self.assertRaisesRegex(RealmError, "pass its secret"):
            realm_from_resources(self.resources, "")

    def test_a_provider_whose_first_login_flow_is_keycloaks_own_is_not_modelled(self):
        self.of("jupyterhub-google")["inputs"]["firstBrokerLoginFlowAlias"] = "first broker login"
        with self.assertRaisesRegex(RealmError, "first broker login"):
            self.realm()


class FakeKeycloakEndpoints(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ca = throwaway_ca.cas().a.ca
        cls.cert = throwaway_ca.server_cert(dns=("auth.home.arpa",))

    def setUp(self):
        self.realm = realm_from_resources(rendered_homelab(), CLIENT_SECRET)
        self.fake = FakeKeycloak(self.realm, tls=self.cert, issuer_base_url="https://auth.home.arpa").start()
        self.addCleanup(self.fake.stop)
        self.browser = Browser(self.fake, self.ca)

    def login_tokens(self, person="maria"):
        code, verifier = self.browser.login(person)
        status, _, body = self.browser.exchange(code, verifier)
        self.assertEqual(status, 200, body)
        return body

    def test_discovery_names_the_realm_endpoints_and_certs_verify_the_tokens(self):
        status, _, body = self.browser.request("GET", self.fake.endpoints["discovery"])
        discovery = json.loads(body)
        self.assertEqual(discovery["issuer"], "https://auth.home.arpa/realms/homelab")
        self.assertEqual(discovery["token_endpoint"], "https://auth.home.arpa/realms/homelab/protocol/openid-connect/token")
        _, _, certs = self.browser.request("GET", self.fake.endpoints["certs"])
        (key,) = json.loads(certs)["keys"]
        tokens = self.login_tokens()
        header = json.loads(b64url_decode(tokens["id_token"].split(".")[0]))
        self.assertEqual((header["alg"], header["kid"]), ("RS256", key["kid"]))
        signing_input, signature = tokens["id_token"].rsplit(".", 1)
        n, e = (int.from_bytes(b64url_decode(key[k]), "big") for k in ("n", "e"))
        recovered = pow(int.from_bytes(b64url_decode(signature), "big"), e, n).to_bytes((n.bit_length() + 7) // 8, "big")
        self.assertTrue(recovered.endswith(hashlib.sha256(signing_input.encode()).digest()))

    def test_it_binds_the_address_it_is_given_and_names_itself_by_it(self):
        cert = throwaway_ca.server_cert(ips=("127.0.0.3",))
        with FakeKeycloak(self.realm, host="127.0.0.3", tls=cert) as fake:
            self.assertEqual(fake.issuer, f"https://127.0.0.3:{fake.port}/realms/homelab")
            connection = http.client.HTTPSConnection("127.0.0.3", fake.port, context=ssl.create_default_context(cafile=self.ca), timeout=10)
            connection.request("GET", "/realms/homelab/.well-known/openid-configuration")
            self.assertEqual(json.loads(connection.getresponse().read())["issuer"], fake.issuer)
            connection.close()
        with self.assertRaisesRegex(ValueError, "HTTPS only"):
            FakeKeycloak(self.realm)

    def test_nobody_at_the_login_page_gets_the_form_and_no_code(self):
        status, headers, body = self.browser.authorize(code_challenge=pkce()[1], code_challenge_method="S256")
        self.assertEqual(status, 200)
        self.assertNotIn("location", headers)
        self.assertIn(b"kc-form-login", body)

    def test_an_unknown_or_disabled_user_gets_the_login_page_with_keycloaks_error(self):
        challenge = pkce()[1]
        status, headers, body = self.browser.authorize("mallory", code_challenge=challenge, code_challenge_method="S256")
        self.assertEqual((status, "location" in headers), (200, False))
        self.assertIn(b"Invalid username or password.", body)
        self.realm.disable("noah")
        status, headers, body = self.browser.authorize("noah", code_challenge=challenge, code_challenge_method="S256")
        self.assertEqual((status, "location" in headers), (200, False))
        self.assertIn(b"Account is disabled, contact your administrator.", body)
        self.assertEqual(self.fake.active_sessions(), [])

    def test_a_login_redirects_to_the_hub_with_code_state_session_and_issuer(self):
        status, headers, _ = self.browser.authorize("maria", code_challenge=pkce()[1], code_challenge_method="S256")
        self.assertEqual(status, 302)
        location = urlsplit(headers["location"])
        self.assertEqual(f"{location.scheme}://{location.netloc}{location.path}", CALLBACK)
        query = parse_qs(location.query)
        self.assertEqual(sorted(query), ["code", "iss", "session_state", "state"])
        self.assertEqual((query["state"], query["iss"]), (["s-1"], ["https://auth.home.arpa/realms/homelab"]))

    def test_an_invalid_redirect_uri_gets_an_error_page_and_no_redirect(self):
        for uri in (
            "https://evil.example/hub/oauth_callback",
            "https://jupyter.home.arpa/hub/oauth_callback.evil",
            "https://jupyter.home.arpa/hub/oauth_callback/../../evil",
            "https://jupyter.home.arpa.evil.example/hub/oauth_callback",
            None,
        ):
            status, headers, body = self.browser.authorize("maria", redirect_uri=uri, code_challenge=pkce()[1], code_challenge_method="S256")
            self.assertEqual((status, "location" in headers), (400, False), uri)
            self.assertIn(b"We are sorry...", body)
            self.assertIn(b"Invalid parameter: redirect_uri", body)
        status, _, body = self.browser.authorize("maria", redirect_uri="https://evil.example/", accept="application/json")
        self.assertEqual((status, json.loads(body)), (400, {"error": "Invalid parameter: redirect_uri"}))
        # RedirectUtils.lowerCaseHostname lower-cases up to the first "/" from index 7: all of
        # "http://HOST", but only "https:/" of an https URI, so an upper-case https host stays refused.
        status, _, _ = self.browser.authorize("maria", redirect_uri="https://JUPYTER.home.arpa/hub/oauth_callback", code_challenge=pkce()[1], code_challenge_method="S256")
        self.assertEqual(status, 400)

    def test_a_client_without_pkce_or_with_an_unknown_scope_is_sent_back_with_the_error(self):
        status, headers, _ = self.browser.authorize("maria")
        query = parse_qs(urlsplit(headers["location"]).query)
        self.assertEqual(status, 302)
        self.assertEqual((query["error"], query["error_description"]), (["invalid_request"], ["Missing parameter: code_challenge_method"]))
        self.assertNotIn("code", query)
        _, headers, _ = self.browser.authorize("maria", scope="openid groups", code_challenge=pkce()[1], code_challenge_method="S256")
        self.assertEqual(parse_qs(urlsplit(headers["location"]).query)["error"], ["invalid_scope"])

    def test_the_token_endpoint_takes_the_secret_in_the_form_or_basic_auth(self):
        code, verifier = self.browser.login()
        status, headers, body = self.browser.exchange(code, verifier)
        self.assertEqual(status, 200, body)
        self.assertEqual((headers["cache-control"], headers["pragma"]), ("no-store", "no-cache"))
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["scope"], "openid email profile")
        self.assertEqual((body["expires_in"], body["refresh_expires_in"]), (300, 12 * 3600))
        code, verifier = self.browser.login()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
        status, _, body = self.browser.token(form, basic=("jupyterhub", CLIENT_SECRET))
        self.assertEqual(status, 200, body)
        self.assertEqual([r.client_auth for r in self.fake.requests_to("token")], ["client_secret_post", "client_secret_basic"])

    def test_client_errors_are_keycloaks(self):
        code, verifier = self.browser.login()
        self.assertEqual(self.browser.exchange(code, verifier, client_secret="wrong")[::2], (401, {"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"}))
        self.assertEqual(self.browser.exchange(code, verifier, client_id="other")[::2], (401, {"error": "invalid_client", "error_description": "Invalid client or Invalid client credentials"}))
        self.assertEqual(self.browser.token({"grant_type": "authorization_code", "code": code})[::2], (400, {"error": "invalid_client", "error_description": "Missing client_id parameter"}))
        self.assertEqual(self.browser.token({"code": code})[::2], (400, {"error": "invalid_request", "error_description": "Missing form parameter: grant_type"}))
        self.assertEqual(self.browser.token("grant_type=authorization_code&grant_type=refresh_token&client_id=jupyterhub&client_secret=" + CLIENT_SECRET)[::2], (400, {"error": "invalid_request", "error_description": "duplicated parameter"}))
        self.assertEqual(self.browser.token({"grant_type": "password", "client_id": "jupyterhub", "client_secret": CLIENT_SECRET})[::2], (400, {"error": "unauthorized_client", "error_description": "Client not allowed for direct access grants"}))

    def test_a_code_is_single_use_and_its_reuse_ends_the_first_uses_tokens(self):
        code, verifier = self.browser.login()
        first = self.browser.exchange(code, verifier)[2]
        self.assertEqual(self.browser.userinfo(first["access_token"])[0], 200)
        status, _, body = self.browser.exchange(code, verifier)
        self.assertEqual((status, body), (400, {"error": "invalid_grant", "error_description": "Code not valid"}))
        status, headers, _ = self.browser.userinfo(first["access_token"])
        self.assertEqual(status, 401)
        self.assertEqual(headers["www-authenticate"], 'Bearer realm="homelab", error="invalid_token", error_description="user_session_not_found"')
        refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": "jupyterhub", "client_secret": CLIENT_SECRET}
        self.assertEqual(self.browser.token(refresh)[2], {"error": "invalid_grant", "error_description": "Session doesn't have required client"})

    def test_a_code_is_spent_by_a_failed_exchange_and_expires(self):
        code, verifier = self.browser.login()
        self.assertEqual(self.browser.exchange(code, verifier, redirect_uri="https://jupyter.home.arpa/other")[2]["error_description"], "Incorrect redirect_uri")
        self.assertEqual(self.browser.exchange(code, verifier)[2]["error_description"], "Code not valid")
        code, verifier = self.browser.login()
        self.assertEqual(self.browser.exchange(code, "x" * 43)[2]["error_description"], "PKCE verification failed: Code mismatch")
        code, verifier = self.browser.login()
        self.assertEqual(self.browser.exchange(code, None)[2]["error_description"], "PKCE code verifier not specified")
        code, verifier = self.browser.login()
        self.fake.advance(61)
        self.assertEqual(self.browser.exchange(code, verifier)[2], {"error": "invalid_grant", "error_description": "Code is expired"})

    def test_userinfo_has_the_users_claims_as_they_are_now(self):
        tokens = self.login_tokens("lena")
        status, _, claims = self.browser.userinfo(tokens["access_token"])
        self.assertEqual(status, 200)
        lena = self.realm.users["lena"]
        self.assertEqual(claims, {"sub": lena.id, "email_verified": True, "preferred_username": "lena", "email": "lena.fischer@gmail.com", "jupyterhub_groups": ["gpu", "jupyterhub"]})
        self.realm.remove_member("gpu", "lena")
        self.assertEqual(self.browser.userinfo(tokens["access_token"])[2]["jupyterhub_groups"], ["jupyterhub"])
        self.realm.disable("lena")
        status, headers, body = self.browser.userinfo(tokens["access_token"])
        self.assertEqual((status, body), (401, None))
        self.assertIn('error_description="User disabled"', headers["www-authenticate"])

    def test_userinfo_refuses_no_token_a_forged_one_and_an_expired_one(self):
        status, headers, _ = self.browser.userinfo(None)
        self.assertEqual((status, headers["www-authenticate"]), (401, 'Bearer realm="homelab"'))
        tokens = self.login_tokens()
        header, payload, signature = tokens["access_token"].split(".")
        forged = json.loads(b64url_decode(payload))
        forged["sub"] = self.realm.users["noah"].id
        status, headers, _ = self.browser.userinfo(f"{header}.{b64url(json.dumps(forged).encode())}.{signature}")
        self.assertEqual((status, headers["www-authenticate"]), (401, 'Bearer realm="homelab", error="invalid_token", error_description="Token verification failed"'))
        self.fake.advance(301)
        self.assertEqual(self.browser.userinfo(tokens["access_token"])[0], 401)

    def test_a_refresh_gives_new_tokens_until_the_session_is_gone(self):
        tokens = self.login_tokens()
        self.fake.advance(301)
        form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": "jupyterhub", "client_secret": CLIENT_SECRET}
        status, _, fresh = self.browser.token(form)
        self.assertEqual(status, 200, fresh)
        self.assertEqual(self.browser.userinfo(fresh["access_token"])[0], 200)
        self.realm.disable("maria")
        self.assertEqual(self.browser.token(form)[2], {"error": "invalid_grant", "error_description": "User disabled"})
        self.realm.users["maria"].enabled = True
        self.fake.advance(12 * 3600 + 1)
        self.assertEqual(self.browser.token(form)[2], {"error": "invalid_grant", "error_description": "Token is not active"})

    def test_tokens_carry_what_keycloak_puts_in_them(self):
        code, verifier = self.browser.login(nonce="n-1")
        tokens = self.browser.exchange(code, verifier)[2]
        access, id_token = claims_of(tokens["access_token"]), claims_of(tokens["id_token"])
        maria = self.realm.users["maria"]
        self.assertEqual((access["typ"], access["azp"], access["sub"], access["iss"]), ("Bearer", "jupyterhub", maria.id, self.fake.issuer))
        self.assertEqual(access["resource_access"]["jupyterhub"]["roles"], ["gpu", "jupyterhub", "jupyterhub-admins", "lab"])
        self.assertEqual(access["jupyterhub_groups"], ["gpu", "jupyterhub", "jupyterhub-admins", "lab"])
        self.assertEqual((id_token["typ"], id_token["aud"], id_token["nonce"], id_token["sid"]), ("ID", "jupyterhub", "n-1", tokens["session_state"]))
        self.assertEqual(id_token["jupyterhub_groups"], access["jupyterhub_groups"])
        self.assertEqual(claims_of(tokens["refresh_token"])["typ"], "Refresh")

    def test_a_google_account_logs_in_only_as_the_user_it_is_linked_to(self):
        status, headers, _ = self.browser.authorize(broker=f"google {MARIA_GOOGLE}", code_challenge=pkce()[1], code_challenge_method="S256")
        self.assertEqual(status, 302)
        self.assertEqual(self.fake.active_sessions()[0].username, "maria")
        status, headers, body = self.browser.authorize(broker="google 999999999999999999999", code_challenge=pkce()[1], code_challenge_method="S256")
        self.assertEqual((status, "location" in headers), (401, False))
        self.assertIn(b"This Google or GitHub account is not linked to a JupyterHub user.", body)
        status, _, _ = self.browser.authorize(broker=f"github {MARIA_GOOGLE}", code_challenge=pkce()[1], code_challenge_method="S256")
        self.assertEqual(status, 400)  # no GitHub provider in the homelab realm

    def test_logout_asks_then_ends_the_session_and_returns_to_the_hub(self):
        tokens = self.login_tokens()
        logout = self.fake.endpoints["logout"] + "?" + urlencode({"client_id": "jupyterhub", "post_logout_redirect_uri": "https://jupyter.home.arpa/"})
        status, _, body = self.browser.request("GET", logout)
        self.assertEqual(status, 200)
        self.assertIn(b"Do you want to log out?", body)
        status, headers, _ = self.browser.request("GET", logout, {LOGIN_HEADER: "maria"})
        self.assertEqual((status, headers["location"]), (302, "https://jupyter.home.arpa/"))
        self.assertEqual(self.browser.userinfo(tokens["access_token"])[0], 401)
        bad = self.fake.endpoints["logout"] + "?" + urlencode({"client_id": "jupyterhub", "post_logout_redirect_uri": "https://evil.example/"})
        status, _, body = self.browser.request("GET", bad, {LOGIN_HEADER: "maria"})
        self.assertEqual(status, 400)
        self.assertIn(b"Invalid redirect uri", body)

    def test_records_keep_no_secret(self):
        tokens = self.login_tokens()
        self.browser.userinfo(tokens["access_token"])
        recorded = repr(self.fake.requests)
        for secret in (CLIENT_SECRET, tokens["access_token"], tokens["refresh_token"]):
            self.assertNotIn(secret, recorded)
        token_request = self.fake.requests_to("token")[0]
        self.assertEqual((token_request.form["client_secret"], token_request.form["code"]), (SECRET, SECRET))
        self.assertEqual(self.fake.requests_to("userinfo")[0].headers["authorization"], f"Bearer {SECRET}")


def hub_python():
    """The hub image's Python for chart 4.4.0, as tests/harness/hubPython.ts caches it."""
    if os.environ.get("REALHUB_PYTHON"):
        return os.environ["REALHUB_PYTHON"]
    found = sorted(glob.glob(os.path.join(PROJECT, "node_modules", ".cache", "jupyterhub-pulumi", "hub-venv-4.4.0-*", "bin", "python")), key=os.path.getmtime)
    return found[-1] if found else None


# Runs in the hub's venv: GenericOAuthenticator configured from the stack's rendered values, over
# tornado's curl client as the chart's jupyterhub_config.py sets it, trusting the homelab CA the
# way components/hub/ca_trust.py does (http_request_kwargs.ca_certs). It plays the browser too,
# with the login header. One step a line on stdin, one answer a line on stdout: importing
# OAuthenticator takes seconds (jsonschema's format checkers), so one process serves a test class,
# and where this module already runs in the hub's Python the steps run here (InProcessDriver).
# The rendered values are parsed once per file, with libyaml's safe loader where PyYAML has it
# (the chart's z2jh.py uses safe_load, the pure-Python one; for these values the same document):
# PyYAML's pure-Python parser took most of this module's CPU, once a step.
DRIVER = r"""
import asyncio, copy, functools, json, ssl, sys, urllib.request, urllib.error, urllib.parse
import yaml
from tornado.httpclient import AsyncHTTPClient
AsyncHTTPClient.configure("tornado.curl_httpclient.CurlAsyncHTTPClient")
from oauthenticator.generic import GenericOAuthenticator
from oauthenticator.oauth2 import OAuthLoginHandler, _serialize_state

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None

class Handler:
    def __init__(self, code, cookie):
        self.code, self.cookie = code, cookie
    def get_argument(self, name, default=None):
        return self.code if name == "code" else default
    def get_state_cookie(self):
        return self.cookie

class User:
    def __init__(self, name, state):
        self.name, self.state = name, state
    async def get_auth_state(self):
        return self.state

@functools.lru_cache(maxsize=None)
def values(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))

def authenticator(step):
    config = copy.deepcopy(values(step["values"])["hub"]["config"]["GenericOAuthenticator"])
    endpoints = step["endpoints"]
    config.update(authorize_url=endpoints["authorize"], token_url=endpoints["token"], userdata_url=endpoints["userinfo"])
    return GenericOAuthenticator(**config, client_secret=step["secret"], http_request_kwargs={"ca_certs": step["ca"]})

async def login(auth, step):
    # What OAuthLoginHandler.get puts in the redirect and in the state cookie.
    verifier, challenge = OAuthLoginHandler._generate_pkce_params(None)
    cookie = _serialize_state({"state_id": "x", "next_url": None, "code_verifier": verifier})
    query = {"response_type": "code", "redirect_uri": auth.oauth_callback_url, "client_id": auth.client_id,
             "scope": " ".join(auth.scope), "code_challenge": challenge, "code_challenge_method": "S256",
             "state": _serialize_state({"state_id": "x"})}
    browser = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=step["ca"])))
    request = urllib.request.Request(auth.authorize_url + "?" + urllib.parse.urlencode(query), headers=step["headers"])
    try:
        return {"page": browser.open(request).status}
    except urllib.error.HTTPError as answer:
        if answer.code != 302:
            return {"page": answer.code}
        location = urllib.parse.urlsplit(answer.headers["Location"])
    code = urllib.parse.parse_qs(location.query)["code"][0]
    return {"model": await auth.get_authenticated_user(Handler(code, cookie), None)}

async def refresh(auth, step):
    return {"refreshed": await auth.refresh_user(User(step["name"], step["auth_state"]), None)}

async def answer(step):
    try:
        return await {"login": login, "refresh": refresh}[step["op"]](authenticator(step), step)
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}

async def main():
    for line in sys.stdin:
        print(json.dumps(await answer(json.loads(line))), flush=True)

if __name__ == "__main__":
    asyncio.run(main())
"""


def in_hub_python():
    """Whether this interpreter is the hub's Python (`npm run test:python` runs this module in
    chart 4.4.0's): then the driver runs here, its OAuthenticator already imported."""
    import importlib.util

    return os.environ.get("HUB_CHART_VERSION") == "4.4.0" and importlib.util.find_spec("oauthenticator") is not None


class InProcessDriver:
    """DRIVER's steps in this process, on one event loop as its main() has."""

    def __init__(self):
        import asyncio

        self.namespace = {"__name__": "keycloak_driver"}
        exec(DRIVER, self.namespace)
        self.loop = asyncio.new_event_loop()

    def ask(self, step):
        # A JSON round trip, as the driver process's answers take.
        return json.loads(json.dumps(self.loop.run_until_complete(self.namespace["answer"](step))))

    def close(self):
        self.loop.close()


class ProcessDriver:
    """DRIVER as a process of the hub's Python: one step a line on stdin, one answer on stdout."""

    def __init__(self):
        self.process = subprocess.Popen([hub_python(), "-c", DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def ask(self, step):
        self.process.stdin.write(json.dumps(step) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"the hub's Python exited: {self.process.stderr.read()[-3000:]}")
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.process.stdout.close()
        self.process.stderr.close()


@unittest.skipUnless(in_hub_python() or hub_python(), "the hub's venv for chart 4.4.0 is not made yet (tests/harness/hubPython.ts makes it; or set REALHUB_PYTHON)")
class RealOAuthLoginThroughTheFake(unittest.TestCase):
    """The real GenericOAuthenticator logs in through the fake."""
    @classmethod
    def setUpClass(cls):
        cls.ca = throwaway_ca.cas().a.ca
        cls.cert = throwaway_ca.server_cert(dns=("auth.home.arpa",))
        rendered_homelab()
        cls.hub = InProcessDriver() if in_hub_python() else ProcessDriver()

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def setUp(self):
        self.realm = realm_from_resources(rendered_homelab(), CLIENT_SECRET)
        self.fake = FakeKeycloak(self.realm, tls=self.cert, issuer_base_url="https://auth.home.arpa").start()
        self.addCleanup(self.fake.stop)

    def run_hub(self, step, secret=CLIENT_SECRET):
        # The hub reaches the fake at its loopback port; tokens still name https://auth.home.arpa.
        base = f"https://127.0.0.1:{self.fake.port}"
        endpoints = {k: v.replace(self.fake.issuer_base_url, base) for k, v in self.fake.endpoints.items()}
        return self.hub.ask({"values": _rendered["values"], "endpoints": endpoints, "secret": secret, "ca": self.ca, **step})

    def login(self, name=None, broker=None, secret=CLIENT_SECRET):
        return self.run_hub({"op": "login", "headers": {LOGIN_HEADER: name} if name else {BROKER_HEADER: broker}}, secret)

    def test_each_homelab_user_logs_in_with_their_groups_and_admin_from_the_claim(self):
        models = {name: self.login(name)["model"] for name in ("maria", "noah", "lena")}
        self.assertEqual({n: (m["name"], m["admin"], m["groups"]) for n, m in models.items()}, {
            "maria": ("maria", True, ["gpu", "jupyterhub", "jupyterhub-admins", "lab"]),
            "noah": ("noah", False, ["jupyterhub"]),
            "lena": ("lena", False, ["gpu", "jupyterhub"]),
        })
        state = models["maria"]["auth_state"]
        self.assertEqual(state["oauth_user"]["preferred_username"], "maria")
        self.assertEqual(state["scope"], ["openid", "email", "profile"])
        self.assertEqual([r.client_auth for r in self.fake.requests_to("token")], ["client_secret_post"] * 3)
        token_form = self.fake.requests_to("token")[0].form
        self.assertEqual(sorted(token_form), ["client_id", "client_secret", "code", "code_verifier", "data", "grant_type", "redirect_uri"])

    def test_a_user_outside_the_login_group_is_refused_and_an_unlinked_account_gets_no_code(self):
        self.realm.remove_member("jupyterhub", "noah")
        self.assertEqual(self.login("noah"), {"model": None})  # check_allowed: not in allowed_groups
        self.assertEqual(self.login(broker="google 999999999999999999999"), {"page": 401})
        self.assertEqual(self.login(broker=f"google {MARIA_GOOGLE}")["model"]["name"], "maria")
        self.assertEqual(len(self.fake.requests_to("token")), 2)

    def test_a_wrong_client_secret_fails_the_login(self):
        self.assertEqual(self.login("maria", secret="wrong"), {"error": "HTTPClientError: HTTP 401: Unauthorized"})
        self.assertEqual([r.status for r in self.fake.requests_to("token")], [401])

    def test_before_a_spawn_the_hub_refreshes_with_the_refresh_token_and_sees_group_changes(self):
        state = self.login("lena")["model"]["auth_state"]
        self.fake.advance(301)  # the access token has expired; the refresh token has not
        self.realm.remove_member("gpu", "lena")
        refreshed = self.run_hub({"op": "refresh", "name": "lena", "auth_state": state})["refreshed"]
        self.assertEqual(refreshed["groups"], ["jupyterhub"])
        self.assertEqual([r.status for r in self.fake.requests_to("userinfo")], [200, 401, 200])
        self.assertEqual([r.form.get("grant_type") for r in self.fake.requests_to("token")], ["authorization_code", "refresh_token"])
        self.realm.disable("lena")
        self.assertEqual(self.run_hub({"op": "refresh", "name": "lena", "auth_state": refreshed["auth_state"]}), {"refreshed": False})


if __name__ == "__main__":
    unittest.main()
