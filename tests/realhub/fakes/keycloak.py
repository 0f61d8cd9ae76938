"""A fake Keycloak for the real-hub tier: one realm, built from the stack's own Keycloak resources
(keycloak_realm.realm_from_resources), served over HTTPS at the realm's OpenID Connect endpoints
the way Keycloak 26 answers them, inconvenient parts included. Standard library only.

Endpoints (under /realms/<realm>/):
- .well-known/openid-configuration, protocol/openid-connect/certs: discovery and the RS256 JWK.
- protocol/openid-connect/auth (GET or form POST). Checks in Keycloak's order
  (protocol/oidc/endpoints/AuthorizationEndpoint.process, AuthorizationEndpointChecker):
  client_id missing / unknown / disabled, then redirect_uri not valid for the client
  (utils/RedirectUtils.verifyRedirectUri: decoded, normalised, host lower-cased, exact match or a
  trailing-* prefix, relative ones against rootUrl; required for OIDC): an ERROR PAGE (400, "We
  are sorry..." and e.g. "Invalid parameter: redirect_uri"; JSON {"error": message} to a client
  that accepts only JSON: FreeMarkerLoginFormsProvider.createErrorPage) and NO redirect.
  After that, errors go back to the client as a redirect (error, error_description, state, iss):
  response_type missing/unsupported, standard flow disabled, unknown scope (invalid_scope),
  PKCE (a client with pkceCodeChallengeMethod demands code_challenge_method equal to it and a
  43-128 character code_challenge), prompt=none (login_required: the fake keeps no SSO cookie).
- The person at the login page. Keycloak then shows its login form; here the HTTP client says who
  is at the browser with one header on the request to /auth (or /logout):
    X-Fake-Keycloak-Login: <username or email>   typed at the username/password form, with the
                                                 right password;
    X-Fake-Keycloak-Broker: <alias> <account id>  signed in at Google/GitHub as that account (the
                                                 provider's immutable user id, e.g. Google's sub).
  Without either: the login page (200), and no code. An unknown username: the login page again
  with "Invalid username or password." (200: a form error is no HTTP error); a disabled user:
  "Account is disabled, contact your administrator." (authenticators/browser/
  AbstractUsernameFormAuthenticator). A brokered account linked to a user logs in as that user
  (IdentityBrokerService: getUserByFederatedIdentity), a disabled one gets the error page; one
  linked to nobody runs the provider's first broker login flow, which in this project is one
  deny-access-authenticator: a 401 error page with its configured message
  (authenticators/access/DenyAccessAuthenticator). On success: a new user session and a 302 to
  redirect_uri?state=…&session_state=…&iss=…&code=… (OIDCLoginProtocol.authenticated).
- protocol/openid-connect/token (POST). Order (TokenEndpoint, AuthorizeClientUtil): grant_type
  missing -> 400 invalid_request "Missing form parameter: grant_type"; unsupported -> 400
  unsupported_grant_type; client authentication, client_secret_basic or client_secret_post
  (authenticators/client/ClientIdAndSecretAuthenticator, AuthenticationProcessor.
  handleClientAuthException): no client_id -> 400 invalid_client "Missing client_id parameter";
  unknown or disabled client -> 401 invalid_client, wrong or missing secret -> 401
  unauthorized_client (sic), both "Invalid client or Invalid client credentials"; a repeated form
  parameter -> 400 invalid_request "duplicated parameter". Then the grant:
  authorization_code (grants/AuthorizationCodeGrantType): codes are single use and spent by the
  first attempt whatever its outcome (OAuth2CodeParser removes them); a second use answers
  invalid_grant "Code not valid" AND detaches the session from the client, so the tokens of the
  first use stop working; expired (accessCodeLifespan, 60 s) "Code is expired"; "User disabled";
  redirect_uri not the one of the authorization request "Incorrect redirect_uri"; another
  client's code "Auth error: Found different client_id in clientSession"; PKCE
  (utils/PkceUtils): "PKCE code verifier not specified", "PKCE verification failed: Invalid code
  verifier" / "...: Code mismatch". refresh_token (TokenManager.refreshAccessToken/validateToken):
  "Invalid refresh token", "Token is not active", "Session not active", "User disabled",
  "Session doesn't have required client", "Invalid refresh token. Token client and authorized
  client don't match". Errors are JSON {"error", "error_description"}; success adds
  Cache-Control: no-store and Pragma: no-cache.
- protocol/openid-connect/userinfo (GET, or POST with a form): errors carry no body, only
  WWW-Authenticate: Bearer realm="<realm>", error="…", error_description="…" (utils/OAuth2Error
  with json(false); endpoints/UserInfoEndpoint): no token -> 401 with a bare Bearer challenge; bad
  signature, expired, wrong issuer -> invalid_token "Token verification failed"; no openid scope
  -> 403 insufficient_scope "Missing openid scope"; session gone or detached ->
  "user_session_not_found"; session past its idle/max lifespan -> "session_expired"; disabled user
  -> "User disabled". Claims are computed from the realm as it is NOW (a group removed since login
  is gone from the claim): sub, email_verified, preferred_username, email, names if set, and every
  client role mapper of the token's client with addToUserinfo.
- protocol/openid-connect/logout (LogoutEndpoint): post_logout_redirect_uri needs client_id or
  id_token_hint (else error page "Missing parameter: id_token_hint"); it must be one of the
  client's validPostLogoutRedirectUris (else error page "Invalid redirect uri"); without
  id_token_hint Keycloak asks "Do you want to log out?" (200). The person confirming (the login
  header) ends their sessions and goes to post_logout_redirect_uri (with state).

Tokens: access and ID tokens are RS256 JWTs (kid at /certs), refresh tokens HS512 JWTs
(keycloak_tokens.py). OAuthenticator 17.4.0 verifies none of them: it sends the access token to
userinfo, and decodes the ID token (unverified signature, verified aud and exp) only with
userdata_from_id_token, which the hub does not set (oauth2.py token_to_user).

The fake runs on a clock of its own (advance()) and records every request (`requests`), with the
client secret, Authorization values, codes and tokens replaced by "[secret]".
"""

