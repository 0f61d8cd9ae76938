"""The hub's config as the Zero to JupyterHub chart makes it, and real KubeSpawners built from it.

Runs in the hub image's own Python (tests/harness/pythonTests.ts, `npm run test:python`, gives
HUB_CHART_VERSION, HUB_CHART_NEWEST, HUB_CHART_DIR and HELM), for one chart version per run:

- hub_config(values) renders the real chart with `helm template` and these values, lays out
  what the hub container gets from the chart's ConfigMap and Secret (their keys as files at the
  mount paths, `subPath` mounts as single files; kubelet's pkg/volume/configmap and secret) and
  the environment the chart's config reads (POD_NAMESPACE from the Downward API, and the Services'
  <NAME>_SERVICE_PORT: kubelet pkg/kubelet/envvars/envvars.go), then loads the chart's own
  files/hub/jupyterhub_config.py with traitlets' PyFileConfigLoader as JupyterHub does
  (Application.load_config_file). That file execs the values' hub.extraConfig entries. The
  pod's paths are a temporary directory here: each string literal naming a mounted directory
  (`"/usr/local/etc/jupyterhub/...`) in the chart's two files and in hub.extraConfig is pointed at
  it, and nothing else of them is changed.
- Hub(c) builds spawners the way JupyterHub does: a real jupyterhub.user.User over an orm.User in
  an in-memory database (as jupyterhub/tests/test_spawner.py new_spawner does), and
  User._new_spawner(server_name, spawner_class=..., config=c): the spawner class is the one the
  config ends with (c.JupyterHub.spawner_class), KubeSpawner 7 itself when it is still the
  chart's string. KubeSpawner's __init__ loads a Kubernetes client configuration
  (kubespawner/clients.py load_config: in-cluster, else a kubeconfig) and needs a running event
  loop (shared_client), so Hub keeps one loop and the in-cluster setup naming its API server: the fake
  one of tests/realhub/fakes/kube_api.py when a test starts servers (Hub(c, kube=...)), else an
  address where nothing listens.
"""
import asyncio
import atexit
import contextlib
import copy
import functools
import glob
import hashlib
import json
import logging
import os
import pathlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from unittest import mock

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The in-memory database's migration stamp (once a process: _new_database) says nothing a test needs.
logging.getLogger("alembic").setLevel(logging.WARNING)
sys.path.insert(0, str(ROOT / "tests" / "realhub" / "fakes"))

Z2JH_DIR = "/usr/local/etc/jupyterhub"
RELEASE = NAMESPACE = "jupyterhub"


def _venv_chart_version():
    # hubPython.ts names each venv hub-venv-<chart version>-<hash>.
    name = pathlib.Path(sys.prefix).name
    return name.split("-")[2] if name.startswith("hub-venv-") else None


CHART_VERSION = os.environ.get("HUB_CHART_VERSION") or _venv_chart_version()
if not CHART_VERSION:
    raise RuntimeError(
        "chart_hub.py runs in the hub's Python of one chart version: `npm run test:python`, or "
        '"$(node -r ./scripts/registerTypeScript.cjs tests/harness/hubPythonCli.ts 4.4.0)" -m unittest <file>'
    )


def on_the_newest_chart_only(reason):
    """For a test class whose subject runs outside the hub (the server image's start hook, under the
    image's python3), so the hub of another chart version adds nothing: npm test, which runs a
    module on each chart version, runs the class on the newest (HUB_CHART_NEWEST,
    chartHubPython.ts) only, and skips it, saying why, on the others. Run by hand, it runs."""
    import unittest

    newest = os.environ.get("HUB_CHART_NEWEST")
    return unittest.skipIf(bool(newest) and CHART_VERSION != newest, f"{reason}; it runs with chart {newest}'s hub")


try:
    import kubespawner  # noqa: F401
    import jupyterhub  # noqa: F401
except ImportError as error:
    raise RuntimeError(f"chart_hub.py needs the hub's Python (JupyterHub, KubeSpawner): {error}") from None


def _yaml_safe():
    """PyYAML's safe loader and dumper, libyaml's where built in (as in the hub's wheels): the
    same documents, a tenth of the pure-Python parser's time on a whole rendered chart."""
    import yaml

    if yaml.__with_libyaml__:
        return yaml.CSafeLoader, yaml.CSafeDumper
    return yaml.SafeLoader, yaml.SafeDumper


