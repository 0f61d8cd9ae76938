"""Per-user Vault tokens for JupyterHub, minted by the hub before each server starts.

The hub logs in to Vault with its own ServiceAccount token (Kubernetes auth) for a short-lived
token that may do one thing: create tokens through one token role. For each spawn it creates an
orphan, renewable token for the user, with the username as the token's entity alias (the user
policy is templated on it, so the token reaches only that user's secrets), and hands it to the
server as NOTEBOOK_VAULT_TOKEN next to VAULT_ADDR. No long-lived admin token exists anywhere.

The hub loads this file as a module from `hub.extraConfig` (components/hub/hubPythonModule.ts)
and sets `c.Spawner.pre_spawn_hook = vault_token_hook.make_pre_spawn_hook(get_config("custom.vault"))`.
Standard library only: it runs inside the hub image. Tokens are never logged.
"""

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request

SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
# Log in again this long before the hub's own Vault token would expire.
RENEW_MARGIN_SECONDS = 60

# A child of the hub's own logger, so the lines appear in the hub's log with its formatting.
log = logging.getLogger("JupyterHub").getChild("vault")


class VaultError(Exception):
    """Vault could not give a user a token; the message is safe to show and to log."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class VaultClient:
    """The two Vault calls the hub needs, with its own login cached until shortly before expiry."""

    def __init__(self, config, read_service_account_token=None, clock=time.monotonic):
        self.address = config["address"].rstrip("/")
        self.kubernetes_mount = config["kubernetesAuthMount"]
        self.hub_role = config["hubRole"]
        self.token_role = config["tokenRole"]
        self.timeout = float(config.get("timeoutSeconds", 10))
        self._read_service_account_token = read_service_account_token or _read_file(SERVICE_ACCOUNT_TOKEN)
        self._clock = clock
        self._hub_token = None
        self._hub_token_expires = 0.0

    def _request(self, path, body, token=None):
        request = urllib.request.Request(
            f"{self.address}/v1/{path}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", **({"X-Vault-Token": token} if token else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise VaultError(f"Vault refused {path}: HTTP {error.code} {_vault_errors(error)}", error.code) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise VaultError(f"Vault at {self.address} is unreachable ({path}): {reason}") from None

    def hub_token(self):
        if self._hub_token is None or self._clock() >= self._hub_token_expires:
            jwt = self._read_service_account_token()
            reply = self._request(f"auth/{self.kubernetes_mount}/login", {"role": self.hub_role, "jwt": jwt})
            auth = reply.get("auth") or {}
            if not auth.get("client_token"):
                raise VaultError("Vault's login reply carried no token")
            self._hub_token = auth["client_token"]
            lease = float(auth.get("lease_duration") or 0)
            self._hub_token_expires = self._clock() + max(lease - RENEW_MARGIN_SECONDS, 0)
        return self._hub_token

    def user_token(self, username, server_name=""):
        """A new token for the user, as (token, lease seconds)."""
        body = {
            "entity_alias": username,
            "display_name": f"jupyterhub-{username}",
            "meta": {"user": username, "server": server_name or "default"},
        }
        cached = self._hub_token is not None
        try:
            reply = self._request(f"auth/token/create/{self.token_role}", body, token=self.hub_token())
        except VaultError as error:
            if not (cached and error.status == 403):
                raise
            # The cached hub token was revoked or expired early: log in once more and retry.
            self._hub_token = None
            reply = self._request(f"auth/token/create/{self.token_role}", body, token=self.hub_token())
        auth = reply.get("auth") or {}
        if not auth.get("client_token"):
            raise VaultError("Vault's token reply carried no token")
        return auth["client_token"], int(auth.get("lease_duration") or 0)


def server_environment(config, username, token):
    """What a user's server gets: the token, where Vault is, and where their secrets live."""
    prefix = config["pathPrefix"]
    return {
        "NOTEBOOK_VAULT_TOKEN": token,
        "VAULT_ADDR": config["address"].rstrip("/"),
        "VAULT_KV_MOUNT": config["kvMount"],
        "VAULT_USER_PATH": f"{prefix}/users/{username}",
        "VAULT_SHARED_PATH": f"{prefix}/shared",
    }


def make_pre_spawn_hook(config, client=None):
    """The hub's Spawner.pre_spawn_hook. config is `custom.vault` from the chart values."""
    client = client or VaultClient(config)
    refuse = config.get("onFailure", "refuse") == "refuse"

    async def pre_spawn_hook(spawner):
        username = spawner.user.name
        loop = asyncio.get_running_loop()
        try:
            token, lease = await loop.run_in_executor(None, client.user_token, username, spawner.name)
        except VaultError as error:
            if refuse:
                log.error("No Vault token for %s, refusing the spawn: %s", username, error)
                raise VaultError(f"Your server needs a Vault token and Vault did not give one: {error}") from None
            log.warning("No Vault token for %s, starting without one: %s", username, error)
            spawner.environment.pop("NOTEBOOK_VAULT_TOKEN", None)
            spawner.environment["VAULT_ADDR"] = config["address"].rstrip("/")
            spawner.environment["NOTEBOOK_VAULT_STATUS"] = f"no token: {error}"
            return
        spawner.environment.update(server_environment(config, username, token))
        log.info("Vault token for %s issued, valid %ss before renewal", username, lease)

    return pre_spawn_hook


def _read_file(path):
    def read():
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()

    return read


def _vault_errors(error):
    """Vault's error list on one line ("1 error occurred:\n\t* permission denied" and the like)."""
    try:
        text = "; ".join(json.load(error).get("errors") or []) or error.reason
    except (ValueError, AttributeError):
        text = error.reason
    return " ".join(str(text).split())
