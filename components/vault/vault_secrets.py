"""Your own Vault secrets from a notebook, with the token your server was started with.

    import vault_secrets as vault
    vault.put("database", user="me", password="...")   # your path: <prefix>/users/<you>/database
    vault.get("database")["password"]
    vault.names()                                        # what you have stored
    vault.shared("datasets")                             # read-only secrets shared with every user

The token (NOTEBOOK_VAULT_TOKEN) lasts a limited time between renewals; every call here renews it
once half of that time has passed, so a notebook that uses it now and then keeps it alive until
its hard limit, which the hub sets beyond the server's maximum age. Standard library only.

Over HTTPS it trusts the system's CAs plus, when VAULT_CACERT names a PEM file, the CAs in that
file (a homelab's own CA). Vault's own CLI reads the same variable but then trusts only that file.
"""

import json
import os
import ssl
import time
import urllib.error
import urllib.request

_renewal = {"due": 0.0}
# The TLS context for the current VAULT_CACERT, made once: {"cafile": ..., "context": ...}.
_tls = {}


class VaultSecretsError(Exception):
    pass


def _settings():
    token = os.environ.get("NOTEBOOK_VAULT_TOKEN")
    if not token:
        status = os.environ.get("NOTEBOOK_VAULT_STATUS", "NOTEBOOK_VAULT_TOKEN is not set")
        raise VaultSecretsError(f"this server has no Vault token ({status})")
    return {
        "address": os.environ["VAULT_ADDR"].rstrip("/"),
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
    context = _ssl_context() if settings["address"].startswith("https:") else None
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            text = response.read()
            return json.loads(text) if text else {}
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 404:
            return None
        raise VaultSecretsError(f"Vault refused {method} {path}: HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ssl.SSLCertVerificationError):
            cafile = os.environ.get("VAULT_CACERT")
            hint = f"VAULT_CACERT={cafile} did not sign it" if cafile else "set VAULT_CACERT to the CA that signed it"
            raise VaultSecretsError(
                f"Vault at {settings['address']} presented a TLS certificate this server does not trust: "
                f"{reason.verify_message}; {hint}"
            ) from None
        raise VaultSecretsError(f"Vault at {settings['address']} is unreachable: {reason}") from None


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
