"""Users over their whole life, kept by the hub itself: offboarding, renames, and stopping every
server before the hub goes.

The stack config names who may log in (`users`), who no longer may (`formerUsers`) and who was
renamed (`users[].renamedFrom`); components/lifecycle/lifecycleValues.ts hands that to the hub as
`custom.userLifecycle`. Three parts use it:

1. `install(c, config, KubeSpawner)`, run from hub.extraConfig at every hub start:
   - `Authenticator.allow_existing_users = False`. With `allowed_users` set it defaults to True
     (jupyterhub/auth.py 5.5.0, `_allow_existing_users_default`), and `add_user` then puts every
     user already in the database into `allowed_users` at startup: someone removed from the config
     could still log in. Off, only the configured users (and admins) may.
   - For a renamed user, a spawner class that keeps their home where it is: the home of the
     oldest earlier name. KubeSpawner 7 names a home after the username ('claim-{user_server}',
     or the '{username}' sub-directory of a static volume); the new name would get an empty one.
2. The managed service `serve` (hub.services, restarted by the hub whenever it exits:
   jupyterhub/services/service.py, `_proc_stopped`): at hub start, and every intervalSeconds,
   through the hub's REST API (jupyterhub/apihandlers/users.py 5.5.0):
   - renames the hub user (PATCH /users/{old} {"name": new}; its tokens, named servers and
     spawner state go with it; their Vault secrets are copied by `pulumi up`:
     components/lifecycle/providers/vaultSecretsMove.cjs);
   - offboards every hub user who is not configured: stops their servers (DELETE
     /users/{name}/server[s/{server}]; the Vault hook revokes a server's token when it stops,
     and the token role no longer lets the hub mint one for a name that is not configured),
     revokes their API tokens (DELETE /users/{name}/tokens/{id}) and takes admin away. Their hub
     row, home and Vault secrets are kept.
   It holds a role of its own with the scopes these calls need (hub.loadRoles, lifecycleValues.ts),
   and is a hub admin only while the config renames an admin: JupyterHub lets only an admin change
   an admin user ("Only admins can modify other admins", UserAPIHandler.patch). JupyterHub keeps a
   role granted when the service was created (app.py service_from_spec, init_role_assignment), so
   `install` lists the admin role's services exactly: a service that is no longer configured as an
   admin loses the role at the next start.
   It calls the hub on the loopback address, as the chart's idle culler does: JupyterHub 5.5 gives
   a managed service the hub's connect URL (http://hub:8081, the hub's own Service), and where
   hairpin traffic is dropped every round would fail. Each round's outcome goes to the hub's log
   (an error while rounds fail) and to a status file; `status` prints it for the operator
   (kubectl exec deploy/hub -- python3 …/user_lifecycle.py status) and exits 1 unless the last
   round succeeded recently.
3. `stop-all`, run by `pulumi destroy` (kubectl exec in the hub's container, before the release is
   uninstalled: components/lifecycle/ServerShutdown.ts): stops every server through the hub and
   waits until none runs, since the chart sets cleanup_servers = False and KubeSpawner's pods
   have no owner that would take them away with the release.

Standard library only: it runs inside the hub image.
"""

import hashlib
import json
import logging
import os
import re
import string
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

Z2JH_DIR = "/usr/local/etc/jupyterhub"
# The hub's working directory (the image's WORKDIR; the chart's hub-db-dir volume).
STATUS_FILE = "/srv/jupyterhub/user-lifecycle-status.json"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
PAGINATION = "application/jupyterhub-pagination+json"
# After a failed round (the hub not answering yet at its start, say), the next one comes this soon.
RETRY_SECONDS = 15

log = logging.getLogger("JupyterHub").getChild("user-lifecycle")


# --- KubeSpawner 7.0.0's names --------------------------------------------------------------------
# kubespawner/slugs.py (safe_slug with is_valid_default, strip_and_hash, multi_slug) and
# KubeSpawner._expand_user_properties (kubespawner/spawner.py): `{username}` is
# safe_slug(name, max_length=48), `{user_server}` the username slug, or for a named server
# '{username}--{servername}', or multi_slug when the two are too long together.