import base64
import hmac
import html
import json
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from keycloak_checks import add_query, check_pkce_request, check_pkce_verifier, verify_redirect_uri
from keycloak_realm import Realm, RealmError, realm_from_resources
from keycloak_tokens import Signer, at_hash
from loopback_server import Serving

__all__ = ["FakeKeycloak", "Realm", "RealmError", "realm_from_resources", "LOGIN_HEADER", "BROKER_HEADER", "RecordedRequest"]

LOGIN_HEADER = "X-Fake-Keycloak-Login"
BROKER_HEADER = "X-Fake-Keycloak-Broker"
SECRET = "[secret]"

# Client scopes a new realm offers every client, default or optional (RealmManager: default
# client scopes); another requested scope is refused (TokenManager.isValidScope).
KNOWN_SCOPES = {"openid", "basic", "profile", "email", "roles", "web-origins", "acr", "offline_access", "address", "phone", "microprofile-jwt", "organization"}
# Of those, what the token response's `scope` lists (include.in.token.scope).
SCOPES_IN_TOKEN = {"profile", "email", "offline_access", "address", "phone", "microprofile-jwt", "organization"}
DEFAULT_SCOPES = {"profile", "email"}


class Form(dict):
    """A form's fields (the first of each name), and every (name, value) pair as sent."""

    def __init__(self, pairs=()):
        super().__init__()
        self.pairs = list(pairs)
        for name, value in self.pairs:
            self.setdefault(name, value)


class _Reply(Exception):
    """Ends a request with this response."""

    def __init__(self, status, body=b"", content_type=None, headers=None):
        super().__init__(status)
        self.status, self.body, self.content_type, self.headers = status, body, content_type, dict(headers or {})


def _json_error(status, error, description=None):
    body = {"error": error} if description is None else {"error": error, "error_description": description}
    return _Reply(status, json.dumps(body).encode(), "application/json")


def _page(title, body):
    return f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head><body>{body}</body></html>\n'.encode()


@dataclass
class RecordedRequest:
    method: str
    endpoint: str  # auth, token, userinfo, certs, discovery, logout, or the path when unknown
    query: dict
    form: dict
    headers: dict
    status: int = 0
    client_auth: str | None = None  # client_secret_basic or client_secret_post, as sent
    person: str | None = None  # what the login or broker header said


