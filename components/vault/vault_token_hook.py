"""Per-user Vault tokens for JupyterHub, minted by the hub before each server starts.

The hub logs in to Vault with its own ServiceAccount token (Kubernetes auth) for a short-lived
token that may do one thing: create tokens through one token role. For each spawn it creates an
orphan, renewable token for the user, with the username as the token's entity alias (the user
policy is templated on it, so the token reaches only that user's secrets), and hands it to the
server as NOTEBOOK_VAULT_TOKEN next to VAULT_ADDR. No long-lived admin token exists anywhere.

Nothing is minted for a spawn that KubeSpawner would refuse for its profile: JupyterHub runs the
pre-spawn hook before Spawner.start, and KubeSpawner checks the profile only inside start
(load_user_options), so the hook checks the requested profile against the spawner's own profile
list first (with the group filter of profile_filter.py installed, that list is already the
user's own). Every token minted is revoked when its server stops, for whatever reason (a spawn
that failed after the token was minted, the user, the culler): before minting, the hook sets
that spawner's post_stop_hook, which JupyterHub runs at the end of every stop, to revoke it with
the token itself (auth/token/revoke-self, which the user policy allows). A token lives no longer
than its server, and the revoke needs no wiring of its own, so it cannot be left out.

The hub loads this file as a module from `hub.extraConfig` (components/hub/hubPythonModule.ts)
and sets `c.Spawner.pre_spawn_hook = vault_token_hook.make_pre_spawn_hook(get_config("custom.vault"))`.
With `caFile` in `custom.vault`, the hook trusts that CA next to the system's. Standard library
only: it runs inside the hub image. Tokens are never logged, nor put in an exception message.
"""

import asyncio
import inspect
import json
import logging
import ssl
import threading
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


class ProfileUnavailable(Exception):
    """A spawn asked for a profile its user's server cannot start; refused before any token exists."""