_HASH_LENGTH = 8
_SLUG_MAX_LENGTH = 48
_OBJECT_PATTERN = re.compile(r"^[a-z0-9\-]+$")
_NON_ALPHANUM = re.compile(r"[^a-z0-9]+")


def _is_valid_object_name(s):
    return (
        1 <= len(s) <= 63
        and s.startswith(tuple(string.ascii_lowercase))
        and s.endswith(tuple(string.ascii_lowercase + string.digits))
        and bool(_OBJECT_PATTERN.match(s))
    )


def _extract_safe_name(name, max_length):
    safe = _NON_ALPHANUM.sub("-", name.lower())
    safe = safe.lstrip("-")[:max_length].rstrip("-")
    if safe and not safe.startswith(tuple(string.ascii_lowercase)):
        safe = "x-" + safe[: max_length - 2]
    return safe or "x"


def _strip_and_hash(name, max_length=32):
    digest = hashlib.sha256(name.encode("utf8")).hexdigest()[:_HASH_LENGTH]
    return f"{_extract_safe_name(name, max_length - (_HASH_LENGTH + 3))}---{digest}"


def safe_slug(name, max_length=_SLUG_MAX_LENGTH):
    if "--" in name:
        return _strip_and_hash(name, max_length=max_length or 32)
    if _is_valid_object_name(name) and (max_length is None or len(name) <= max_length):
        return name
    return _strip_and_hash(name, max_length=max_length or 32)


def multi_slug(names, max_length=_SLUG_MAX_LENGTH):
    hasher = hashlib.sha256()
    hasher.update(names[0].encode("utf8"))
    for name in names[1:]:
        hasher.update(b"\xff")
        hasher.update(name.encode("utf8"))
    per_name = (max_length - (_HASH_LENGTH + 1)) // len(names) - 2
    return "--".join(_extract_safe_name(name, per_name) for name in names) + "---" + hasher.hexdigest()[:_HASH_LENGTH]


def user_server_slug(username, server_name=""):
    """`{user_server}` for this username and server name.

    The length check counts the `--` even for the default server (no server name), as
    _expand_user_properties does: a username whose safe slug is 47 or 48 characters gets the
    multi-slug of [username, ""] for its default server too, not its safe slug.
    """
    user = safe_slug(username)
    server = safe_slug(server_name) if server_name else ""
    if len(user) + len(server) + 2 > _SLUG_MAX_LENGTH:
        return multi_slug([username, server_name])
    return f"{user}--{server}" if server_name else user


def claim_name(username, server_name=""):
    """KubeSpawner's default pvc_name_template, 'claim-{user_server}', for this user's server."""
    return f"claim-{user_server_slug(username, server_name)}".rstrip("-")


# --- Homes of renamed users -------------------------------------------------------------------------


def home_owners(config):
    """Renamed user → the earlier name whose home they keep (the oldest one)."""
    return {new: olds[0] for new, olds in (config.get("renames") or {}).items() if olds}


def _rehome_sub_path(pod, from_sub_path, to_sub_path):
    """Point the pod's mounts of the home volume at the kept sub-directory.

    KubeSpawner 7's make_pod (kubespawner/objects.py) turns the notebook container's mounts into
    V1VolumeMount objects, but an init container is V1Container(**dict): its mounts stay the dicts
    of the config, with the chart's camelCase keys.
    """
    spec = pod.spec
    for container in list(spec.containers or []) + list(spec.init_containers or []):
        for mount in container.volume_mounts or []:
            if isinstance(mount, dict):
                key = "subPath" if "subPath" in mount else "sub_path"
                if mount.get("name") == "home" and mount.get(key) == from_sub_path:
                    mount[key] = to_sub_path
            elif mount.name == "home" and mount.sub_path == from_sub_path:
                mount.sub_path = to_sub_path
    return pod


