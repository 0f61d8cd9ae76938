"""Per-user Vault tokens for JupyterHub: minted by the hub before each server starts, delivered
response-wrapped, revoked by accessor when the server stops, across hub restarts.

The hub logs in to Vault with its own ServiceAccount token (Kubernetes auth; with an audience
configured, a projected token of that audience, `jwtFile`) for a short-lived token that may do two
things: create tokens through one token role, only response-wrapped, and revoke tokens by
accessor. For each spawn it creates an orphan, renewable token for the user, with the username as
the token's entity alias (the user policy is templated on it, so the token reaches only that
user's secrets), and `ttl` set to userTokens.ttl: a token role ignores token_ttl, so without it the
token would live until its explicit max (hashicorp/vault vault/token_store.go, handleCreateCommon
and the roles path's field allow list).

The token never appears in the pod spec, where anyone who may `get pods` could read it. The hub
asks for the reply wrapped (X-Vault-Wrap-TTL, Vault's "Response wrapping"): Vault keeps the token
in the cubbyhole of a single-use wrapping token that lives wrapTtlSeconds, and answers
`wrap_info` with that wrapping token and `wrapped_accessor`, the new token's accessor. The hub
never sees the user's token. The server gets NOTEBOOK_VAULT_WRAPPING_TOKEN, VAULT_TOKEN_FILE and
an emptyDir in memory (medium: Memory) mounted at tokenDir; the image's start hook
(images/base/before-notebook.d/15-vault-token.sh) or, in images without it, the notebook helper
(vault_secrets.py) on first use unwraps it into VAULT_TOKEN_FILE. A reader of the pod spec who
unwraps first gets the token, and the server's own unwrap then fails loudly (Vault answers 400
"wrapping token is not valid or does not exist"); stopping the server revokes the token, the
stolen copy included.

The accessor is what the hub revokes with (auth/token/revoke-accessor) when the server stops, for
whatever reason (a spawn that failed after the token was minted, the user, the culler). It is
kept on the spawner and in the server's state in the hub's database (Spawner.get_state, which
JupyterHub saves once the server started: jupyterhub/user.py, User.spawn; and hands back after a
restart: User._new_spawner reads orm_spawner.state), so a hub that restarted between start and
stop still revokes. install() sets the post-stop hook as Spawner config, so every spawner has it,
those a restarted hub loads included; JupyterHub runs it from User.stop's finally block after
every stop, before it clears the server's state. A revoke that fails leaves the token to expire
within userTokens.ttl, as nothing renews it once its server is gone.

Nothing is minted for a spawn that KubeSpawner would refuse for its profile: JupyterHub runs the
pre-spawn hook before Spawner.start, and KubeSpawner checks the profile only inside start
(load_user_options), so the hook checks the requested profile against the spawner's own profile
list first (with the group filter of profile_filter.py installed, that list is already the user's
own).

The hub loads this file as a module from `hub.extraConfig` (components/hub/hubPythonModule.ts)
and calls `vault_token_hook.install(c, get_config("custom.vault"))`. With `caFile` in
`custom.vault`, the hooks trust that CA next to the system's. Standard library only: it runs
inside the hub image. Tokens, wrapping tokens and accessors are never logged, nor put in an
exception message.
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
DEFAULT_WRAP_TTL_SECONDS = 600
DEFAULT_TOKEN_DIRECTORY = "/run/jupyterhub-vault"

# What the server's pod gets.
WRAPPING_TOKEN_ENV = "NOTEBOOK_VAULT_WRAPPING_TOKEN"
TOKEN_FILE_ENV = "VAULT_TOKEN_FILE"
STATUS_ENV = "NOTEBOOK_VAULT_STATUS"
# Before tokens were wrapped the token itself sat here; never set any more, removed if present.
LEGACY_TOKEN_ENV = "NOTEBOOK_VAULT_TOKEN"
TOKEN_VOLUME = "jupyterhub-vault-token"
# Where the accessor of a server's token is kept: on the spawner, and in its saved state.
STATE_KEY = "vault_token_accessor"
ACCESSOR_ATTRIBUTE = "vault_token_accessor"

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
        self.token_ttl = int(config.get("tokenTtlSeconds") or 0)
        self.wrap_ttl = int(config.get("wrapTtlSeconds") or DEFAULT_WRAP_TTL_SECONDS)
        self.ca_file = config.get("caFile") or None
        self.jwt_file = config.get("jwtFile") or SERVICE_ACCOUNT_TOKEN
        self._read_service_account_token = read_service_account_token or _read_file(self.jwt_file)
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

    def _request(self, path, body=None, token=None, headers=None):
        """POST to Vault; the reply's JSON, or {} for Vault's empty 204 answers."""
        headers = dict(headers or {})
        if token:
            headers["X-Vault-Token"] = token
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
            try:
                jwt = self._read_service_account_token()
            except OSError as error:
                raise VaultError(f"cannot read the hub's Vault login token {self.jwt_file}: {error.strerror or error}") from None
            reply = self._request(f"auth/{self.kubernetes_mount}/login", {"role": self.hub_role, "jwt": jwt})
            auth = reply.get("auth") or {}
            if not auth.get("client_token"):
                raise VaultError("Vault's login reply carried no token")
            self._hub_token = auth["client_token"]
            lease = float(auth.get("lease_duration") or 0)
            self._hub_token_expires = self._clock() + max(lease - RENEW_MARGIN_SECONDS, 0)
        return self._hub_token

    def _as_hub(self, path, body, headers=None):
        """A request with the hub's token, logging in once more if a cached token is refused."""
        cached = self._hub_token is not None
        try:
            return self._request(path, body, token=self.hub_token(), headers=headers)
        except VaultError as error:
            if not (cached and error.status == 403):
                raise
            # The cached hub token was revoked or expired early: log in once more and retry.
            self._hub_token = None
            return self._request(path, body, token=self.hub_token(), headers=headers)

    def wrapped_user_token(self, username, server_name=""):
        """A new token for the user, wrapped: (wrapping token, the token's accessor, wrap seconds).

        POST auth/token/create/<role> with `ttl` and X-Vault-Wrap-TTL (Vault's token API docs,
        "Create token"; "Response wrapping"): Vault answers with `wrap_info` only.
        """
        body = {
            "entity_alias": username,
            "display_name": f"jupyterhub-{username}",
            "meta": {"user": username, "server": server_name or "default"},
        }
        if self.token_ttl:
            body["ttl"] = f"{self.token_ttl}s"
        reply = self._as_hub(f"auth/token/create/{self.token_role}", body, headers={"X-Vault-Wrap-TTL": f"{self.wrap_ttl}s"})
        wrap = reply.get("wrap_info") or {}
        if not wrap.get("token") or not wrap.get("wrapped_accessor"):
            bare = (reply.get("auth") or {}).get("accessor")
            if bare:
                # A Vault that did not wrap: the token never leaves the hub, it is revoked at once.
                try:
                    self.revoke_accessor(bare)
                except VaultError:
                    pass
            raise VaultError("Vault's reply to the token request was not wrapped with the token's accessor")
        return wrap["token"], wrap["wrapped_accessor"], int(wrap.get("ttl") or self.wrap_ttl)

    def revoke_accessor(self, accessor):
        """Revoke the token with this accessor (and its children; it has none).

        POST auth/token/revoke-accessor, answered 204; an accessor Vault no longer knows (the token
        expired or was revoked) gets 200 with the warning "No token found with this accessor"
        (vault/token_store.go, handleUpdateRevokeAccessor). Returns whether a token was revoked.
        """
        reply = self._as_hub("auth/token/revoke-accessor", {"accessor": accessor})
        return not any("no token found" in str(warning).lower() for warning in reply.get("warnings") or [])


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


