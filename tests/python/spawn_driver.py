"""Just enough of JupyterHub and KubeSpawner to run the hub's real hooks in the order the hub runs
them. Nothing here decides anything the code under test decides; it only calls it as upstream does.

- spawn() follows User.spawn in JupyterHub 5.5.0 (jupyterhub/user.py, spawn(): `spawner.clear_state()`
  first, then the `try:` from `spawner._start_pending = True`; the same steps in 5.3.0):
  authenticator.pre_spawn_start, the auth_state hook, spawner.apply_group_overrides(),
  spawner._run_apply_user_options(...), spawner.run_pre_spawn_hook(), then spawner.start(); on any
  exception, `await self.stop(...)` (its own errors logged and swallowed) and the original
  exception is raised again; once started, `spawner.orm_spawner.state = spawner.get_state()`.
- stop() follows User.stop (same file): poll(), spawner.stop() if it is running, and in the
  `finally:` block run_post_stop_hook(), whose exceptions are logged, never raised, then
  `spawner.clear_state()` and `spawner.orm_spawner.state = spawner.get_state()`.
- Database stands in for the hub's database: one orm Spawner (its `state`) per user and server
  name, kept across hub restarts; new_spawner() loads it as User._new_spawner does
  (`spawner.load_state(orm_spawner.state or {})`).
- Spawner.run_pre_spawn_hook / run_post_stop_hook are copied from jupyterhub/spawner.py (5.5.0).
- FakeKubeSpawner.start() follows KubeSpawner 7.0.0 (kubespawner/spawner.py): _start() calls
  load_user_options() first, which resolves profile_list (calling it with the spawner, and
  awaiting, when callable), then _validate_user_options / _get_profile: no options or no profile
  means the default one; an unknown slug raises ValueError("No such profile: ...").
- new_spawner() loads hooks and profile_list from the config like traitlets does for a real
  Spawner (traitlets/config/configurable.py, Configurable._load_config): a deepcopy of each value.
"""
import asyncio
import copy
import inspect
import logging
import types

log = logging.getLogger("spawn_driver")


async def maybe_future(value):
    return await value if inspect.isawaitable(value) else value


class Section(types.SimpleNamespace):
    """One class's section of the hub's `c`; unset options read as absent (getattr default)."""


def hub_config(profile_list):
    """A `c` as Zero to JupyterHub leaves it before the extraConfig entries run."""
    return types.SimpleNamespace(
        Spawner=Section(),
        KubeSpawner=Section(profile_list=list(profile_list)),
        JupyterHub=Section(spawner_class="kubespawner.KubeSpawner"),
        OAuthenticator=Section(),
    )


def user(name, groups=(), admin=False):
    return types.SimpleNamespace(name=name, admin=admin, groups=[types.SimpleNamespace(name=g) for g in groups])


