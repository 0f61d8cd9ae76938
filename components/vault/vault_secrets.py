"""Your own Vault secrets from a notebook, with the token your server was started with.

    import vault_secrets as vault
    vault.put("database", user="me", password="...")   # your path: <prefix>/users/<you>/database
    vault.get("database")["password"]
    vault.names()                                        # what you have stored
    vault.shared("datasets")                             # read-only secrets shared with every user

The token is in the file VAULT_TOKEN_FILE, in memory only (an emptyDir of medium Memory, readable
by you alone). The hub never puts the token itself in the server's pod spec: it puts a one-time
wrapping token there (NOTEBOOK_VAULT_WRAPPING_TOKEN), which the image's start hook unwraps into the
file as the server starts (images/base/before-notebook.d/15-vault-token.sh, which runs
`python3 vault_secrets.py unwrap`). In an image without that hook, the first call here unwraps it;
until then it waits in the pod spec, usable by whoever reads it first, for at most
userTokens.wrapTtl. If someone else unwrapped it first, unwrapping fails and every call here says
so: stop your server (the hub then revokes the token, the stolen copy too) and start it again.

The token lasts a limited time between renewals; every call here renews it once half of that time
has passed, so a notebook that uses it now and then keeps it alive until its hard limit, which the
hub sets beyond the server's maximum age. Tools that speak Vault read it the same way:
`VAULT_TOKEN=$(cat $VAULT_TOKEN_FILE) vault kv get ...`. Standard library only.

Over HTTPS it trusts the system's CAs plus, when VAULT_CACERT names a PEM file, the CAs in that
file (a homelab's own CA). Vault's own CLI reads the same variable but then trusts only that file.
"""

import json
import os
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request

_renewal = {"due": 0.0}
# The TLS context for the current VAULT_CACERT, made once: {"cafile": ..., "context": ...}.
_tls = {}
# The token when the file could not be written (no such directory in this image's pod).
_unwrapped = {}

# Vault's answer to an unwrap of a wrapping token already used, or expired (HTTP 400).
_SPENT = "wrapping token is not valid or does not exist"


class VaultSecretsError(Exception):
    pass


def _address():
    return os.environ["VAULT_ADDR"].rstrip("/")


def _token():
    """The server's token: from VAULT_TOKEN_FILE, else by unwrapping the wrapping token now."""
    path = os.environ.get("VAULT_TOKEN_FILE")
    token = _read_token_file(path)
    if token:
        return token
    if _unwrapped.get("token"):
        return _unwrapped["token"]
    if os.environ.get("NOTEBOOK_VAULT_WRAPPING_TOKEN"):
        return unwrap()
    status = os.environ.get("NOTEBOOK_VAULT_STATUS", "VAULT_TOKEN_FILE and NOTEBOOK_VAULT_WRAPPING_TOKEN are not set")
    raise VaultSecretsError(f"this server has no Vault token ({status})")


def _read_token_file(path):
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip() or None
    except FileNotFoundError:
        return None
    except OSError as error:
        raise VaultSecretsError(f"cannot read the Vault token in {path}: {error.strerror}") from None


def unwrap():
    """Unwrap the server's one-time wrapping token into VAULT_TOKEN_FILE (0600); returns the token.

    POST sys/wrapping/unwrap with the wrapping token as the client token (Vault's
    /sys/wrapping/unwrap API). Vault answers the original reply once; a second unwrap, or one
    after the wrapping TTL, gets 400 "wrapping token is not valid or does not exist".
    """
    path = os.environ.get("VAULT_TOKEN_FILE")
    wrapping = os.environ.get("NOTEBOOK_VAULT_WRAPPING_TOKEN")
    if not wrapping:
        raise VaultSecretsError("this server has no Vault wrapping token (NOTEBOOK_VAULT_WRAPPING_TOKEN is not set)")
    try:
        reply = _post_unwrap(wrapping)
    except VaultSecretsError as error:
        # Another process of this server (a kernel, the start hook) may have won the race.
        token = _read_token_file(path)
        if token:
            return token
        if _SPENT in str(error):
            raise VaultSecretsError(
                "this server's one-time Vault wrapping token was already used or has expired, and this server "
                "has no token: if nothing here unwrapped it, someone else may have. Stop your server (the hub "
                "then revokes its token, whoever holds it) and start it again for a new one."
            ) from None
        raise
    token = ((reply or {}).get("auth") or {}).get("client_token")
    if not token:
        raise VaultSecretsError("Vault's unwrapped reply carried no token")
    if not _write_token_file(path, token):
        _unwrapped["token"] = token
    return token


def _post_unwrap(wrapping):
    request = urllib.request.Request(
        f"{_address()}/v1/sys/wrapping/unwrap", data=b"", method="POST", headers={"X-Vault-Token": wrapping}
    )
    return _send(request, "POST sys/wrapping/unwrap", not_found=None)