def server_environment(config, username, wrapping_token):
    """What a user's server gets: the one-time wrapping token, where to unwrap it to, where Vault
    is, and where the user's secrets live."""
    prefix = config["pathPrefix"]
    return {
        WRAPPING_TOKEN_ENV: wrapping_token,
        TOKEN_FILE_ENV: f"{token_directory(config)}/token",
        "VAULT_ADDR": config["address"].rstrip("/"),
        "VAULT_KV_MOUNT": config["kvMount"],
        "VAULT_USER_PATH": f"{prefix}/users/{username}",
        "VAULT_SHARED_PATH": f"{prefix}/shared",
    }


def token_directory(config):
    return (config.get("tokenDir") or DEFAULT_TOKEN_DIRECTORY).rstrip("/")


def mount_token_directory(spawner, directory):
    """Give the server's pod an emptyDir in memory at `directory`, in the notebook container only.

    KubeSpawner builds the pod's volumes from its `volumes` and `volume_mounts` traits when it
    starts, after this hook; a profile's kubespawner_override would replace them, and this
    project's profiles set neither (components/hub/profileList.ts). A spawner object lives on from
    one start of its server to the next, so an earlier entry is replaced, not repeated.
    """
    volume = {"name": TOKEN_VOLUME, "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}
    mount = {"name": TOKEN_VOLUME, "mountPath": directory}
    spawner.volumes = with_named(spawner.volumes, TOKEN_VOLUME, volume)
    spawner.volume_mounts = with_named(spawner.volume_mounts, TOKEN_VOLUME, mount)


def with_named(entries, name, entry):
    """KubeSpawner's volumes or volume_mounts with `entry` in place of any entry named `name`.

    Chart 4.2.0's jupyterhub_config.py sets them as lists; chart 4.4.0's as dicts keyed by name,
    which KubeSpawner 7 also accepts (kubespawner/spawner.py get_pod_manifest, `_sorted_dict_values`: a dict's values,
    sorted by key). Rebuilding a dict as a list would keep only its keys, strings, which
    KubeSpawner's make_pod then refuses: no server could start on chart 4.4.0.
    """
    if isinstance(entries, dict):
        return {**{key: value for key, value in entries.items() if _name_of(value) != name}, name: entry}
    return [value for value in entries or [] if _name_of(value) != name] + [entry]


def _name_of(item):
    return item.get("name") if isinstance(item, dict) else getattr(item, "name", None)


def keep_accessor_in_state(spawner):
    """Make the spawner's saved state carry the accessor of its server's token.

    JupyterHub saves `spawner.get_state()` to its database once the server started, and again
    (cleared) after it stopped; a restarted hub hands it back as `orm_spawner.state`. The hub's
    spawner class is composed by other hooks (profile_filter.py, ssh_pipes.py), so the accessor is
    added by this spawner's own get_state rather than by one more subclass.
    """
    current = spawner.get_state
    if getattr(current, "keeps_vault_token_accessor", False):
        return

    def get_state():
        state = current()
        accessor = getattr(spawner, ACCESSOR_ATTRIBUTE, None)
        if accessor:
            state[STATE_KEY] = accessor
        return state

    get_state.keeps_vault_token_accessor = True
    spawner.get_state = get_state


def saved_accessor(spawner):
    """The accessor in the state JupyterHub saved for this server (what a restarted hub knows)."""
    state = getattr(getattr(spawner, "orm_spawner", None), "state", None)
    return state.get(STATE_KEY) if isinstance(state, dict) else None


def make_hooks(config, client=None):
    """(pre_spawn_hook, post_stop_hook) for `custom.vault`, sharing one Vault client.

    Plain functions: traitlets deep-copies each config value into every Spawner
    (Configurable._load_config), which keeps a function itself, and its closure shared.
    """
    client = client or VaultClient(config)
    refuse = config.get("onFailure", "refuse") == "refuse"
    directory = token_directory(config)
    # Accessors this hub process revoked, so a state saved before the revoke is not acted on twice.
    revoked = set()

    def accessor_of(spawner):
        for accessor in (getattr(spawner, ACCESSOR_ATTRIBUTE, None), saved_accessor(spawner)):
            if accessor and accessor not in revoked:
                return accessor
        return None

    async def revoke(spawner, why):
        accessor = accessor_of(spawner)
        setattr(spawner, ACCESSOR_ATTRIBUTE, None)
        if not accessor:
            return
        who = (spawner.user.name, spawner.name)
        loop = asyncio.get_running_loop()
        try:
            found = await loop.run_in_executor(None, client.revoke_accessor, accessor)
        except Exception as error:  # never fail a stop over this, and never log what it holds
            detail = error if isinstance(error, VaultError) else type(error).__name__
            # Kept, so the next start of this server tries again; nothing renews it meanwhile.
            setattr(spawner, ACCESSOR_ATTRIBUTE, accessor)
            keep_accessor_in_state(spawner)
            log.warning(
                "Could not revoke the Vault token of %s's server %r (%s): %s; it expires unrenewed within userTokens.ttl",
                *who,
                why,
                detail,
            )
            return
        revoked.add(accessor)
        log.info("Vault token of %s's server %r revoked (%s)%s", *who, why, "" if found else "; Vault no longer knew it")

    async def post_stop_hook(spawner):
        await revoke(spawner, "server stopped")
        spawner.environment.pop(WRAPPING_TOKEN_ENV, None)

    post_stop_hook.revokes_vault_tokens = True

    def arm(spawner):
        """Make sure this spawner's post-stop hook revokes, keeping any hook it had."""
        configured = getattr(spawner, "post_stop_hook", None)
        if not getattr(configured, "revokes_vault_tokens", False):
            spawner.post_stop_hook = chained(configured, post_stop_hook) if configured is not None else post_stop_hook

    async def pre_spawn_hook(spawner):
        username = spawner.user.name
        # Before anything is minted: KubeSpawner refuses a bad profile only later, in start().
        await check_requested_profile(spawner)
        # A token minted earlier for this server and never revoked has no server any more.
        await revoke(spawner, "left from an earlier start")
        arm(spawner)
        keep_accessor_in_state(spawner)
        for name in (WRAPPING_TOKEN_ENV, TOKEN_FILE_ENV, LEGACY_TOKEN_ENV):
            spawner.environment.pop(name, None)
        loop = asyncio.get_running_loop()
        try:
            wrapping_token, accessor, wrap_ttl = await loop.run_in_executor(None, client.wrapped_user_token, username, spawner.name)
        except VaultError as error:
            if refuse:
                log.error("No Vault token for %s, refusing the spawn: %s", username, error)
                raise VaultError(f"Your server needs a Vault token and Vault did not give one: {error}") from None
            log.warning("No Vault token for %s, starting without one: %s", username, error)
            spawner.environment["VAULT_ADDR"] = config["address"].rstrip("/")
            spawner.environment[STATUS_ENV] = f"no token: {error}"
            return
        setattr(spawner, ACCESSOR_ATTRIBUTE, accessor)
        spawner.environment.pop(STATUS_ENV, None)
        spawner.environment.update(server_environment(config, username, wrapping_token))
        mount_token_directory(spawner, directory)
        log.info(
            "Vault token for %s issued, wrapped for %ss, valid %ss between renewals",
            username,
            wrap_ttl,
            client.token_ttl or "Vault's default",
        )

    return pre_spawn_hook, post_stop_hook


def make_pre_spawn_hook(config, client=None):
    """The pre-spawn hook alone (it arms the spawner's post-stop hook itself)."""
    return make_hooks(config, client)[0]


def chained(first, then):
    """A post-stop hook that runs `first`, then `then` whatever `first` did."""

    async def post_stop_hook(spawner):
        try:
            result = first(spawner)
            if inspect.isawaitable(result):
                await result
        finally:
            await then(spawner)

    post_stop_hook.revokes_vault_tokens = True
    return post_stop_hook


def install(c, config, client=None):
    """Wire both hooks into the hub's config `c` (a post-stop hook set before still runs, first)."""
    pre_spawn_hook, post_stop_hook = make_hooks(config, client)
    c.Spawner.pre_spawn_hook = pre_spawn_hook
    configured = _configured(c.Spawner, "post_stop_hook")
    c.Spawner.post_stop_hook = chained(configured, post_stop_hook) if callable(configured) else post_stop_hook
    return pre_spawn_hook, post_stop_hook


def _configured(section, name):
    # traitlets' Config creates a lazy value for a key it is merely asked for; dict.get does not.
    return dict.get(section, name) if isinstance(section, dict) else getattr(section, name, None)


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