def admin_role_services(c):
    """List the admin role's services exactly: those configured `admin: true`, and no other.

    Without a 'services' list in an admin role spec, init_role_assignment (app.py 5.5) keeps every
    service that holds the admin role in it, and even sets admin=True again on one that the config
    no longer makes an admin ("in admin role sets admin = True"). With the list, membership is
    made to match it ("ensure membership list is exact match (adds and revokes permissions)").
    Where Authenticator.admin_users is set (the hub's local login), JupyterHub merges it into the
    entry's users, so the admins are exactly the configured ones: one made admin in the hub's UI
    loses it at the next start. Without it (Keycloak login: admin_groups), the entry names no users
    and JupyterHub keeps every admin=True user in the role; OAuthenticator's admin_groups then sets
    each person's admin flag at their next login. A group given the admin role other than through
    load_roles loses it either way (none is, in this project).
    """
    services = sorted(s["name"] for s in c.JupyterHub.services if s.get("admin"))
    roles = c.JupyterHub.load_roles
    spec = next((role for role in roles if role.get("name") == "admin"), None)
    if spec is None:
        roles.append({"name": "admin", "services": services})
    else:
        spec.setdefault("services", services)


def install(c, config, kubespawner_class):
    """Wire the hub's side into its config `c` (run from hub.extraConfig)."""
    c.Authenticator.allow_existing_users = False
    admin_role_services(c)
    owners = home_owners(config)
    if not owners:
        return None
    # The chart sets "kubespawner.KubeSpawner" (a string) before the extraConfig entries run.
    configured = getattr(c.JupyterHub, "spawner_class", None)
    base = configured if isinstance(configured, type) else kubespawner_class
    static_storage = config.get("storage") == "nfs"

    class KeptHomeSpawner(base):
        """A renamed user's servers keep the home of their oldest name.

        Dynamic storage: KubeSpawner 7's _start makes the PVC `self.pvc_name` and mounts it as
        '{pvc_name}'; it is set before that, unless the spawner's saved state already names
        another claim (remember_pvc_name: a claim this server had before, kept as it is).
        Static storage: the pod's home mount has sub_path '{username}' expanded to the new name's
        slug (singleuser.storage.static.subPath and the home-owner init container); it is pointed
        at the earlier name's sub-directory once KubeSpawner has built the pod.
        """

        async def _start(self):
            owner = owners.get(self.user.name)
            if owner and not static_storage and self.pvc_name == claim_name(self.user.name, self.name):
                self.pvc_name = claim_name(owner, self.name)
            return await super()._start()

        async def get_pod_manifest(self):
            pod = await super().get_pod_manifest()
            owner = owners.get(self.user.name)
            if owner and static_storage:
                _rehome_sub_path(pod, safe_slug(self.user.name), safe_slug(owner))
            return pod

    c.JupyterHub.spawner_class = KeptHomeSpawner
    return KeptHomeSpawner


# --- The hub's REST API -----------------------------------------------------------------------------


class HubApiError(Exception):
    def __init__(self, method, path, status, message):
        super().__init__(f"{method} {path}: HTTP {status} {message}".strip())
        self.status = status