@dataclass
class UserSession:
    id: str
    username: str
    started: int
    last_refresh: int
    clients: dict = field(default_factory=dict)  # clientId -> time the client joined
    ended: bool = False


@dataclass
class Code:
    session_id: str
    client_id: str
    redirect_uri: str | None
    scope: str
    nonce: str | None
    challenge: str | None
    challenge_method: str | None
    expires: int


_shared_signer = None
_signer_lock = threading.Lock()


def shared_signer():
    """One RSA key per process: making one still takes a tenth of a second or so."""
    global _shared_signer
    with _signer_lock:
        if _shared_signer is None:
            _shared_signer = Signer()
        return _shared_signer


class FakeKeycloak:
    """Serves `realm` at https://host:port/realms/<realm>/... with the TLS certificate `tls`
    ((certfile, keyfile)); `issuer_base_url` is what Keycloak calls itself (its hostname setting),
    e.g. "https://auth.home.arpa", by default https://host:port."""

    def __init__(self, realm, *, host="127.0.0.1", port=0, tls=None, issuer_base_url=None, signer=None):
        if tls is None:
            raise ValueError("FakeKeycloak serves HTTPS only, as the hub reaches Keycloak: pass tls=(certfile, keyfile)")
        self.realm = realm
        self.signer = signer or shared_signer()
        self.requests = []
        self.sessions = {}  # id -> UserSession
        self._codes = {}
        self._spent_codes = {}  # code -> session id, to detach on reuse
        self._epoch = int(time.time())
        self._offset = 0
        self._lock = threading.RLock()
        self._server = _server(self, host, port, tls)
        self.host, self.port = self._server.server_address[:2]
        self.issuer_base_url = (issuer_base_url or (f"https://{host}" if self.port == 443 else f"https://{host}:{self.port}")).rstrip("/")
        self._serving = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self):
        self._serving = Serving(self._server).start()
        return self

    def stop(self):
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- what tests read and do ----------------------------------------------------------------

    @property
    def issuer(self):
        return f"{self.issuer_base_url}/realms/{quote(self.realm.name, safe='')}"

    @property
    def endpoints(self):
        openid = f"{self.issuer}/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorize": f"{openid}/auth",
            "token": f"{openid}/token",
            "userinfo": f"{openid}/userinfo",
            "logout": f"{openid}/logout",
            "certs": f"{openid}/certs",
            "discovery": f"{self.issuer}/.well-known/openid-configuration",
        }

    def now(self):
        return self._epoch + self._offset

    def advance(self, seconds):
        """Move Keycloak's clock: codes, tokens and sessions expire as they would."""
        with self._lock:
            self._offset += int(seconds)

    def requests_to(self, endpoint):
        return [r for r in self.requests if r.endpoint == endpoint]

    def active_sessions(self, username=None):
        with self._lock:
            return [s for s in self.sessions.values() if self._session_valid(s) and (username is None or s.username == username)]

    # --- dispatch --------------------------------------------------------------------------------

    def handle(self, method, path, query, form, headers, record):
        prefix = f"/realms/{quote(self.realm.name, safe='')}"
        if not path.startswith("/realms/"):
            raise _json_error(404, "Unable to find matching target resource method", "For more on this error consult the server log.")
        if not (path == prefix or path.startswith(prefix + "/")):
            raise _json_error(404, "Realm does not exist")
        rest = path[len(prefix):]
        routes = {
            "/.well-known/openid-configuration": ("discovery", ("GET",), self._discovery),
            "/protocol/openid-connect/certs": ("certs", ("GET",), self._certs),
            "/protocol/openid-connect/auth": ("auth", ("GET", "POST"), self._authorize),
            "/protocol/openid-connect/token": ("token", ("POST",), self._token),
            "/protocol/openid-connect/userinfo": ("userinfo", ("GET", "POST"), self._userinfo),
            "/protocol/openid-connect/logout": ("logout", ("GET", "POST"), self._logout),
        }
        if rest not in routes:
            raise _json_error(404, "Unable to find matching target resource method", "For more on this error consult the server log.")
        record.endpoint, methods, handler = routes[rest]
        if method not in methods:
            raise _Reply(405, b"", None, {"Allow": ", ".join(methods)})
        if not self.realm.enabled:
            raise self._error_page(headers, 400, "Realm not enabled.")
        with self._lock:
            return handler(method, query, form, headers, record)

    # --- discovery -------------------------------------------------------------------------------

    def _discovery(self, method, query, form, headers, record):
        e = self.endpoints
        return _Reply(200, json.dumps({
            "issuer": e["issuer"],
            "authorization_endpoint": e["authorize"],
            "token_endpoint": e["token"],
            "userinfo_endpoint": e["userinfo"],
            "end_session_endpoint": e["logout"],
            "jwks_uri": e["certs"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "userinfo_signing_alg_values_supported": ["none"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "scopes_supported": sorted(KNOWN_SCOPES),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "preferred_username", "email", "email_verified", "name", "given_name", "family_name"],
            "authorization_response_iss_parameter_supported": True,
        }).encode(), "application/json")

    def _certs(self, method, query, form, headers, record):
        return _Reply(200, json.dumps({"keys": [self.signer.rsa.jwk()]}).encode(), "application/json")

    # --- authorization endpoint ------------------------------------------------------------------

    def _authorize(self, method, query, form, headers, record):
        params = form if method == "POST" else query
        client_id = params.get("client_id")
        if client_id is None:
            raise self._error_page(headers, 400, "Missing parameter: client_id")
        client = self.realm.clients.get(client_id)
        if client is None:
            raise self._error_page(headers, 400, "Client not found.")
        if not client.enabled:
            raise self._error_page(headers, 400, "Client disabled.")
        if client.bearer_only:
            raise self._error_page(headers, 403, "Bearer-only applications are not allowed to initiate browser login.")
        scope = params.get("scope") or ""
        requested = scope.split()
        redirect_uri = verify_redirect_uri(params.get("redirect_uri"), client.redirect_uris, client.root_url, required="openid" in requested)
        if redirect_uri is None:
            raise self._error_page(headers, 400, "Invalid parameter: redirect_uri")
        state = params.get("state")

        def back(error, description=None):
            query = {"error": error}
            if description is not None:
                query["error_description"] = description
            if state is not None:
                query["state"] = state
            query["iss"] = self.issuer
            return _Reply(302, b"", None, {"Location": add_query(redirect_uri, query)})

        response_type = params.get("response_type")
        if response_type is None:
            raise back("invalid_request", "Missing parameter: response_type")
        if response_type != "code":
            # The fake implements the code flow only; Keycloak would also take implicit/hybrid
            # types when the client allows them, which this project's client does not.
            raise back("unsupported_response_type")
        if not client.standard_flow:
            raise back("unauthorized_client", "Client is not allowed to initiate browser login with given response_type. Standard flow is disabled for the client.")
        unknown = [s for s in requested if s not in KNOWN_SCOPES]
        if unknown:
            raise back("invalid_scope", f"Invalid scopes: {scope}")
        challenge, challenge_method = params.get("code_challenge"), params.get("code_challenge_method")
        pkce_error = check_pkce_request(client.pkce_method, challenge, challenge_method)
        if pkce_error:
            raise back("invalid_request", pkce_error)
        if challenge is not None and challenge_method is None:
            challenge_method = "plain"  # RFC 7636 4.3
        if params.get("prompt") == "none":
            raise back("login_required")  # no SSO cookie here: nobody is logged in already

        user = self._person(headers, record)
        session = UserSession(id=str(uuid.uuid4()), username=user.username, started=self.now(), last_refresh=self.now())
        session.clients[client.client_id] = self.now()
        self.sessions[session.id] = session
        code = f"{uuid.uuid4()}.{session.id}.{uuid.uuid5(uuid.NAMESPACE_URL, client.client_id)}"
        self._codes[code] = Code(
            session_id=session.id,
            client_id=client.client_id,
            redirect_uri=params.get("redirect_uri"),
            scope=scope,
            nonce=params.get("nonce"),
            challenge=challenge,
            challenge_method=challenge_method,
            expires=self.now() + self.realm.access_code_lifespan,
        )
        answer = {}
        if state is not None:
            answer["state"] = state
        answer["session_state"] = session.id
        answer["iss"] = self.issuer
        answer["code"] = code
        return _Reply(302, b"", None, {"Location": add_query(redirect_uri, answer)})

    def _person(self, headers, record):
        """The user the person at the browser logs in as, or the page Keycloak shows instead."""
        typed, brokered = headers.get(LOGIN_HEADER.lower()), headers.get(BROKER_HEADER.lower())
        record.person = typed or brokered
        if typed is not None:
            user = self.realm.find_user(typed)
            if user is None:
                raise self._login_page("Invalid username or password.")
            if not user.enabled:
                raise self._login_page("Account is disabled, contact your administrator.")
            return user
        if brokered is not None:
            alias, _, account = brokered.partition(" ")
            provider = self.realm.identity_providers.get(alias)
            if provider is None or not provider.enabled:
                raise self._error_page(headers, 400, "Could not find an identity provider with the identifier.")
            user = self.realm.linked_user(alias, account.strip())
            if user is None:
                flow = self.realm.flows[provider.first_login_flow]
                raise self._error_page(headers, 401, flow.deny_message)
            if not user.enabled:
                raise self._error_page(headers, 400, "Account is disabled, contact your administrator.")
            return user
        raise self._login_page(None)

    def _login_page(self, error):
        realm = self.realm.display_name or self.realm.name
        providers = "".join(f'<a id="social-{html.escape(a)}" href="#">{html.escape(a.capitalize())}</a>' for a in self.realm.identity_providers)
        message = f'<span id="input-error" aria-live="polite">{html.escape(error)}</span>' if error else ""
        body = (
            f'<h1 id="kc-page-title">Sign in to your account</h1>{message}'
            '<form id="kc-form-login" method="post"><input id="username" name="username"/>'
            '<input id="password" name="password" type="password"/><input type="submit" name="login" value="Sign In"/></form>'
            f'<div id="kc-social-providers">{providers}</div>'
        )
        return _Reply(200, _page(f"Sign in to {realm}", body), "text/html;charset=utf-8")

    def _error_page(self, headers, status, message):
        accept = headers.get("accept", "")
        if "application/json" in accept and "text/html" not in accept:
            return _Reply(status, json.dumps({"error": message}).encode(), "application/json")
        realm = self.realm.display_name or self.realm.name
        body = f'<h1 id="kc-page-title">We are sorry...</h1><p class="instruction" id="kc-error-message">{html.escape(message)}</p>'
        return _Reply(status, _page(realm, body), "text/html;charset=utf-8")

    # --- token endpoint --------------------------------------------------------------------------

    def _token(self, method, query, form, headers, record):
        pairs = form.pairs
        grant_type = form.get("grant_type")
        if grant_type is None:
            raise _json_error(400, "invalid_request", "Missing form parameter: grant_type")
        if grant_type not in ("authorization_code", "refresh_token", "password", "client_credentials"):
            raise _json_error(400, "unsupported_grant_type", "Unsupported grant_type")
        client = self._authenticate_client(form, headers, record)
        names = [name for name, _ in pairs]
        if len(names) != len(set(names)):
            raise _json_error(400, "invalid_request", "duplicated parameter")
        if grant_type == "password":
            if not client.direct_access_grants:
                raise _json_error(400, "unauthorized_client", "Client not allowed for direct access grants")
            raise _json_error(501, "not_implemented", "the fake Keycloak has no passwords")
        if grant_type == "client_credentials":
            if not client.service_accounts:
                raise _json_error(400, "unauthorized_client", "Client not enabled to retrieve service account")
            raise _json_error(501, "not_implemented", "the fake Keycloak has no service accounts")
        if grant_type == "authorization_code":
            return self._code_grant(client, form)
        return self._refresh_grant(client, form)

    def _authenticate_client(self, form, headers, record):
        client_id, secret = None, None
        authorization = headers.get("authorization")
        if authorization:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() == "basic":
                try:
                    decoded = base64.b64decode(credentials.strip(), validate=True).decode()
                    # RFC 6749 2.3.1: both parts form-urlencoded (BasicAuthHelper.RFC6749).
                    user, _, password = decoded.partition(":")
                    client_id, secret = unquote(user.replace("+", " ")), unquote(password.replace("+", " "))
                    record.client_auth = "client_secret_basic"
                except (ValueError, UnicodeDecodeError):
                    pass
            elif "client_id" not in form:
                raise _Reply(401, b"", None, {"WWW-Authenticate": f'Basic realm="{self.realm.name}"'})
        if "client_id" in form:
            client_id = form["client_id"]
        if "client_secret" in form:
            secret = form["client_secret"]
            record.client_auth = "client_secret_post"
        if client_id is None:
            raise _json_error(400, "invalid_client", "Missing client_id parameter")
        client = self.realm.clients.get(client_id)
        if client is None or not client.enabled:
            raise _json_error(401, "invalid_client", "Invalid client or Invalid client credentials")
        if client.secret is not None and (secret is None or not _same(secret, client.secret)):
            raise _json_error(401, "unauthorized_client", "Invalid client or Invalid client credentials")
        if client.bearer_only:
            raise _json_error(400, "invalid_client", "Bearer-only not allowed")
        return client

    def _code_grant(self, client, form):
        code = form.get("code")
        if code is None:
            raise _json_error(400, "invalid_request", "Missing parameter: code")
        data = self._codes.pop(code, None)
        if data is None:
            spent = self._spent_codes.get(code)
            if spent is not None and spent[0] in self.sessions:
                # "Attempt to use same code twice should invalidate existing clientSession"
                self.sessions[spent[0]].clients.pop(spent[1], None)
            raise _json_error(400, "invalid_grant", "Code not valid")
        self._spent_codes[code] = (data.session_id, data.client_id)
        if self.now() > data.expires:
            raise _json_error(400, "invalid_grant", "Code is expired")
        session = self.sessions.get(data.session_id)
        if session is None or session.ended or data.client_id not in session.clients:
            raise _json_error(400, "invalid_grant", "User session not found")
        user = self.realm.users.get(session.username)
        if user is None:
            raise _json_error(400, "invalid_grant", "User not found")
        if not user.enabled:
            raise _json_error(400, "invalid_grant", "User disabled")
        if data.redirect_uri is not None and data.redirect_uri != form.get("redirect_uri"):
            raise _json_error(400, "invalid_grant", "Incorrect redirect_uri")
        if client.client_id != data.client_id:
            raise _json_error(400, "invalid_grant", "Auth error: Found different client_id in clientSession")
        if not client.standard_flow:
            raise _json_error(400, "invalid_grant", "Client not allowed to exchange code")
        if not self._session_valid(session):
            raise _json_error(400, "invalid_grant", "Session not active")
        pkce_error = check_pkce_verifier(data.challenge, data.challenge_method, form.get("code_verifier"))
        if pkce_error:
            raise _json_error(400, "invalid_grant", pkce_error)
        return self._token_response(client, user, session, data.scope, data.nonce)

    def _refresh_grant(self, client, form):
        encoded = form.get("refresh_token")
        if encoded is None:
            raise _json_error(400, "invalid_request", "Missing form parameter: refresh_token")
        token = self.signer.decode(encoded, "HS512")
        if token is None or token.get("typ") != "Refresh" or token.get("iss") != self.issuer:
            raise _json_error(400, "invalid_grant", "Invalid refresh token")
        if token.get("exp", 0) < self.now():
            raise _json_error(400, "invalid_grant", "Token is not active")
        session = self.sessions.get(token.get("sid"))
        if session is None or not self._session_valid(session):
            raise _json_error(400, "invalid_grant", "Session not active")
        user = self.realm.users.get(session.username)
        if user is None:
            raise _json_error(400, "invalid_grant", "Invalid refresh token")
        if not user.enabled:
            raise _json_error(400, "invalid_grant", "User disabled")
        if client.client_id not in session.clients:
            raise _json_error(400, "invalid_grant", "Session doesn't have required client")
        if token.get("azp") != client.client_id:
            raise _json_error(400, "invalid_grant", "Invalid refresh token. Token client and authorized client don't match")
        session.last_refresh = self.now()
        return self._token_response(client, user, session, token.get("scope", ""), None)

    def _token_response(self, client, user, session, scope, nonce):
        now = self.now()
        requested = set(scope.split())
        granted = ["openid"] if "openid" in requested else []
        granted += sorted((requested & SCOPES_IN_TOKEN) | DEFAULT_SCOPES)
        scope_text = " ".join(granted)
        refresh_expires = min(now + self.realm.sso_idle_timeout, session.started + self.realm.sso_max_lifespan)
        access_expires = min(now + self.realm.access_token_lifespan, session.started + self.realm.sso_max_lifespan)
        user_claims = self.realm.user_claims(user)
        roles = self.realm.client_roles(user.username, client.client_id)
        access = {
            "exp": access_expires, "iat": now, "auth_time": session.started, "jti": str(uuid.uuid4()),
            "iss": self.issuer, "aud": "account", "sub": user.id, "typ": "Bearer", "azp": client.client_id,
            "sid": session.id, "acr": "1", "allowed-origins": list(client.web_origins),
            # A new realm's default roles (default-roles-<realm>: offline_access, uma_authorization
            # and the account client's manage-account, view-profile), and the client's own roles:
            # the `roles` client scope's mappers, access token only.
            "realm_access": {"roles": [f"default-roles-{self.realm.name}", "offline_access", "uma_authorization"]},
            "resource_access": {"account": {"roles": ["manage-account", "manage-account-links", "view-profile"]}},
            "scope": scope_text,
            **user_claims,
        }
        if roles:
            access["resource_access"][client.client_id] = {"roles": roles}
        access.update(self.realm.mapper_claims(user, client.client_id, "access"))
        access_token = self.signer.encode(access)
        refresh = {
            "exp": refresh_expires, "iat": now, "jti": str(uuid.uuid4()), "iss": self.issuer, "aud": self.issuer,
            "sub": user.id, "typ": "Refresh", "azp": client.client_id, "sid": session.id, "scope": scope_text,
        }
        body = {
            "access_token": access_token,
            "expires_in": access_expires - now,
            "refresh_expires_in": refresh_expires - now,
            "refresh_token": self.signer.encode(refresh, "HS512"),
            "token_type": "Bearer",
        }
        if "openid" in requested:
            id_token = {
                "exp": access_expires, "iat": now, "auth_time": session.started, "jti": str(uuid.uuid4()),
                "iss": self.issuer, "aud": client.client_id, "sub": user.id, "typ": "ID", "azp": client.client_id,
                **({"nonce": nonce} if nonce else {}),
                "sid": session.id, "at_hash": at_hash(access_token), "acr": "1",
                **user_claims,
                **self.realm.mapper_claims(user, client.client_id, "id"),
            }
            body["id_token"] = self.signer.encode(id_token)
        body["not-before-policy"] = 0
        body["session_state"] = session.id
        body["scope"] = scope_text
        return _Reply(200, json.dumps(body).encode(), "application/json", {"Cache-Control": "no-store", "Pragma": "no-cache"})

    # --- userinfo --------------------------------------------------------------------------------

    def _userinfo(self, method, query, form, headers, record):
        def refuse(status, error=None, description=None):
            challenge = f'Bearer realm="{self.realm.name}"'
            if error:
                challenge += f', error="{error}", error_description="{description}"'
            return _Reply(status, b"", "text/plain;charset=utf-8", {"WWW-Authenticate": challenge})

        tokens = []
        authorization = headers.get("authorization")
        if authorization and authorization.split(" ", 1)[0].lower() == "bearer":
            tokens.append(authorization.split(" ", 1)[1].strip())
        if method == "POST" and "access_token" in form:
            tokens.append(form["access_token"])
        if len(tokens) > 1:
            raise _json_error(400, "invalid_request", "More than one method used for including an access token")
        if not tokens:
            raise refuse(401)
        token = self.signer.decode(tokens[0], "RS256")
        if token is None or token.get("typ") != "Bearer" or token.get("iss") != self.issuer or token.get("exp", 0) < self.now():
            raise refuse(401, "invalid_token", "Token verification failed")
        if "openid" not in str(token.get("scope", "")).split():
            raise refuse(403, "insufficient_scope", "Missing openid scope")
        client = self.realm.clients.get(token.get("azp"))
        if client is None:
            raise refuse(401, "invalid_token", "Client not found")
        if not client.enabled:
            raise refuse(401, "invalid_token", "Client disabled")
        session = self.sessions.get(token.get("sid"))
        if session is None or session.ended or client.client_id not in session.clients:
            raise refuse(401, "invalid_token", "user_session_not_found")
        if not self._session_valid(session):
            raise refuse(401, "invalid_token", "session_expired")
        user = self.realm.users.get(session.username)
        if user is None:
            raise refuse(401, "invalid_token", "User not found")
        if not user.enabled:
            raise refuse(401, "invalid_token", "User disabled")
        record.person = user.username
        claims = {**self.realm.user_claims(user), **self.realm.mapper_claims(user, client.client_id, "userinfo")}
        return _Reply(200, json.dumps(claims).encode(), "application/json")

    # --- logout ----------------------------------------------------------------------------------

    def _logout(self, method, query, form, headers, record):
        params = form if method == "POST" else query
        redirect, client_id, hint = params.get("post_logout_redirect_uri"), params.get("client_id"), params.get("id_token_hint")
        if redirect is not None and hint is None and client_id is None:
            raise self._error_page(headers, 400, "Missing parameter: id_token_hint")
        client = self.realm.clients.get(client_id) if client_id else None
        if hint is not None:
            claims = self.signer.decode(hint, "RS256")
            if claims is None or claims.get("typ") != "ID":
                raise self._error_page(headers, 400, "Invalid parameter: id_token_hint")
            client = client or self.realm.clients.get(claims.get("azp"))
        if redirect is not None:
            valid = client and verify_redirect_uri(redirect, client.post_logout_redirect_uris, client.root_url, required=True)
            if not valid:
                raise self._error_page(headers, 400, "Invalid redirect uri")
        person = headers.get(LOGIN_HEADER.lower())
        record.person = person
        if person is None:
            realm = self.realm.display_name or self.realm.name
            return _Reply(200, _page(realm, '<h1 id="kc-page-title">Logging out</h1><p>Do you want to log out?</p>'), "text/html;charset=utf-8")
        user = self.realm.find_user(person)
        for session in self.sessions.values():
            if user is not None and session.username == user.username:
                session.ended = True
        if redirect is None:
            realm = self.realm.display_name or self.realm.name
            return _Reply(200, _page(realm, '<h1 id="kc-page-title">You are logged out</h1>'), "text/html;charset=utf-8")
        state = params.get("state")
        return _Reply(302, b"", None, {"Location": add_query(redirect, {"state": state} if state else {})})

    # --- sessions --------------------------------------------------------------------------------

    def _session_valid(self, session):
        """AuthenticationManager.isSessionValid: idle and max lifespan (its small grace skipped)."""
        now = self.now()
        return not session.ended and now <= session.last_refresh + self.realm.sso_idle_timeout and now <= session.started + self.realm.sso_max_lifespan


# --- pure helpers ------------------------------------------------------------------------------


def _same(a, b):
    return hmac.compare_digest(a.encode(), b.encode())


# --- HTTP plumbing -----------------------------------------------------------------------------

SECRET_FIELDS = {"client_secret", "code", "code_verifier", "refresh_token", "access_token", "id_token_hint"}


def _redacted(values):
    return {k: (SECRET if k in SECRET_FIELDS else v) for k, v in values.items()}


def _server(fake, host, port, tls):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY, as Keycloak's Vert.x server sets it (tcpNoDelay defaults to true): with Nagle's
        # algorithm on, the body's TLS record after the headers' waited for the client's delayed ACK,
        # 40 ms an answer.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def _handle(self):
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            form = Form()
            if raw and self.headers.get("Content-Type", "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
                form = Form(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
            headers = {name.lower(): value for name, value in self.headers.items()}
            shown = {n: (v.split(" ", 1)[0] + " " + SECRET if n == "authorization" else v) for n, v in headers.items()}
            record = RecordedRequest(self.command, parts.path, _redacted(query), _redacted(form), shown)
            fake.requests.append(record)
            try:
                reply = fake.handle(self.command, parts.path, query, form, headers, record)
            except _Reply as raised:
                reply = raised
            except RealmError as error:
                reply = _json_error(500, "fake_keycloak_error", str(error))
            record.status = reply.status
            try:
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_PUT = do_DELETE = _handle

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True

        def get_request(self):
            connection, address = super().get_request()
            # The handshake happens in the handler's thread, on its first read.
            return context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address

        def handle_error(self, request, client_address):
            pass  # a client that refused the certificate, or gave up

    return Server((host, port), Handler)
