"""Runs rendered stacks' chart values the way the chart's hub pod does, and prints what their
hub.extraConfig entries configured, as JSON. Reads a JSON list of chart values on stdin (one
stack each, so that one process, which imports the hub's Python once, serves a test file) and
prints a list, one entry each.

The real chart renders them (helm template), the hub container's files are laid out and the
chart's own jupyterhub_config.py runs them with traitlets' loader, in the hub image's own Python:
KubeSpawner, JupyterHub's Authenticator and OAuthenticator are the real ones
(tests/python/chart_hub.py; run it with tests/harness/chartHubPython.ts). Used by
tests/hub/extraConfig.test.ts and tests/lifecycle/lifecycleStack.test.ts.

A file whose content lives in a Kubernetes object the chart does not render (a ConfigMap's CA) is
given as an argument, `<path in the hub pod>=<local file>`, for each stack.

Two probe entries are added around the stack's own (hub.extraConfig "!probe" sorts before them,
"~probe" after): each records the names in the namespace the chart's config execs the entries
in, so the output says which names the stack's entries added to it.
"""
import json
import logging
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import chart_hub  # noqa: E402

PROBE = "c.ExtraConfigProbe.{when} = sorted(k for k in globals() if not k.startswith('__'))\n"


def wired(values, files):
    extra = dict((values.get("hub") or {}).get("extraConfig") or {})
    extra.update({"!probe": PROBE.format(when="before"), "~probe": PROBE.format(when="after")})
    values = {**values, "hub": {**(values.get("hub") or {}), "extraConfig": extra}}
    roots = []
    c = chart_hub.hub_config(values, files=files, keep=roots)
    root = roots[0]

    from jupyterhub.auth import Authenticator
    from kubespawner import KubeSpawner

    spawner_class = c.JupyterHub.get("spawner_class")
    authenticator_class = c.JupyterHub.get("authenticator_class")
    # The bundle OAuthenticator's requests trust, as a path in the hub pod, once it has been written.
    kwargs = c.OAuthenticator.get("http_request_kwargs") or {}
    kwargs = kwargs.get_value({}) if hasattr(kwargs, "get_value") else kwargs  # a traitlets LazyConfigValue: what the trait gets
    ca_certs = kwargs.get("ca_certs")
    if ca_certs and ca_certs.startswith(root):
        ca_certs = ca_certs[len(root):] if os.path.isfile(ca_certs) else f"(not written) {ca_certs[len(root):]}"
    probe = c.ExtraConfigProbe
    return {
        # What the stack's entries added to the namespace of the chart's config.
        "globals": sorted(set(probe.after) - set(probe.before)),
        "pre_spawn_hook": callable(c.Spawner.get("pre_spawn_hook")),
        "oauthenticator_ca_certs": ca_certs,
        "profile_list_callable": callable(c.KubeSpawner.get("profile_list")),
        "modify_pod_hook": callable(c.KubeSpawner.get("modify_pod_hook")),
        "authenticator_classes": [cls.__name__ for cls in authenticator_class.__mro__ if issubclass(cls, Authenticator)] if isinstance(authenticator_class, type) else [],
        "blocked_users": sorted(c.Authenticator.get("blocked_users") or ()),
        "load_roles": c.JupyterHub.get("load_roles"),
        "spawner_class_is_kubespawner": isinstance(spawner_class, type) and issubclass(spawner_class, KubeSpawner),
        # Each wrapper over the one before it, down to KubeSpawner.
        "spawner_classes": [cls.__name__ for cls in spawner_class.__mro__ if issubclass(cls, KubeSpawner)] if isinstance(spawner_class, type) else [],
    }


def main():
    logging.disable(logging.WARNING)  # the hooks' info lines; stderr is for errors
    files = {}
    for argument in sys.argv[1:]:
        pod_path, local = argument.split("=", 1)
        files[pod_path] = pathlib.Path(local).read_text(encoding="utf-8")
    print(json.dumps([wired(values, files) for values in json.load(sys.stdin)]))


if __name__ == "__main__":
    main()