def chart_directory():
    given = os.environ.get("HUB_CHART_DIR")
    charts = os.environ.get("Z2JH_CHARTS") or str(ROOT.parent / "shared" / "z2jh")
    directory = pathlib.Path(given or os.path.join(charts, CHART_VERSION, "chart"))
    if not (directory / "Chart.yaml").exists():
        raise RuntimeError(f"the real Z2JH chart {CHART_VERSION} is not at {directory}: set HUB_CHART_DIR (npm run test:python does)")
    return directory


def helm():
    found = os.environ.get("HELM") or next(iter(sorted(glob.glob(str(ROOT / "node_modules" / ".cache" / "jupyterhub-pulumi" / "helm-*" / "helm")))), None)
    if not found or not os.path.exists(found):
        raise RuntimeError("no helm binary: set HELM (npm run test:python does; tests/harness/layerBinary.ts unpacks one)")
    return found


@functools.lru_cache(maxsize=None)
def _render(values_json):
    """helm template's manifests, as an earlier process got them from the same helm binary, chart
    files, arguments and values (kept under the test inputs, as tests/harness/helmTemplate.ts keeps
    the jest files' renders; `npm ci` empties them), else helm's, kept for the next. Each module
    of each chart version rendered the chart again in every run: ~0.6 CPU-s of helm loading the
    chart, and the YAML to parse. A kept render keeps the secrets the chart makes up at random."""
    args = ["template", RELEASE, str(chart_directory()), "--namespace", NAMESPACE, "--kube-version", "1.32.0"]
    binary = os.stat(helm())
    key = json.dumps([helm(), binary.st_size, binary.st_mtime_ns, args, _chart_digest(str(chart_directory())), values_json])
    kept = _kept_renders() / f"{hashlib.sha256(key.encode()).hexdigest()}.json"
    try:
        return json.loads(kept.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass  # not rendered with these inputs before
    manifests = _helm_template(args, values_json)
    text = json.dumps(manifests)
    # Kept only where JSON gives back exactly what the YAML said (no dates, no non-string keys).
    if json.loads(text) == manifests:
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f"{kept.name}.{os.getpid()}")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, kept)  # another process may read it meanwhile
    return manifests


def _kept_renders():
    cache = os.environ.get("JUPYTERHUB_PULUMI_CACHE") or str(ROOT / "node_modules" / ".cache" / "jupyterhub-pulumi")
    return pathlib.Path(cache) / "helm-template"


