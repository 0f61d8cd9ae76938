"""Runs a rendered values' hub.extraConfig the way the chart's jupyterhub_config.py does: every
entry, in key order, with exec() in one shared namespace holding `c` and `get_config`, with the
hub.extraFiles "mounted" (written under a temporary directory standing in for /). Reads the chart
values as JSON on stdin and prints what the entries configured, as JSON. Used by
tests/hub/extraConfig.test.ts; kubespawner is a stand-in, since only the wiring is under test."""
import importlib.util
import json
import os
import sys
import tempfile
import types


class Section(types.SimpleNamespace):
    pass


class Config:
    def __init__(self):
        self.sections = {}

    def __getattr__(self, name):
        return self.sections.setdefault(name, Section())


class KubeSpawner:
    """Stand-in for kubespawner.KubeSpawner."""


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
sys.modules["kubespawner"] = types.SimpleNamespace(KubeSpawner=KubeSpawner)
c = Config()
c.KubeSpawner.profile_list = [p for p in get_config("singleuser.profileList", [])]
namespace = {"c": c, "get_config": get_config}
for key, code in sorted(get_config("hub.extraConfig", {}).items()):
    exec(code, namespace)

spawner_class = getattr(c.JupyterHub, "spawner_class", None)
print(
    json.dumps(
        {
            "globals": sorted(k for k in namespace if not k.startswith("__")),
            "pre_spawn_hook": callable(getattr(c.Spawner, "pre_spawn_hook", None)),
            "profile_list_callable": callable(getattr(c.KubeSpawner, "profile_list", None)),
            "modify_pod_hook": callable(getattr(c.KubeSpawner, "modify_pod_hook", None)),
            "spawner_class_is_kubespawner": isinstance(spawner_class, type) and issubclass(spawner_class, KubeSpawner),
        }
    )
)
