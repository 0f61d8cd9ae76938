"""SSH routes to users' servers through the gateway, written by the hub as servers start and stop.

The gateway is sshpiperd with its kubernetes plugin (github.com/tg123/sshpiper v1.6.1): for a login
name that equals a Pipe's `from[].username`, with a key from that entry's `authorized_keys_secret`,
it opens SSH to the Pipe's `to.host` as `to.username`, with the key in `to.private_key_secret`, and
checks the server's host key against `to.known_hosts_data`.

The hub knows which servers run and where, so it writes one Pipe per running server whose profile
runs sshd (the pod carries the label `sshdLabel`), for users with SSH keys:
  <user>           -> their default server
  <user>+<server>  -> their named server <server>, also one created in the UI
Login names match exactly (no patterns), and each user's Pipes name only that user's field of the
keys Secret, so a key opens its own user's servers and nothing else. A username with '+' gets no
route: `a+b` would be user `a`'s server `b` as well (settings/sshChecks.ts refuses such users).

Each server has a host key of its own, made by the hub for that pod and nothing else: a Secret
owned by the pod (created once the pod exists, as KubeSpawner does for its internal-SSL Secret;
kubelet waits for it before starting the container), mounted where the image's sshd hook takes it
(images/base/before-notebook.d/20-sshd.sh). Its public half, bound to the pod's address, is the
Pipe's known_hosts_data. sshpiper skips the host-key check when known_hosts_data is empty
(cmd/sshpiperd/internal/plugin/grpc.go, buildHostKeyCallback), and every server trusts the one
gateway key, so without it a Pipe that outlives its pod (a Failed or evicted pod keeps its Pipe;
the hub down while a server stops) would open whichever server gets that address next, another
user's included. With it, such a Pipe is refused at the host-key check. Pipe and Secret are owned
by the pod, so Kubernetes deletes them with it whatever happens to the hub; the hub also deletes
them when it stops the server, and a new start makes a new key.

The hub loads this file as a module from `hub.extraConfig` (components/hub/hubPythonModule.ts) and
calls `install(c, get_config("custom.ssh"), KubeSpawner)`, which wraps the spawner class set by then
(the profile filter's, or KubeSpawner) and gives a routed server's spawner an
after_pod_created_hook (keeping one set before). Only those: with any such hook set, KubeSpawner
waits for the new pod's uid in its reflector, and fails the spawn when that takes over 10 s
(kubespawner/spawner.py, _start: exponential_backoff's default timeout). Standard library only,
plus `cryptography` (a JupyterHub dependency), kubernetes_asyncio and KubeSpawner's shared API
clients, which the hub image has (KubeSpawner 7 depends on them).
"""

import base64
import inspect
import logging

GROUP = "sshpiper.com"
VERSION = "v1beta1"
PLURAL = "pipes"
# The pod volume that carries the server's host key, and the key's file name in it and in its Secret.
HOST_KEY_VOLUME = "ssh-host-key"
HOST_KEY_FILE = "ssh_host_ed25519_key"

log = logging.getLogger("JupyterHub").getChild("ssh")


def login_name(username, server_name):
    """What the user types before @: their name, plus +<server> for a named server."""
    return f"{username}+{server_name}" if server_name else username


def pipe_name(pod_name):
    return f"ssh-{pod_name}"


def host_key_secret_name(pod_name):
    return f"{pod_name}-ssh-host-key"


def owner_reference(pod_name, pod_uid):
    """Garbage-collected with the pod (by its uid: a later pod of the same name owns nothing of it)."""
    return {"apiVersion": "v1", "kind": "Pod", "name": pod_name, "uid": pod_uid}