@functools.lru_cache(maxsize=None)
def _chart_digest(directory):
    """The digest of every file of the chart directory, with its path: what helm reads of the chart."""
    digest = hashlib.sha256()
    for path in sorted(p for p in pathlib.Path(directory).rglob("*") if p.is_file()):
        digest.update(f"\0{path.relative_to(directory)}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _helm_template(args, values_json):
    import yaml

    scratch = tempfile.mkdtemp(prefix="chart-hub-helm-")
    try:
        values_file = os.path.join(scratch, "values.yaml")
        with open(values_file, "w", encoding="utf-8") as handle:
            handle.write(values_json)  # JSON is YAML
        env = {**os.environ, "HELM_CACHE_HOME": scratch, "HELM_CONFIG_HOME": scratch, "HELM_DATA_HOME": scratch}
        output = subprocess.run([helm(), *args, "--values", values_file], capture_output=True, text=True, env=env, check=False)
        if output.returncode != 0:
            raise RuntimeError(f"helm template failed: {output.stderr.strip()}")
        return [m for m in yaml.load_all(output.stdout, Loader=_yaml_safe()[0]) if isinstance(m, dict)]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def render(values=None):
    """The chart's manifests for these values (helm template), cached per values."""
    return copy.deepcopy(_render(json.dumps(values or {}, sort_keys=True)))


def _one(manifests, kind, name):
    for m in manifests:
        if m.get("kind") == kind and m["metadata"]["name"] == name:
            return m
    raise KeyError(f"no {kind} {name} in the rendered chart")


def _keyed(manifest):
    import base64

    if manifest["kind"] == "Secret":
        data = {k: base64.b64decode(v).decode() for k, v in (manifest.get("data") or {}).items()}
        return {**data, **(manifest.get("stringData") or {})}
    return dict(manifest.get("data") or {})


def lay_out(manifests, root, files=None):
    """Write the hub container's ConfigMap and Secret mounts under `root`; its environment.

    `files` adds {path in the pod: content} for objects the chart does not render (a ConfigMap of
    the stack's, say). Returns (environment, the pod's mounted directories)."""
    pod = _one(manifests, "Deployment", "hub")["spec"]["template"]["spec"]
    container = next(c for c in pod["containers"] if c["name"] == "hub")
    volumes = {v["name"]: v for v in pod.get("volumes") or []}
    objects = {(m["kind"], m["metadata"]["name"]): _keyed(m) for m in manifests if m.get("kind") in ("ConfigMap", "Secret")}
    directories = set()

    def write(path, content):
        target = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(content)

    for mount in container.get("volumeMounts") or []:
        volume = volumes[mount["name"]]
        path = mount["mountPath"].rstrip("/")
        source = ("ConfigMap", volume["configMap"]["name"], volume["configMap"]) if "configMap" in volume else (
            ("Secret", volume["secret"]["secretName"], volume["secret"]) if "secret" in volume else None)
        directories.add(os.path.dirname(path) if mount.get("subPath") else path)
        if source is None:  # emptyDir, the database's PVC: an empty directory
            os.makedirs(os.path.join(root, path.lstrip("/")), exist_ok=True)
            continue
        data = objects.get(source[:2])
        if data is None:
            if source[2].get("optional") or any(p.startswith(path + "/") or p == path for p in files or {}):
                continue
            raise KeyError(f"hub mount {path}: no {source[0]} {source[1]} rendered; give its files")
        items = source[2].get("items") or [{"key": k, "path": k} for k in data]
        if mount.get("subPath"):
            item = next(i for i in items if i["path"] == mount["subPath"])
            write(path, data[item["key"]])
        else:
            for item in items:
                write(f"{path}/{item['path']}", data[item["key"]])
    for path, content in (files or {}).items():
        directories.add(os.path.dirname(path))
        write(path, content)

    env = {}
    for variable in container.get("env") or []:
        source = variable.get("valueFrom") or {}
        if "value" in variable:
            env[variable["name"]] = str(variable["value"])
        elif source.get("fieldRef", {}).get("fieldPath") == "metadata.namespace":
            env[variable["name"]] = NAMESPACE
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            value = objects.get(("Secret", ref["name"]), {}).get(ref["key"])
            if value is not None:
                env[variable["name"]] = value
    for service in (m for m in manifests if m.get("kind") == "Service"):
        prefix = service["metadata"]["name"].upper().replace("-", "_")
        ports = service["spec"].get("ports") or []
        env[f"{prefix}_SERVICE_HOST"] = "10.96.0.10"
        if ports:
            env[f"{prefix}_SERVICE_PORT"] = str(ports[0]["port"])
    return env, directories


def relocated(code, root, directories):
    """`code` with each string literal that starts with one of the pod's mounted directories
    pointed under `root` (only a quote directly before the path counts, so nothing moves twice)."""
    for directory in sorted(directories, key=len, reverse=True):
        for quote in ('"', "'"):
            code = code.replace(f"{quote}{directory}/", f"{quote}{root}{directory}/").replace(f"{quote}{directory}{quote}", f"{quote}{root}{directory}{quote}")
    return code


_loaded = {}  # hub_config's (values, files) -> (a copy of its config, its root)


def _config_copy(c):
    """A copy of a loaded config that shares nothing with it. traitlets' Config.__deepcopy__ copies
    a section's dicts and lists one level deep only (traitlets/config/loader.py), so the entries of
    profile_list, load_roles or services would be the same objects in every copy."""
    from traitlets.config import Config

    return Config({name: Config({trait: copy.deepcopy(value) for trait, value in section.items()}) if isinstance(section, Config) else copy.deepcopy(section) for name, section in c.items()})


def hub_config(values=None, files=None, keep=None):
    """`c` as the chart's jupyterhub_config.py leaves it for these chart values (hub.extraConfig
    entries included). `keep`, a list, gets the temporary root (the pod's files) to look at.

    Without hub.extraConfig (code that may keep state of its own) the chart's config runs once per
    values and files in a process, and every call gets a copy of what it made that shares nothing
    (_config_copy), so no test sees another's changes."""
    import yaml
    from traitlets.config.loader import PyFileConfigLoader

    key = json.dumps([values or {}, files or {}], sort_keys=True)
    cacheable = not ((values or {}).get("hub") or {}).get("extraConfig")
    if cacheable and key in _loaded:
        c, root = _loaded[key]
        if keep is not None:
            keep.append(root)
        return _config_copy(c)
    manifests = render(values)
    root = tempfile.mkdtemp(prefix="chart-hub-")
    # The config names files under it (the chart's paths, moved): it goes when the process ends.
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    if keep is not None:
        keep.append(root)
    env, directories = lay_out(manifests, root, files)
    directories |= {Z2JH_DIR}
    for name in ("jupyterhub_config.py", "z2jh.py"):
        path = os.path.join(root, Z2JH_DIR.lstrip("/"), name)
        with open(path, encoding="utf-8") as handle:
            code = handle.read()
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(relocated(code, root, directories))
    secret_values = os.path.join(root, Z2JH_DIR.lstrip("/"), "secret", "values.yaml")
    with open(secret_values, encoding="utf-8") as handle:
        chart_values = yaml.load(handle, Loader=_yaml_safe()[0])
    extra = chart_values.get("hub", {}).get("extraConfig") or {}
    for name in extra:
        extra[name] = relocated(extra[name], root, directories)
    with open(secret_values, "w", encoding="utf-8") as handle:
        yaml.dump(chart_values, handle, Dumper=_yaml_safe()[1])

    sys.modules.pop("z2jh", None)  # the chart's config imports it from its own directory
    saved_path = list(sys.path)
    try:
        with mock.patch.dict(os.environ, env):
            loader = PyFileConfigLoader("jupyterhub_config.py", path=os.path.join(root, Z2JH_DIR.lstrip("/")))
            with open(os.devnull, "w", encoding="utf-8") as quiet, contextlib.redirect_stdout(quiet):  # its "Loading ..." lines
                c = loader.load_config()
    finally:
        sys.path[:] = saved_path
        sys.modules.pop("z2jh", None)
    if cacheable:
        _loaded[key] = (_config_copy(c), root)
    return c


def dict_or_list_values(entries):
    """KubeSpawner's volumes or volume_mounts as make_pod gets them (get_pod_manifest: a dict's
    values sorted by key, `_sorted_dict_values`; a list as it is)."""
    return [entries[k] for k in sorted(entries)] if isinstance(entries, dict) else list(entries)


class Hub:
    """Users in an in-memory JupyterHub database and their spawners, with one event loop.

    kube: a running FakeKubeApi (tests/realhub/fakes/kube_api.py) with `ca` (its CA file) and
    `token`, or None for spawners that never reach the API (building a pod needs none)."""

    def __init__(self, c, kube=None, database=None):
        from jupyterhub import orm

        from kubespawner import KubeSpawner

        # KubeSpawner's reflectors are its class's, each on the loop that started it: a Hub made
        # while another has running ones would reuse them, their loop stopped, and wait forever.
        if KubeSpawner.reflectors:
            raise RuntimeError(f"another chart_hub.Hub started servers and is not closed (KubeSpawner reflectors: {sorted(map(str, KubeSpawner.reflectors))})")
        self.c = c
        self.kube = kube
        self.users = {}
        self.loop = asyncio.new_event_loop()
        # KubeSpawner.start() makes its future when called (asyncio.ensure_future), outside a coroutine.
        asyncio.set_event_loop(self.loop)
        self.db = database or _new_database()
        self.directory = tempfile.mkdtemp(prefix="chart-hub-kube-")
        # In-cluster, as in the hub pod: the Service's address in the environment, the token and
        # CA where kubernetes_asyncio's incluster_config reads them (here, this directory).
        token = os.path.join(self.directory, "token")
        with open(token, "w", encoding="ascii") as handle:
            handle.write(kube.token if kube else "no-api-server")
        server = kube.url if kube else "https://127.0.0.1:9"
        host, port = server[len("https://"):].rsplit(":", 1)
        from kubernetes_asyncio.config import incluster_config
        import certifi

        self._patches = [
            mock.patch.dict(os.environ, {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}),
            mock.patch.object(incluster_config, "SERVICE_TOKEN_FILENAME", token),
            mock.patch.object(incluster_config, "SERVICE_CERT_FILENAME", kube.ca if kube else certifi.where()),
        ]
        for patch in self._patches:
            patch.start()
        # kubespawner/clients.py load_config is lru_cached per host and sets the client's global
        # default configuration; a hub process starts with the cache empty. Without clearing it, a
        # fake API server that got the port an earlier test's had would find its host "loaded"
        # and the client would still aim at the last other server (connection refused: a flake).
        from kubespawner import clients

        clients.load_config.cache_clear()
        self.c.KubeSpawner.k8s_api_host = server

    def close(self):
        from kubespawner import KubeSpawner

        try:
            self.loop.run_until_complete(KubeSpawner._stop_all_reflectors())
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        finally:
            self.loop.close()
            asyncio.set_event_loop(None)
            for patch in reversed(self._patches):
                patch.stop()
            shutil.rmtree(self.directory, ignore_errors=True)

    def run(self, awaitable):
        return self.loop.run_until_complete(awaitable)

    def spawner_class(self):
        from kubespawner import KubeSpawner

        configured = self.c.JupyterHub.get("spawner_class", KubeSpawner)
        return configured if isinstance(configured, type) else KubeSpawner

    def user(self, name, groups=(), admin=False):
        """The hub's User for `name` (made on first use, one per Hub as in JupyterHub's
        UserDict), in these groups. Its settings are what the JupyterHub app gives every User
        (app.py init_tornado_settings): statsd off is an EmptyClass, no internal SSL."""
        from jupyterhub import orm
        from jupyterhub.emptyclass import EmptyClass
        from jupyterhub.roles import assign_default_roles
        from jupyterhub.user import User

        orm_user = orm.User.find(self.db, name)
        if orm_user is None:
            orm_user = orm.User(name=name)
            self.db.add(orm_user)
        orm_user.admin = admin
        orm_user.groups = [orm.Group.find(self.db, g) or orm.Group(name=g) for g in groups]
        self.db.commit()
        assign_default_roles(self.db, orm_user)
        if name not in self.users:
            settings = {"config": self.c, "spawner_class": self.spawner_class(), "hub": _hub_object(), "statsd": EmptyClass(), "internal_ssl": False}
            self.users[name] = User(orm_user, settings)
        return self.users[name]

    def spawn(self, user, server_name="", options=None):
        """JupyterHub's own User.spawn: the hooks, Spawner.start, the wait for the server to answer
        over HTTP (a fake singleuser server at the pod's address, kube_api below), and on a failure
        User.stop, then the error again."""
        return self.run(user.spawn(server_name, options))

    def stop(self, user, server_name=""):
        """JupyterHub's own User.stop: Spawner.stop if it runs, then the post-stop hook and the
        cleared state, always."""
        return self.run(user.stop(server_name))

    def spawner(self, user, name="", user_options=None, spawner_class=None):
        """A new spawner of `user`'s server `name`, as User._new_spawner makes one (its state
        loaded from the database)."""

        async def make():
            spawner = user._new_spawner(name, spawner_class=spawner_class or self.spawner_class())
            if user_options is not None:
                spawner.user_options = user_options
            return spawner

        return self.run(make())

    def server(self, user, name=""):
        """The user's spawner of server `name`, as the hub holds it (user.spawners[name], made
        from the database when the hub has none yet)."""

        async def get():
            return user.spawners[name]

        return self.run(get())

    def running(self, spawner):
        """Whether KubeSpawner's poll() says the server runs (None), as the hub asks it."""
        return self.run(spawner.poll()) is None

    def pod(self, spawner):
        """The V1Pod KubeSpawner would create for this spawner now, built as _start builds it
        (kubespawner/spawner.py 7.0.0): get_pod_manifest(), then modify_pod_hook(spawner, pod)."""

        async def build():
            pod = await spawner.get_pod_manifest()
            if spawner.modify_pod_hook:
                pod = spawner.modify_pod_hook(spawner, pod)
                pod = await pod if asyncio.iscoroutine(pod) else pod
            return pod

        return self.run(build())

    def pod_json(self, spawner):
        """That pod as KubeSpawner's client sends it to the API server (camelCase JSON)."""
        return spawner.api.api_client.sanitize_for_serialization(self.pod(spawner))


KUBE_TOKEN = "hub-service-account-token"


def kube_api(manifests=None, extra_rules=(), **options):
    """A running fake API server (tests/realhub/fakes/kube_api.py) over TLS from a throwaway CA,
    authorizing the hub's ServiceAccount by the chart's own hub Role (from `manifests`, a render)
    plus `extra_rules`, or everything when no manifests are given. Its kubelet gives each pod an
    address of its own in 127.0.0.0/8 with jupyterhub-singleuser answering there on port 8888
    (tests/realhub/fakes/singleuser.py), unless `kubelet` is given. Its scheduler and kubelet
    take 5 ms a step and a server's containers 20 ms to exit (the fake's defaults are 50 and 200):
    the same steps in the same order, and KubeSpawner waits for each as it would for longer ones,
    but a spawn and stop here take a third of the time. Stop it with .stop()."""
    import random

    import throwaway_ca
    from jupyterhub import __version__ as jupyterhub_version
    from kube_api import FakeKubeApi
    from singleuser import FakeSingleuser

    rbac = None
    if manifests is not None:
        rbac = list(_one(manifests, "Role", "hub")["rules"]) + list(extra_rules)
    servers = []

    def kubelet(pod):
        # An address of loopback's 127.0.0.0/8 no other test process holds port 8888 on.
        for _ in range(100):
            address = f"127.{random.randint(1, 254)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
            try:
                servers.append(FakeSingleuser(address, 8888, jupyterhub_version))
            except OSError:
                continue
            return {"podIP": address}
        raise RuntimeError("no free loopback address for a server")

    cas = throwaway_ca.cas()
    api = FakeKubeApi(tls=cas.a.server, token=KUBE_TOKEN, namespace=NAMESPACE, rbac=rbac, **{"kubelet": kubelet, "kubelet_delay": 0.005, "stop_seconds": 0.02, **options}).start()
    api.ca, api.token = cas.a.ca, KUBE_TOKEN
    stop = api.stop

    def stop_all():
        stop()
        for server in servers:
            server.close()

    api.stop = stop_all
    return api


_template = []  # the first database's own sqlite3 connection (every database starts as its copy), then the first engine


def _sqlite_memory():
    # new_session_factory's connect_args for sqlite, which a `creator` replaces.
    return sqlite3.connect(":memory:", check_same_thread=False)


def _new_database():
    """An in-memory hub database with JupyterHub's own OAuth client and default roles, as
    jupyterhub/tests/conftest.py `db` makes one (MockHub.init_db, then the default roles).

    That is done once per process, on a sqlite3 connection of ours; each database is a copy of
    it (sqlite3's backup) on an engine orm.new_session_factory makes as for any other, without
    check_db_revision: on an empty `sqlite:///:memory:` database that loads every alembic
    migration script (~40 ms) to stamp the head revision through alembic's own connection to the
    URL, another in-memory database, so ours never has the stamp (nor the first one), and on a
    copy, whose tables exist, it would look for that stamp."""
    from jupyterhub import orm
    from jupyterhub.roles import create_role, get_default_roles

    if not _template:
        connection = _sqlite_memory()
        db = orm.new_session_factory("sqlite:///:memory:", creator=lambda: connection)()
        # The hub's own OAuth client, which JupyterHub.init_db makes (app.py 5.5.0).
        db.add(orm.OAuthClient(identifier="jupyterhub", secret="", redirect_uri="", description="JupyterHub"))
        for role in get_default_roles():
            create_role(db, role)
        db.commit()
        db.close()
        _template.append(connection)
    copy_of_template = _sqlite_memory()
    _template[0].backup(copy_of_template)
    with mock.patch.object(orm, "check_db_revision", lambda engine: None):
        session = orm.new_session_factory("sqlite:///:memory:", creator=lambda: copy_of_template)()
    # SQLAlchemy compiles each statement once per engine (its compiled cache is the engine's, keyed
    # by its dialect), and a hub's engine lives as long as the hub. Here every Hub has an engine of
    # its own, so each compiled JupyterHub's statements anew: a fifth of a spawn's CPU. They share
    # the first engine's dialect and cache instead, as one hub's database sessions do; every
    # engine's dialect is the same sqlite one, set up alike.
    engine = session.get_bind()
    if len(_template) == 1:
        _template.append(engine)
    else:
        engine.dialect, engine._compiled_cache = _template[1].dialect, _template[1]._compiled_cache
    return session


def _hub_object():
    from jupyterhub.objects import Hub as HubObject

    return HubObject(base_url="/hub/")