def _write_token_file(path, token):
    """Write the token to `path` readable by this user only; False when there is nowhere to write."""
    if not path:
        return False
    directory = os.path.dirname(path) or "."
    try:
        handle, temporary = tempfile.mkstemp(prefix=".token-", dir=directory)  # created 0600
    except FileNotFoundError:
        return False
    except OSError as error:
        raise VaultSecretsError(f"cannot write the Vault token to {path}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(token)
        # A rename over the name: never a half-written file, never through a planted link.
        os.replace(temporary, path)
    except OSError as error:
        os.unlink(temporary)
        raise VaultSecretsError(f"cannot write the Vault token to {path}: {error.strerror}") from None
    return True


def _settings():
    token = _token()
    return {
        "address": _address(),
        "token": token,
        "mount": os.environ["VAULT_KV_MOUNT"],
        "user_path": os.environ["VAULT_USER_PATH"],
        "shared_path": os.environ["VAULT_SHARED_PATH"],
    }


def _call(method, path, body=None, renew=True):
    settings = _settings()
    if renew and time.monotonic() >= _renewal["due"]:
        renew_token()
    request = urllib.request.Request(
        f"{settings['address']}/v1/{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"X-Vault-Token": settings["token"], "Content-Type": "application/json"},
    )
    return _send(request, f"{method} {path}")


def _send(request, what, not_found=404):
    address = _address()
    context = _ssl_context() if address.startswith("https:") else None
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            text = response.read()
            return json.loads(text) if text else {}
    except urllib.error.HTTPError as error:
        with error:
            if error.code == not_found:
                return None
            raise VaultSecretsError(f"Vault refused {what}: HTTP {error.code} {_vault_errors(error)}".rstrip()) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ssl.SSLCertVerificationError):
            cafile = os.environ.get("VAULT_CACERT")
            hint = f"VAULT_CACERT={cafile} did not sign it" if cafile else "set VAULT_CACERT to the CA that signed it"
            raise VaultSecretsError(
                f"Vault at {address} presented a TLS certificate this server does not trust: "
                f"{reason.verify_message}; {hint}"
            ) from None
        raise VaultSecretsError(f"Vault at {address} is unreachable: {reason}") from None


def _vault_errors(error):
    """Vault's error list on one line; never anything from the request."""
    try:
        return " ".join("; ".join(json.load(error).get("errors") or []).split())
    except (ValueError, AttributeError):
        return ""


def _ssl_context():
    """The system's CAs plus the PEM file in VAULT_CACERT, if set."""
    cafile = os.environ.get("VAULT_CACERT") or None
    if _tls.get("cafile") != cafile or "context" not in _tls:
        context = ssl.create_default_context()
        if cafile:
            try:
                context.load_verify_locations(cafile=cafile)
            except (OSError, ssl.SSLError) as error:
                raise VaultSecretsError(f"cannot trust the CA in VAULT_CACERT={cafile}: {error}") from None
        _tls.update(cafile=cafile, context=context)
    return _tls["context"]


def renew_token():
    """Renew the server's token now; returns the seconds it is valid for."""
    reply = _call("POST", "auth/token/renew-self", {}, renew=False)
    lease = int(((reply or {}).get("auth") or {}).get("lease_duration") or 0)
    _renewal["due"] = time.monotonic() + lease / 2
    return lease


def _data_path(which, name):
    settings = _settings()
    return f"{settings['mount']}/data/{settings[which]}/{name}"


def get(name):
    """The latest version of one of your secrets, as a dict; None when it does not exist."""
    reply = _call("GET", _data_path("user_path", name))
    return reply["data"]["data"] if reply else None


def put(name, **values):
    """Write a new version of one of your secrets."""
    _call("POST", _data_path("user_path", name), {"data": values})


def delete(name):
    """Delete the latest version of one of your secrets (it can be undeleted in Vault)."""
    _call("DELETE", _data_path("user_path", name))


def names():
    """Names of your secrets."""
    settings = _settings()
    reply = _call("LIST", f"{settings['mount']}/metadata/{settings['user_path']}")
    return sorted(reply["data"]["keys"]) if reply else []


def shared(name):
    """A secret shared with every user (read only); None when it does not exist."""
    reply = _call("GET", _data_path("shared_path", name))
    return reply["data"]["data"] if reply else None


def main(argv):
    """`python3 vault_secrets.py unwrap`: the start hook's unwrap. Prints no token, ever."""
    if argv[1:] != ["unwrap"]:
        print("usage: vault_secrets.py unwrap", file=sys.stderr)
        return 2
    if not os.environ.get("NOTEBOOK_VAULT_WRAPPING_TOKEN"):
        print(f"no Vault token for this server ({os.environ.get('NOTEBOOK_VAULT_STATUS', 'no wrapping token')})", file=sys.stderr)
        return 0
    path = os.environ.get("VAULT_TOKEN_FILE")
    if _read_token_file(path):
        print(f"Vault token already in {path}", file=sys.stderr)
        return 0
    directory = os.path.dirname(path or "")
    if not path or not os.path.isdir(directory) or not os.access(directory, os.W_OK | os.X_OK):
        # Unwrapped here, the token would die with this process: leave it to the notebook.
        print(f"WARNING: nowhere to keep the Vault token ({path or 'VAULT_TOKEN_FILE is not set'}); the first vault_secrets call unwraps it", file=sys.stderr)
        return 1
    try:
        unwrap()
    except VaultSecretsError as error:
        print(f"WARNING: {error}", file=sys.stderr)
        return 1
    print(f"Vault token unwrapped into {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