class HubApi:
    """The calls this module makes, as JupyterHub 5.5.0's REST API answers them."""

    def __init__(self, url, token, timeout=30):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(self, method, path, body=None, accept=None):
        headers = {"Authorization": f"token {self.token}"}
        if accept:
            headers["Accept"] = accept
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            with error:
                detail = error.read().decode("utf8", "replace")
            try:
                detail = json.loads(detail).get("message", detail)
            except ValueError:
                pass
            raise HubApiError(method, path, error.code, detail) from None
        return json.loads(text) if text.strip() else None

    @staticmethod
    def _user_path(name, *rest):
        return "/users/" + "/".join(urllib.parse.quote(part, safe="") for part in (name, *rest))

    def users(self, state=None):
        """Every user, page by page (GET /users answers at most api_page_max_limit at once)."""
        users, offset = [], 0
        while True:
            query = {"offset": offset, **({"state": state} if state else {})}
            page = self.request("GET", "/users?" + urllib.parse.urlencode(query), accept=PAGINATION)
            users.extend(page["items"])
            following = page["_pagination"].get("next")
            if not following:
                return users
            offset = following["offset"]

    def user(self, name):
        try:
            return self.request("GET", self._user_path(name))
        except HubApiError as error:
            if error.status == 404:
                return None
            raise

    def stop_server(self, name, server_name=""):
        path = self._user_path(name, "servers", server_name) if server_name else self._user_path(name, "server")
        try:
            self.request("DELETE", path)
        except HubApiError as error:
            if error.status != 404:  # gone already
                raise

    def tokens(self, name):
        return self.request("GET", self._user_path(name, "tokens"))["api_tokens"]

    def revoke_token(self, name, token_id):
        try:
            self.request("DELETE", self._user_path(name, "tokens", token_id))
        except HubApiError as error:
            # Deleting one OAuth token deletes all of its client's (UserTokenAPIHandler.delete).
            if error.status != 404:
                raise

    def patch_user(self, name, changes):
        return self.request("PATCH", self._user_path(name), changes)

    def delete_user(self, name):
        self.request("DELETE", self._user_path(name))

    def add_to_group(self, group, name):
        self.request("POST", f"/groups/{urllib.parse.quote(group, safe='')}/users", {"users": [name]})

    def remove_from_group(self, group, name):
        self.request("DELETE", f"/groups/{urllib.parse.quote(group, safe='')}/users", {"users": [name]})


def wait_until_stopped(api, name, timeout, sleep=time.sleep, clock=time.monotonic):
    """Wait until the user has no active server (a stop answers 202 while it is pending)."""
    deadline = clock() + timeout
    while True:
        model = api.user(name)
        if model is None or not model.get("servers"):
            return
        if clock() >= deadline:
            raise TimeoutError(f"{name}'s servers {sorted(model['servers'])} did not stop within {timeout}s")
        sleep(1)


# --- Reconciling the hub with the config ------------------------------------------------------------


def _pristine(api, model):
    """A user the hub made at this start from the config and nobody has used yet."""
    return not model.get("servers") and model.get("last_activity") is None and not api.tokens(model["name"])


def _rename(api, users, old, new, wait):
    """PATCH the old hub user to the new name, out of the way of the one the hub just made."""
    fresh = users.get(new)
    if fresh is not None and not _pristine(api, fresh):
        message = (
            f"cannot rename hub user {old} to {new}: {new} has been used already (servers, tokens or a login); "
            f"{old}'s hub account is offboarded instead, and {new} keeps the home of {old} all the same"
        )
        log.error(message)
        return [message]
    actions = []
    if users[old].get("servers"):
        for server in users[old]["servers"]:
            api.stop_server(old, server)
        wait(old)
        actions.append(f"stopped {old}'s servers before the rename")
    # The hub made `new` at this start (init_users adds every allowed user): rename it out of
    # the way and delete it once the old account has the name (PATCH refuses a taken name).
    placeholder = f"{new}.pre-rename" if fresh is not None else None
    if placeholder:
        api.patch_user(new, {"name": placeholder})
    changes = {"name": new}
    if fresh is not None and bool(fresh.get("admin")) != bool(users[old].get("admin")):
        changes["admin"] = bool(fresh.get("admin"))
    api.patch_user(old, changes)
    if fresh is not None:
        wanted, had = set(fresh.get("groups") or []), set(users[old].get("groups") or [])
        for group in sorted(wanted - had):
            api.add_to_group(group, new)
        for group in sorted(had - wanted):
            api.remove_from_group(group, new)
        api.delete_user(placeholder)
    actions.append(f"renamed hub user {old} to {new}")
    log.info("Renamed hub user %s to %s", old, new)
    return actions


