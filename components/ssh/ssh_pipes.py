"""SSH routes to users' servers through the gateway, written by the hub as servers start and stop.

The gateway is sshpiperd with its kubernetes plugin (github.com/tg123/sshpiper v1.6.1): for a login
name that equals a Pipe's `from[].username`, with a key from that entry's `authorized_keys_secret`,
it opens SSH to the Pipe's `to.host` as `to.username`, with the key in `to.private_key_secret`.

The hub knows which servers run and where, so it writes one Pipe per running server whose profile
runs sshd (the pod carries the label `sshdLabel`), for users with SSH keys:
  <user>           -> their default server
  <user>+<server>  -> their named server <server>, also one created in the UI
The Pipe is owned by the server's pod, so Kubernetes deletes it with the pod even if the hub is
down when the server goes; the hub also deletes it when it stops the server. Login names match
exactly (no patterns), and each user's Pipes name only that user's field of the keys Secret, so a
key opens its own user's servers and nothing else.

The hub loads this file as a module from `hub.extraConfig` (components/hub/hubPythonModule.ts) and
calls `install(c, get_config("custom.ssh"), KubeSpawner)`, which wraps the spawner class set by then
(the profile filter's, or KubeSpawner). Standard library only, plus kubernetes_asyncio and
KubeSpawner's shared API clients, which the hub image has (KubeSpawner 7 depends on them).
"""

import logging

GROUP = "sshpiper.com"
VERSION = "v1beta1"
PLURAL = "pipes"

log = logging.getLogger("JupyterHub").getChild("ssh")


def login_name(username, server_name):
    """What the user types before @: their name, plus +<server> for a named server."""
    return f"{username}+{server_name}" if server_name else username


def pipe_name(pod_name):
    return f"ssh-{pod_name}"


def pipe_manifest(config, *, username, server_name, namespace, pod_name, pod_uid, pod_ip):
    """The Pipe for one running server (sshpiper's plugin/kubernetes/apis/sshpiper/v1beta1/types.go)."""
    host = f"[{pod_ip}]" if ":" in pod_ip else pod_ip
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Pipe",
        "metadata": {
            "name": pipe_name(pod_name),
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "jupyterhub", "release": config["release"]},
            "annotations": {
                "hub.jupyter.org/username": username,
                "hub.jupyter.org/servername": server_name,
                # The user's field in the shared keys Secret (plugin/kubernetes/skel.go reads
                # this annotation first, then falls back to fixed field names we never use).
                "sshpiper.com/authorizedkeys_field_name": config["users"][username],
            },
            # Garbage-collected with the pod, whatever happens to the hub.
            "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": pod_name, "uid": pod_uid}],
        },
        "spec": {
            "from": [
                {
                    "username": login_name(username, server_name),
                    "authorized_keys_secret": {"name": config["userKeysSecretName"]},
                }
            ],
            "to": {
                "host": f"{host}:{config['port']}",
                "username": config["serverUser"],
                "private_key_secret": {"name": config["upstreamKeySecretName"]},
            },
        },
    }


def routed(config, spawner):
    """Whether this server gets a route: its user has keys and its profile runs sshd."""
    labels = getattr(spawner, "extra_labels", None) or {}
    return spawner.user.name in config.get("users", {}) and labels.get(config["sshdLabel"]) == "true"


class Pipes:
    """Create and delete Pipes with the Kubernetes API (kubernetes_asyncio's CustomObjectsApi)."""

    def __init__(self, api_factory):
        self._api_factory = api_factory
        self._api = None

    def _client(self):
        if self._api is None:
            self._api = self._api_factory()
        return self._api

    async def put(self, manifest):
        """Create the Pipe; one left from an earlier start of the same pod name is replaced."""
        api = self._client()
        namespace, name = manifest["metadata"]["namespace"], manifest["metadata"]["name"]
        try:
            await api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, manifest)
        except Exception as error:
            if getattr(error, "status", None) != 409:  # 409 AlreadyExists
                raise
            await self.delete(namespace, name)
            await api.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, manifest)

    async def delete(self, namespace, name):
        try:
            await self._client().delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
        except Exception as error:
            if getattr(error, "status", None) != 404:  # already gone (its pod went first)
                raise


def _shared_custom_objects_api():
    from kubespawner.clients import shared_client

    return shared_client("CustomObjectsApi")


def install(c, config, kubespawner_class, api_factory=None):
    """Make the hub's spawner class write a Pipe for each routed server it starts."""
    configured = c.JupyterHub.spawner_class
    base = configured if isinstance(configured, type) else kubespawner_class
    pipes = Pipes(api_factory or _shared_custom_objects_api)

    class SshRoutedSpawner(base):
        async def _start(self):
            # KubeSpawner 7's _start returns once the pod runs, with the pod in its reflector.
            url = await super()._start()
            if routed(config, self):
                await self._publish_ssh_route()
            return url

        async def _publish_ssh_route(self):
            pod = self.pod_reflector.pods.get(f"{self.namespace}/{self.pod_name}") or {}
            pod_ip = (pod.get("status") or {}).get("podIP")
            pod_uid = (pod.get("metadata") or {}).get("uid")
            if not pod_ip or not pod_uid:
                log.error("No SSH route for %s's server %r: the pod has no address yet", self.user.name, self.name)
                return
            manifest = pipe_manifest(
                config,
                username=self.user.name,
                server_name=self.name,
                namespace=self.namespace,
                pod_name=self.pod_name,
                pod_uid=pod_uid,
                pod_ip=pod_ip,
            )
            try:
                await pipes.put(manifest)
            except Exception as error:
                # The server works without SSH; a failed route must not fail the spawn.
                log.error("No SSH route for %s's server %r: %s", self.user.name, self.name, error)
                return
            log.info("SSH route %s -> %s", login_name(self.user.name, self.name), manifest["spec"]["to"]["host"])

        async def stop(self, now=False):
            if self.user.name in config.get("users", {}):
                try:
                    await pipes.delete(self.namespace, pipe_name(self.pod_name))
                except Exception as error:
                    log.warning("Could not remove the SSH route of %s's server %r: %s", self.user.name, self.name, error)
            return await super().stop(now=now)

    c.JupyterHub.spawner_class = SshRoutedSpawner
    return SshRoutedSpawner