def make_ssl_context(ca_file=None):
    """The system's CAs, plus the PEM file `ca_file` (a homelab's own CA) when given."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=ca_file)
        except (OSError, ssl.SSLError) as error:
            raise VaultError(f"cannot trust the CA in caFile {ca_file}: {error}") from None
    return context


class VaultClient:
    """The Vault calls the hub needs, with its own login cached until shortly before expiry."""

    def __init__(self, config, read_service_account_token=None, clock=time.monotonic):
        self.address = config["address"].rstrip("/")
        self.kubernetes_mount = config["kubernetesAuthMount"]
        self.hub_role = config["hubRole"]
        self.token_role = config["tokenRole"]
        self.timeout = float(config.get("timeoutSeconds", 10))
        self.ca_file = config.get("caFile") or None
        self._read_service_account_token = read_service_account_token or _read_file(SERVICE_ACCOUNT_TOKEN)
        self._clock = clock
        self._hub_token = None
        self._hub_token_expires = 0.0
        # Made on first use, so a CA file that is missing or bad refuses spawns with a message
        # naming it (components/hub/ca_trust.py already stops the hub from starting without it).
        self._ssl_context = None
        self._ssl_lock = threading.Lock()

    def _context(self):
        with self._ssl_lock:
            if self._ssl_context is None:
                self._ssl_context = make_ssl_context(self.ca_file)
            return self._ssl_context

    def _request(self, path, body=None, token=None):
        """POST to Vault; the reply's JSON, or {} for Vault's empty 204 answers."""
        headers = {"X-Vault-Token": token} if token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(
            f"{self.address}/v1/{path}",
            data=json.dumps(body).encode() if body is not None else None,
            method="POST",
            headers=headers,
        )
        context = self._context() if self.address.startswith("https:") else None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=context) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            with error:
                raise VaultError(f"Vault refused {path}: HTTP {error.code} {_vault_errors(error)}", error.code) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, ssl.SSLCertVerificationError):
                hint = f"caFile {self.ca_file} did not sign it" if self.ca_file else "set caFile to the CA that signed it"
                raise VaultError(
                    f"Vault at {self.address} presented a TLS certificate the hub does not trust ({path}): "
                    f"{reason.verify_message}; {hint}"
                ) from None
            raise VaultError(f"Vault at {self.address} is unreachable ({path}): {reason}") from None
        try:
            return json.loads(text) if text.strip() else {}
        except ValueError:
            raise VaultError(f"Vault's reply to {path} is not JSON") from None

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

    def revoke_self(self, token):
        """Revoke `token` (and its children, it has none) with the token itself.

        POST auth/token/revoke-self, answered 204 (Vault's token API docs, "Revoke a Token
        (Self)"). The user token role sets token_no_default_policy (components/vault/VaultAccess.ts),
        so this works only because the user policy grants update on auth/token/revoke-self
        (components/vault/vaultPolicies.ts); a token already revoked or expired gets 403.
        """
        self._request("auth/token/revoke-self", token=token)


async def check_requested_profile(spawner):
    """Refuse a spawn whose profile KubeSpawner would refuse, before anything is minted.

    Follows KubeSpawner 7.0.0's load_user_options (kubespawner/spawner.py): the profile list is
    the spawner's `profile_list`, called with the spawner (and awaited) when it is callable; no
    user options or no "profile" in them means the default profile, always allowed; any other
    slug must be one of the list's (KubeSpawner's _get_profile raises "No such profile" otherwise,
    even for an empty list). With profile_filter.py installed, profile_list is the per-user list,
    so a group-gated profile the user may not use is refused here as well. A spawner without a
    profile_list (not a KubeSpawner) is not checked. This project always sets slugs
    (components/hub/profileList.ts); KubeSpawner would derive a missing one from display_name.
    """
    slug = (getattr(spawner, "user_options", None) or {}).get("profile")
    profile_list = getattr(spawner, "profile_list", None)
    if not slug or profile_list is None:
        return
    if callable(profile_list):
        profile_list = profile_list(spawner)
        if inspect.isawaitable(profile_list):
            profile_list = await profile_list
    if not any(isinstance(profile, dict) and profile.get("slug") == slug for profile in profile_list or []):
        raise ProfileUnavailable(f"profile {slug!r} is not available to {spawner.user.name}")


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
    """The hub's Spawner.pre_spawn_hook. config is `custom.vault` from the chart values.

    Before it mints, the hook sets the spawner's own post_stop_hook to one that revokes what was
    minted for that server (a post_stop_hook configured before still runs, first). JupyterHub
    runs it from User.stop's finally block after every stop, the cleanup of a spawn that failed
    included, and logs what it raises (jupyterhub/user.py, spawn() and stop()); this one raises
    nothing. The hook is a plain function, as traitlets deep-copies each config value into every
    Spawner (Configurable._load_config), which keeps a function itself, and its closure shared.

    What was minted is kept per (user, server name) in this process only. A hub that restarts
    between a spawn and its stop no longer knows the token, so a server stopped after a hub
    restart leaves its token to expire (userTokens.maxTtl); revoking by accessor, kept with the
    server's state, would close that gap (a later change).
    """
    client = client or VaultClient(config)
    refuse = config.get("onFailure", "refuse") == "refuse"
    minted = {}

    async def revoke(spawner, key, token):
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, client.revoke_self, token)
        except VaultError as error:
            # Messages of VaultError never carry a token. The token expires on its own at maxTtl.
            log.warning("Could not revoke the Vault token of %s's server %r: %s", key[0], key[1], error)
            return
        except Exception as error:  # never fail a stop over this, and never log what it holds
            log.warning("Could not revoke the Vault token of %s's server %r: %s", key[0], key[1], type(error).__name__)
            return
        if spawner.environment.get("NOTEBOOK_VAULT_TOKEN") == token:
            spawner.environment.pop("NOTEBOOK_VAULT_TOKEN")
        log.info("Vault token of %s's server %r revoked", key[0], key[1])

    async def revoke_minted(spawner):
        key = (spawner.user.name, spawner.name)
        token = minted.pop(key, None)
        if token is not None:
            await revoke(spawner, key, token)

    def revoke_when_stopped(spawner):
        """Make the spawner's post_stop_hook revoke its token, keeping any hook it had."""
        configured = getattr(spawner, "post_stop_hook", None)
        if getattr(configured, "revokes_vault_tokens_of", None) is revoke_minted:
            return  # armed by an earlier spawn of this spawner

        async def post_stop_hook(spawner):
            try:
                if configured is not None:
                    result = configured(spawner)
                    if inspect.isawaitable(result):
                        await result
            finally:
                await revoke_minted(spawner)

        post_stop_hook.revokes_vault_tokens_of = revoke_minted
        spawner.post_stop_hook = post_stop_hook

    async def pre_spawn_hook(spawner):
        username = spawner.user.name
        # Before anything is minted: KubeSpawner refuses a bad profile only later, in start().
        await check_requested_profile(spawner)
        # A token minted earlier for this server and never revoked (its stop ran no hook) has no
        # server any more.
        await revoke_minted(spawner)
        revoke_when_stopped(spawner)
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
        minted[(username, spawner.name)] = token
        spawner.environment.pop("NOTEBOOK_VAULT_STATUS", None)
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