def _offboard(api, model, why):
    name = model["name"]
    actions = []
    for server in sorted(model.get("servers") or {}):
        api.stop_server(name, server)
        actions.append(f"stopped {name}'s server {server or '(default)'}")
    for token in api.tokens(name):
        api.revoke_token(name, token["id"])
        actions.append(f"revoked {name}'s token {token['id']}")
    if model.get("admin"):
        try:
            api.patch_user(name, {"admin": False})
            actions.append(f"took admin away from {name}")
        except HubApiError as error:
            if error.status != 403:
                raise
            # Only a hub admin may; the hub refuses this name's sessions and tokens all the same.
            log.error("Could not take admin away from %s (%s): remove it on the hub's admin page", name, error)
    if actions:
        log.info("Offboarded %s (%s): %s", name, why, "; ".join(actions))
    return actions


def reconcile(api, config, wait=None):
    """Bring the hub's users in line with the config; returns what was done, in words."""
    wait = wait or (lambda name: wait_until_stopped(api, name, timeout=config.get("stopTimeoutSeconds", 300)))
    configured = set(config.get("users") or [])
    former = set(config.get("formerUsers") or [])
    renames = config.get("renames") or {}
    actions = []
    users = {user["name"]: user for user in api.users()}
    for new, olds in sorted(renames.items()):
        for old in reversed(olds):  # the most recent earlier name the hub still knows
            if old in users and old not in configured:
                actions.extend(_rename(api, users, old, new, wait))
                users = {user["name"]: user for user in api.users()}
                break
    retired = {old for olds in renames.values() for old in olds}
    for name, model in sorted(users.items()):
        if name in configured:
            continue
        if name in former:
            why = "in formerUsers"
        elif name in retired:
            why = "an earlier name of a renamed user"
        else:
            why = "in neither users nor formerUsers"
            log.warning("Hub user %s is in neither jupyterhub:users nor jupyterhub:formerUsers; add them to formerUsers to keep their home on record", name)
        actions.extend(_offboard(api, model, why))
    return actions


def stop_all(api, timeout=600, sleep=time.sleep, clock=time.monotonic):
    """Stop every server through the hub and wait until none is active; returns what was stopped."""
    stopped = []
    for user in api.users(state="active"):
        for server in sorted(user.get("servers") or {}):
            api.stop_server(user["name"], server)
            stopped.append(f"{user['name']}/{server}" if server else user["name"])
    deadline = clock() + timeout
    while True:
        active = api.users(state="active")
        if not active:
            return stopped
        if clock() >= deadline:
            names = ", ".join(sorted(user["name"] for user in active))
            raise TimeoutError(f"servers of {names} were still running after {timeout}s")
        sleep(2)


# --- In the hub's container -------------------------------------------------------------------------


def _z2jh():
    sys.path.insert(0, Z2JH_DIR)
    import z2jh  # the chart's own helper, beside jupyterhub_config.py

    return z2jh


def hub_api_url(base_url, given=None):
    """The hub's API on the loopback address; `given` (JUPYTERHUB_API_URL) only when it is one.

    JupyterHub 5.5 hands a managed service the hub's connect URL (services/service.py start():
    `hub=self.hub`, whose connect_url the chart sets to http://hub:8081): the hub's own Service,
    which the hub pod may not reach (hairpin). The chart's culler is pointed at localhost for this.
    """
    if given and urllib.parse.urlsplit(given).hostname in LOOPBACK_HOSTS:
        return given
    return f"http://127.0.0.1:8081{(base_url or '/').rstrip('/')}/hub/api"


def _hub_api(z2jh, config):
    token = os.environ.get("JUPYTERHUB_API_TOKEN") or z2jh.get_secret_value(f"hub.services.{config['service']}.apiToken")
    return HubApi(hub_api_url(z2jh.get_config("hub.baseUrl", "/"), os.environ.get("JUPYTERHUB_API_URL")), token)


# --- The service's status, for the operator ----------------------------------------------------------


