"""Runs a rendered values' hub.extraConfig the way the chart's jupyterhub_config.py does: every
entry, in key order, with exec() in one shared namespace holding `c` and `get_config`, with the
hub.extraFiles "mounted" (written under a temporary directory standing in for /). Reads the chart
values as JSON on stdin and prints what the entries configured, as JSON. Used by
tests/hub/extraConfig.test.ts; kubespawner is a stand-in, since only the wiring is under test.

The hub.extraVolumeMounts are made under the same directory; a file whose content lives in a
Kubernetes object rather than in the values (a ConfigMap's CA) is given as an argument,
`<path in the hub pod>=<local file>`. The entries' string literals naming a path under one of
those mounts are pointed at the temporary directory before they run."""
import importlib.util
import json
import os
import sys
import tempfile
import types


class Section(types.SimpleNamespace):
    def __contains__(self, key):  # traitlets' Config is a dict: `"key" in c.Section`
        return key in self.__dict__


class Config:
    def __init__(self):
        self.sections = {}

    def __getattr__(self, name):
        return self.sections.setdefault(name, Section())


class KubeSpawner:
    """Stand-in for kubespawner.KubeSpawner."""


class Authenticator:
    """Stand-in for the class JupyterHub's authenticator_class trait resolves (jupyterhub/traitlets.py EntryPointType)."""

    def __init__(self, name=""):
        self.name = name


def _resolve_authenticator(obj, value):
    return type(str(value).rsplit(".", 1)[-1].replace("-", "_"), (Authenticator,), {}) if isinstance(value, str) else value


_authenticator_trait = types.SimpleNamespace(default_value="pam", validate=_resolve_authenticator)


def get_config(key, default=None):
    node = VALUES
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


VALUES = json.load(sys.stdin)
ROOT = tempfile.mkdtemp()
for entry in get_config("hub.extraFiles", {}).values():
    target = os.path.join(ROOT, entry["mountPath"].lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w", encoding="utf-8") as handle:
        handle.write(entry["stringData"])
_spec_from_file_location = importlib.util.spec_from_file_location
importlib.util.spec_from_file_location = lambda name, location, *a, **k: _spec_from_file_location(
    name, os.path.join(ROOT, location.lstrip("/")), *a, **k
)
MOUNTS = [mount["mountPath"].rstrip("/") for mount in get_config("hub.extraVolumeMounts", [])]
for mount in MOUNTS:
    os.makedirs(os.path.join(ROOT, mount.lstrip("/")), exist_ok=True)
for argument in sys.argv[1:]:
    pod_path, local = argument.split("=", 1)
    target = os.path.join(ROOT, pod_path.lstrip("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(local, encoding="utf-8") as source, open(target, "w", encoding="utf-8") as handle:
        handle.write(source.read())


def relocated(code):
    for mount in MOUNTS:
        code = code.replace(f'"{mount}/', f'"{ROOT}{mount}/')
    return code


sys.modules["kubespawner"] = types.SimpleNamespace(KubeSpawner=KubeSpawner)
sys.modules["jupyterhub"] = types.ModuleType("jupyterhub")
sys.modules["jupyterhub.app"] = types.SimpleNamespace(JupyterHub=types.SimpleNamespace(authenticator_class=_authenticator_trait))
c = Config()
c.KubeSpawner.profile_list = [p for p in get_config("singleuser.profileList", [])]
# The chart's jupyterhub_config.py, before the extraConfig entries: the pass-through authenticator
# class, and the services and roles lists from hub.services and hub.loadRoles (with their names).
if get_config("hub.config.JupyterHub.authenticator_class"):
    c.JupyterHub.authenticator_class = get_config("hub.config.JupyterHub.authenticator_class")
c.JupyterHub.services = [{"name": key, **service} for key, service in get_config("hub.services", {}).items()]
c.JupyterHub.load_roles = [{"name": key, **role} for key, role in get_config("hub.loadRoles", {}).items()]
namespace = {"c": c, "get_config": get_config}
for key, code in sorted(get_config("hub.extraConfig", {}).items()):
    exec(relocated(code), namespace)

spawner_class = getattr(c.JupyterHub, "spawner_class", None)
# The bundle OAuthenticator's requests trust, as a path in the hub pod, once it has been written.
ca_certs = (getattr(c.OAuthenticator, "http_request_kwargs", None) or {}).get("ca_certs")
oauthenticator_ca_certs = ca_certs[len(ROOT):] if ca_certs and ca_certs.startswith(ROOT) and os.path.isfile(ca_certs) else ca_certs
print(
    json.dumps(
        {
            "globals": sorted(k for k in namespace if not k.startswith("__")),
            "pre_spawn_hook": callable(getattr(c.Spawner, "pre_spawn_hook", None)),
            "oauthenticator_ca_certs": oauthenticator_ca_certs,
            "profile_list_callable": callable(getattr(c.KubeSpawner, "profile_list", None)),
            "modify_pod_hook": callable(getattr(c.KubeSpawner, "modify_pod_hook", None)),
            "authenticator_classes": [cls.__name__ for cls in c.JupyterHub.authenticator_class.__mro__ if issubclass(cls, Authenticator)] if isinstance(getattr(c.JupyterHub, "authenticator_class", None), type) else [],
            "blocked_users": sorted(getattr(c.Authenticator, "blocked_users", ())),
            "load_roles": c.JupyterHub.load_roles,
            "spawner_class_is_kubespawner": isinstance(spawner_class, type) and issubclass(spawner_class, KubeSpawner),
            # Each wrapper over the one before it, down to KubeSpawner.
            "spawner_classes": [cls.__name__ for cls in spawner_class.__mro__ if issubclass(cls, KubeSpawner)] if isinstance(spawner_class, type) else [],
        }
    )
)