class FakeKubeSpawner:
    """KubeSpawner's profile handling and lifecycle, with the pod replaced by a flag."""

    def __init__(self, user, name="", user_options=None):
        self.user = user
        self.name = name
        self.user_options = dict(user_options or {})
        self.environment = {}
        self.profile_list = []
        self.pre_spawn_hook = None
        self.post_stop_hook = None
        self.fail_start = None  # an exception start() raises after loading the profile
        self.running = False
        self.loaded_profile = None
        self.log = log
        self.volumes = []
        self.volume_mounts = []
        self.orm_spawner = types.SimpleNamespace(state={})
        self.pod_name = f"jupyter-{user.name}" + (f"--{name}" if name else "")

    # kubespawner/spawner.py 7.0.0 (the parts of the state this project relies on)
    def get_state(self):
        return {"kubespawner_version": "7.0.0", "pod_name": self.pod_name}

    def load_state(self, state):
        if "pod_name" in state:
            self.pod_name = state["pod_name"]

    def clear_state(self):
        pass

    # jupyterhub/spawner.py 5.5.0
    def run_pre_spawn_hook(self):
        if self.pre_spawn_hook:
            return self.pre_spawn_hook(self)

    def run_post_stop_hook(self):
        if self.post_stop_hook is not None:
            try:
                return self.post_stop_hook(self)
            except Exception:
                self.log.exception("post_stop_hook failed with exception: %s", self)

    async def apply_group_overrides(self):
        pass

    async def _run_apply_user_options(self, user_options):
        pass

    async def run_auth_state_hook(self, auth_state):
        pass

    # kubespawner/spawner.py 7.0.0
    async def load_user_options(self):
        profile_list = self.profile_list
        if callable(profile_list):
            profile_list = await maybe_future(profile_list(self))
        slug = (self.user_options or {}).get("profile")
        if slug:
            matches = [p for p in profile_list if p["slug"] == slug]
            if not matches:
                raise ValueError("No such profile: %s. Options include: %s" % (slug, ", ".join(p["slug"] for p in profile_list)))
            self.loaded_profile = matches[0]["slug"]
        elif profile_list:
            self.loaded_profile = next((p for p in profile_list if p.get("default")), profile_list[0])["slug"]

    async def start(self):
        await self.load_user_options()
        if self.fail_start is not None:
            raise self.fail_start
        self.running = True
        return "http://10.0.0.7:8888"

    async def poll(self):
        return None if self.running else 0

    async def stop(self):
        self.running = False


class Database:
    """The hub's database: an orm Spawner per (user, server name), surviving hub restarts."""

    def __init__(self):
        self.spawners = {}

    def orm_spawner(self, user, name=""):
        return self.spawners.setdefault((user.name, name), types.SimpleNamespace(state={}))


def new_spawner(spawner_class, c, user, name="", user_options=None, database=None):
    spawner = spawner_class(user, name, user_options)
    for section in (c.Spawner, c.KubeSpawner):
        for option in ("pre_spawn_hook", "post_stop_hook", "profile_list"):
            if hasattr(section, option):
                setattr(spawner, option, copy.deepcopy(getattr(section, option)))
    if database is not None:
        spawner.orm_spawner = database.orm_spawner(user, name)
    spawner.load_state(spawner.orm_spawner.state or {})
    return spawner


async def stop(spawner):
    """User.stop: stop the server if it runs, then always the post-stop hook."""
    try:
        status = await spawner.poll()
        if status is None:
            await spawner.stop()
    finally:
        try:
            await maybe_future(spawner.run_post_stop_hook())
        except Exception:
            log.exception("Error in Spawner.post_stop_hook")
        spawner.clear_state()
        spawner.orm_spawner.state = spawner.get_state()


async def spawn(spawner):
    """User.spawn from the authenticator's pre-spawn step to Spawner.start; stop on failure."""
    spawner.clear_state()
    try:
        await spawner.run_auth_state_hook(None)
        await spawner.apply_group_overrides()
        await spawner._run_apply_user_options(spawner.user_options)
        await maybe_future(spawner.run_pre_spawn_hook())
        await asyncio.wait_for(maybe_future(spawner.start()), timeout=30)
    except Exception:
        try:
            await stop(spawner)
        except Exception:
            log.exception("Failed to cleanup server that failed to start")
        raise
    spawner.orm_spawner.state = spawner.get_state()


def spawned_by_hook(hook_module, cfg, username, read_service_account_token):
    """A bare spawner of `username`'s default server after the Vault pre-spawn hook ran on it: only
    the attributes the hook reads and writes, without the rest of a spawn."""
    client = hook_module.VaultClient(cfg, read_service_account_token=read_service_account_token)
    spawner = types.SimpleNamespace(
        user=types.SimpleNamespace(name=username),
        name="",
        environment={},
        volumes=[],
        volume_mounts=[],
        get_state=dict,
        orm_spawner=types.SimpleNamespace(state={}),
    )
    asyncio.run(hook_module.make_pre_spawn_hook(cfg, client)(spawner))
    return spawner