class RoundStatus:
    """The outcome of the service's rounds, kept in a file beside the hub's database."""

    def __init__(self, path=STATUS_FILE, clock=time.time):
        self.path = path
        self.clock = clock
        self.state = {"startedAt": clock(), "failuresInARow": 0}

    def _write(self):
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(self.state, handle)
        os.replace(temporary, self.path)

    def succeeded(self, actions):
        now = self.clock()
        self.state.update(lastRoundAt=now, lastSuccessAt=now, ok=True, actions=actions, error=None, failuresInARow=0, failingSince=None)
        self._write()

    def failed(self, error):
        now = self.clock()
        first = self.state.get("failingSince") or now
        self.state.update(lastRoundAt=now, ok=False, error=str(error), failuresInARow=self.state["failuresInARow"] + 1, failingSince=first)
        self._write()
        return self.state["failuresInARow"], first


def read_status(path=STATUS_FILE):
    """What RoundStatus last wrote; None before the service's first round ended."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


def describe_status(state, interval, now):
    """(exit code, text) for `status`: 0 only when the last round succeeded within two intervals."""
    if not state:
        return 1, "no round yet: the user-lifecycle service has not run in this hub (see the hub's log)"
    when = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
    if not state.get("ok"):
        since = when(state["failingSince"]) if state.get("failingSince") else "its start"
        last = f"; last success {when(state['lastSuccessAt'])}" if state.get("lastSuccessAt") else "; none has succeeded"
        return 1, f"last round: FAILED at {when(state['lastRoundAt'])}: {state.get('error')}\n{state['failuresInARow']} failed round(s) in a row since {since}{last}"
    age = now - state["lastRoundAt"]
    if age > 2 * interval + RETRY_SECONDS:
        return 1, f"last round: ok at {when(state['lastRoundAt'])}, but none since ({int(age)}s): is the service running? (see the hub's log)"
    actions = state.get("actions") or []
    return 0, f"last round: ok at {when(state['lastRoundAt'])} ({len(actions)} change(s))" + "".join(f"\n  {a}" for a in actions)


def serve(api, config, status, sleep=time.sleep, rounds=None):
    """Reconcile now and every intervalSeconds; a failed round is logged as an error, says for how
    long rounds have failed, and is tried again soon (the hub may still be starting)."""
    done = 0
    while rounds is None or done < rounds:
        try:
            status.succeeded(reconcile(api, config))
            pause = config.get("intervalSeconds", 300)
        except Exception as error:  # noqa: any failure, reported
            count, since = status.failed(error)
            log.error(
                "Reconciling the hub's users failed (%d round(s) in a row since %s): %s. Offboarding and renames are not happening until it succeeds.",
                count,
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since)),
                error,
            )
            pause = RETRY_SECONDS
        done += 1
        if rounds is None or done < rounds:
            sleep(pause)


def main(argv):
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(asctime)s user-lifecycle] %(message)s", stream=sys.stderr)
    command = argv[1] if len(argv) > 1 else ""
    z2jh = _z2jh()
    config = z2jh.get_config("custom.userLifecycle")
    api = _hub_api(z2jh, config)
    if command == "stop-all":
        timeout = int(argv[argv.index("--timeout") + 1]) if "--timeout" in argv else 600
        try:
            stopped = stop_all(api, timeout=timeout)
        except (HubApiError, TimeoutError, OSError) as error:
            print(f"could not stop every server through the hub: {error}", file=sys.stderr)
            return 1
        print(f"stopped {len(stopped)} server(s): {', '.join(stopped) or 'none was running'}")
        return 0
    if command == "serve":
        try:
            serve(api, config, RoundStatus())
        except KeyboardInterrupt:  # the hub stops its managed services with SIGINT
            return 0
    if command == "status":
        code, text = describe_status(read_status(), config.get("intervalSeconds", 300), time.time())
        print(text)
        return code
    print("usage: user_lifecycle.py serve | status | stop-all [--timeout SECONDS]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