def new_host_key():
    """A fresh ed25519 host key: (private key in OpenSSH's format, as sshd reads it; public key line)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return private.decode("ascii"), public.decode("ascii")


def known_hosts_line(pod_ip, port, public_key):
    """The host key bound to the address sshpiper dials, written as golang.org/x/crypto/ssh/knownhosts
    Normalize writes one (`[ip]:port`, a bare address on port 22), which OpenSSH reads the same way."""
    host = pod_ip if int(port) == 22 else f"[{pod_ip}]:{port}"
    return f"{host} {public_key.strip()}\n"


def known_hosts_data(pod_ip, port, public_key):
    """known_hosts_data as the kubernetes plugin decodes it: standard base64 (plugin/kubernetes/skel.go)."""
    return base64.b64encode(known_hosts_line(pod_ip, port, public_key).encode("ascii")).decode("ascii")


def pipe_manifest(config, *, username, server_name, namespace, pod_name, pod_uid, pod_ip, host_public_key):
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
            "ownerReferences": [owner_reference(pod_name, pod_uid)],
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
                # This pod's own host key only: a Pipe left behind opens no other server.
                "known_hosts_data": known_hosts_data(pod_ip, config["port"], host_public_key),
            },
        },
    }


def host_key_secret_manifest(config, *, username, server_name, namespace, pod_name, pod_uid, private_key, public_key):
    """The Secret with one server's host key, owned by its pod."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": host_key_secret_name(pod_name),
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "jupyterhub", "app.kubernetes.io/component": "ssh-host-key", "release": config["release"]},
            "annotations": {"hub.jupyter.org/username": username, "hub.jupyter.org/servername": server_name},
            "ownerReferences": [owner_reference(pod_name, pod_uid)],
        },
        "stringData": {HOST_KEY_FILE: private_key, f"{HOST_KEY_FILE}.pub": public_key},
    }


def host_key_volume(pod_name):
    # Not optional: kubelet starts the container only once the hub has written the Secret, so sshd
    # never comes up with another key. Group-readable: the pod's fsGroup (the chart's fsGid) owns it.
    return {
        "name": HOST_KEY_VOLUME,
        "secret": {"secretName": host_key_secret_name(pod_name), "defaultMode": 0o440, "items": [{"key": HOST_KEY_FILE, "path": HOST_KEY_FILE}]},
    }


def host_key_mount(config):
    return {"name": HOST_KEY_VOLUME, "mountPath": config["hostKeyDir"], "readOnly": True}


def with_entry(entries, name, entry):
    """KubeSpawner's volumes or volume_mounts (a list, or a dict of them) without the one named
    `name`, plus `entry` when given: a server restarted with another profile keeps no stale one."""
    if isinstance(entries, dict):
        rest = {key: value for key, value in entries.items() if key != name and (value or {}).get("name") != name}
        return {**rest, name: entry} if entry else rest
    rest = [value for value in entries or [] if (value or {}).get("name") != name]
    return rest + [entry] if entry else rest


def routed(config, spawner):
    """Whether this server gets a route: its user has keys and its profile runs sshd."""
    labels = getattr(spawner, "extra_labels", None) or {}
    name = spawner.user.name
    # `a+b` would also be user `a`'s server `b`: the login name must say one server only.
    return name in config.get("users", {}) and "+" not in name and labels.get(config["sshdLabel"]) == "true"


def api_error(error):
    """An API error as the log may show it: status and reason, never a body that might echo a value."""
    status = getattr(error, "status", None)
    return f"{status} {getattr(error, 'reason', '') or ''}".strip() if status is not None else type(error).__name__


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


async def put_secret(core_api, manifest):
    """Create the Secret (kubernetes_asyncio's CoreV1Api); one left from an earlier pod of the same
    name is replaced (the garbage collector deletes by uid, so it never takes the new one)."""
    namespace, name = manifest["metadata"]["namespace"], manifest["metadata"]["name"]
    try:
        await core_api.create_namespaced_secret(namespace, manifest)
    except Exception as error:
        if getattr(error, "status", None) != 409:
            raise
        await delete_secret(core_api, namespace, name)
        await core_api.create_namespaced_secret(namespace, manifest)


async def delete_secret(core_api, namespace, name):
    try:
        await core_api.delete_namespaced_secret(name, namespace)
    except Exception as error:
        if getattr(error, "status", None) != 404:
            raise


