"""What Keycloak checks of a redirect URI and of PKCE, as pure functions (keycloak/keycloak,
services/src/main/java/org/keycloak/protocol/oidc/...): utils/RedirectUtils.verifyRedirectUri,
endpoints/AuthorizationEndpointChecker.checkPKCEParams, utils/PkceUtils. Used by keycloak.py.
"""

import hashlib
import posixpath
import re
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

from keycloak_tokens import b64url

PKCE_LENGTHS = (43, 128)
PKCE_CHARACTERS = re.compile(r"^[0-9a-zA-Z\-._~]+$")


def add_query(url, params):
    parts = urlsplit(url)
    extra = urlencode(params)
    query = f"{parts.query}&{extra}" if parts.query and extra else (parts.query or extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _decode_path(uri):
    """RedirectUtils.decodeRedirectUri: percent-decoded up to five times, query and fragment kept."""
    parts = urlsplit(uri)
    head = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    for _ in range(5):
        decoded = unquote(head)
        if decoded == head:
            return urlunsplit(urlsplit(decoded)[:3] + (parts.query, parts.fragment))
        head = decoded
    return None


def _normalize(uri):
    parts = urlsplit(uri)
    path = parts.path
    if path:
        normalized = posixpath.normpath(path)
        if path.endswith("/") and not normalized.endswith("/"):
            normalized += "/"
        path = normalized if path.startswith("/") else path
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def _lower_host(uri):
    index = uri.find("/", 7)
    return uri.lower() if index == -1 else uri[:index].lower() + uri[index:]


def verify_redirect_uri(redirect_uri, valid_redirects, root_url, required):
    """RedirectUtils.verifyRedirectUri: the redirect URI to use, or None when it is not allowed."""
    if redirect_uri is None:
        if required or len(valid_redirects) != 1:
            return None
        only = valid_redirects[0]
        return only[: only.index("/*")] if "/*" in only else only
    decoded = _decode_path(redirect_uri)
    if decoded is None or not valid_redirects:
        return None
    candidate = _lower_host(_normalize(decoded))
    resolved = [(root_url.rstrip("/") if root_url else "") + v if v.startswith("/") else v for v in valid_redirects]
    for valid in resolved:
        if valid.endswith("*") and "?" not in valid:
            bare = candidate.split("?", 1)[0]
            prefix = valid[:-1]
            if bare.startswith(prefix) or (prefix.endswith("/") and bare == prefix[:-1]):
                return candidate
        elif valid == candidate:
            return candidate
    return None


def check_pkce_request(client_method, challenge, method):
    """AuthorizationEndpointChecker.checkPKCEParams: an error description, or None."""
    if client_method:
        if method is None:
            return "Missing parameter: code_challenge_method"
        if method != client_method:
            return "Invalid parameter: code challenge method is not matching the configured one"
        if challenge is None:
            return "Missing parameter: code_challenge"
    else:
        if challenge is None and method is not None:
            return "Missing parameter: code_challenge"
        if challenge is None:
            return None
        if method is not None and method not in ("S256", "plain"):
            return "Invalid parameter: code_challenge_method"
    if not (PKCE_LENGTHS[0] <= len(challenge) <= PKCE_LENGTHS[1]) or not PKCE_CHARACTERS.match(challenge):
        return "Invalid parameter: code_challenge"
    return None


def check_pkce_verifier(challenge, method, verifier):
    """utils/PkceUtils: an error description for the token request, or None. An enforcing client's
    codes always carry a challenge (the authorization endpoint demanded one), so both of
    PkceUtils' cases come to this."""
    if challenge is None:
        if verifier is not None:
            return "PKCE code verifier specified but challenge not present in authorization"
        return None
    if verifier is None:
        return "PKCE code verifier not specified"
    if not (PKCE_LENGTHS[0] <= len(verifier) <= PKCE_LENGTHS[1]) or not PKCE_CHARACTERS.match(verifier):
        return "PKCE verification failed: Invalid code verifier"
    encoded = b64url(hashlib.sha256(verifier.encode("ascii")).digest()) if method == "S256" else verifier
    if encoded != challenge:
        return "PKCE verification failed: Code mismatch"
    return None