def _shared_custom_objects_api():
    from kubespawner.clients import shared_client

    return shared_client("CustomObjectsApi")


def _configured(section, name):
    """A value set in a config section. traitlets' Config makes a lazy placeholder when an unset key
    is read as an attribute, so read it as the dict it is."""
    values = section if isinstance(section, dict) else vars(section)
    return values.get(name)


def install(c, config, kubespawner_class, api_factory=None):
    """Make the hub's spawner class give each routed server a host key and a Pipe."""
    configured = c.JupyterHub.spawner_class
    base = configured if isinstance(configured, type) else kubespawner_class
    pipes = Pipes(api_factory or _shared_custom_objects_api)
    previous_hook = _configured(c.KubeSpawner, "after_pod_created_hook")

    async def after_pod_created_hook(spawner, pod):
        await spawner._make_ssh_host_key(pod)
        if previous_hook is not None:
            result = previous_hook(spawner, pod)
            if inspect.isawaitable(result):
                await result

    class SshRoutedSpawner(base):
        _ssh_host_public_key = None

        async def get_pod_manifest(self):
            # After load_user_options, so the profile's labels say whether this server gets a route.
            routes = routed(config, self)
            self._ssh_host_public_key = None
            self.after_pod_created_hook = after_pod_created_hook if routes else previous_hook
            self.volumes = with_entry(self.volumes, HOST_KEY_VOLUME, host_key_volume(self.pod_name) if routes else None)
            self.volume_mounts = with_entry(self.volume_mounts, HOST_KEY_VOLUME, host_key_mount(config) if routes else None)
            return await super().get_pod_manifest()

        async def _make_ssh_host_key(self, pod):
            """Called by KubeSpawner once the pod exists (after_pod_created_hook). A failure fails
            the spawn: the container would wait for the Secret forever."""
            if not routed(config, self):
                return
            private_key, public_key = new_host_key()
            manifest = host_key_secret_manifest(
                config,
                username=self.user.name,
                server_name=self.name,
                namespace=self.namespace,
                pod_name=self.pod_name,
                pod_uid=pod["metadata"]["uid"],
                private_key=private_key,
                public_key=public_key,
            )
            try:
                await put_secret(self.api, manifest)
            except Exception as error:
                raise RuntimeError(f"could not write the SSH host key Secret {manifest['metadata']['name']}: {api_error(error)}") from None
            self._ssh_host_public_key = public_key

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
            if not self._ssh_host_public_key:
                log.error("No SSH route for %s's server %r: it has no host key of its own", self.user.name, self.name)
                return
            manifest = pipe_manifest(
                config,
                username=self.user.name,
                server_name=self.name,
                namespace=self.namespace,
                pod_name=self.pod_name,
                pod_uid=pod_uid,
                pod_ip=pod_ip,
                host_public_key=self._ssh_host_public_key,
            )
            try:
                await pipes.put(manifest)
            except Exception as error:
                # The server works without SSH; a failed route must not fail the spawn.
                log.error("No SSH route for %s's server %r: %s", self.user.name, self.name, api_error(error))
                return
            log.info("SSH route %s -> %s", login_name(self.user.name, self.name), manifest["spec"]["to"]["host"])

        async def stop(self, now=False):
            if self.user.name in config.get("users", {}):
                for what, remove in (
                    ("route", lambda: pipes.delete(self.namespace, pipe_name(self.pod_name))),
                    ("host key", lambda: delete_secret(self.api, self.namespace, host_key_secret_name(self.pod_name))),
                ):
                    try:
                        await remove()
                    except Exception as error:
                        # Both are owned by the pod: Kubernetes removes them with it.
                        log.warning("Could not remove the SSH %s of %s's server %r: %s", what, self.user.name, self.name, api_error(error))
            return await super().stop(now=now)

    c.JupyterHub.spawner_class = SshRoutedSpawner
    return SshRoutedSpawner
