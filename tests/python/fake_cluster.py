"""Stand-ins for `kubectl` and `docker` on the e2e job's runner, for running the e2e scripts
(.github/scripts/e2e/) offline: `FakeCluster.bin` goes first on PATH, and each command answers
from a JSON world the test writes, the way the real command answers, including its failures.

kubectl (v1.35 output; staging/src/k8s.io/kubectl/pkg/cmd/get/get.go, .../exec/exec.go, .../run,
.../wait, .../delete, .../portforward at kubernetes v1.35.0):
- `get <kind> <name>`: the object; a missing one prints `Error from server (NotFound): <plural>
  "<name>" not found` and exits 1. `get <kind> -l <selector>`: every match (equality selectors),
  none is not an error (stdout empty, "No resources found in <ns> namespace." on stderr).
- `-o name` prints `<kind>/<name>` per object (kind in lower case, e.g. `pod/x`); `-o json` the
  object, or a `List` with `items`; `-o jsonpath=<template>` the fields named by dotted paths and
  [index]; an empty list indexed at [0] fails ("array index out of bounds"), a missing field
  prints nothing.
- `exec <pod> -c <container> -- <command...>`: runs the command here, for the pod (its python3 is
  the python running the fake). The world's
  "reach" table says what the pod reaches: the fake points the last two arguments (host, port)
  at a listening or a closed port on 127.0.0.1, so the script's own probe code runs. A flow the
  table does not list fails loudly (no silent default).
- `run <name> --image=... --labels=k=v,... --command -- ...` adds a ready pod whose one
  container is named like it; `wait --for=condition=Ready pod/<name>` answers for a pod that
  exists; `delete pod <name> --ignore-not-found` removes it.
- `port-forward svc/<name> <local>:<remote>` serves one HTTP answer per connection on
  127.0.0.1:<local>, then exits 1 after world["forward_connections"] connections, as a forward
  whose stream to the pod broke does ("error: lost connection to pod").

docker: `docker exec <node> timeout <s> bash -c "exec 3<>/dev/tcp/<host>/<port>"`, the reach
table's entry "node:<node>" for the address.

Every call is appended to world["calls"].
"""
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve()

KINDS = {
    "pod": "pods", "pods": "pods", "po": "pods",
    "persistentvolumeclaim": "persistentvolumeclaims", "persistentvolumeclaims": "persistentvolumeclaims", "pvc": "persistentvolumeclaims",
    "persistentvolume": "persistentvolumes", "persistentvolumes": "persistentvolumes", "pv": "persistentvolumes",
    "namespace": "namespaces", "namespaces": "namespaces", "ns": "namespaces",
    "service": "services", "services": "services", "svc": "services",
}
SINGULAR = {"pods": "pod", "persistentvolumeclaims": "persistentvolumeclaim", "persistentvolumes": "persistentvolume", "namespaces": "namespace", "services": "service"}
CLUSTER_SCOPED = {"persistentvolumes", "namespaces"}


class FakeCluster:
    """A temporary directory with `kubectl` and `docker` and the world they answer from."""

    def __init__(self, world):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="fake-cluster-"))
        self.bin = self.dir / "bin"
        self.bin.mkdir()
        self.world_file = self.dir / "world.json"
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            closed_port = closed.getsockname()[1]
        self.write({"calls": [], **world, "ports": {"open": self.listener.getsockname()[1], "closed": closed_port}})
        for command in ("kubectl", "docker"):
            path = self.bin / command
            path.write_text(f"#!/bin/sh\nexec {sys.executable} {HERE} {command} \"$@\"\n")
            path.chmod(0o755)

    def read(self):
        return json.loads(self.world_file.read_text())

    def write(self, world):
        self.world_file.write_text(json.dumps(world))

    def env(self, **extra):
        return {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "FAKE_CLUSTER_WORLD": str(self.world_file), **extra}

    def calls(self):
        return self.read()["calls"]

    def close(self):
        self.listener.close()
        subprocess.run(["rm", "-rf", str(self.dir)], check=False)


def pod(name, namespace, labels=None, ip="10.244.0.10", containers=("notebook",), phase="Running"):
    return {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": namespace, "labels": labels or {}, "uid": f"uid-{name}"},
            "spec": {"containers": [{"name": c} for c in containers]}, "status": {"phase": phase, "podIP": ip}}


def claim(name, namespace, labels=None, uid=None, deleting=None):
    metadata = {"name": name, "namespace": namespace, "labels": labels or {}, "uid": uid or f"uid-{name}"}
    if deleting:
        metadata["deletionTimestamp"] = deleting
    return {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": metadata, "status": {"phase": "Bound"}}


def volume(name):
    return {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": {"name": name, "uid": f"uid-{name}"}, "status": {"phase": "Bound"}}


def namespace(name, phase="Active"):
    return {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": name, "uid": f"uid-{name}"}, "status": {"phase": phase}}


# --- the commands --------------------------------------------------------------------------------


def fail(message, code=1):
    sys.stderr.write(message + "\n")
    sys.exit(code)


def load():
    path = pathlib.Path(os.environ["FAKE_CLUSTER_WORLD"])
    return path, json.loads(path.read_text())


def save(path, world):
    path.write_text(json.dumps(world))


def parse(args):
    """kubectl's flags wherever they stand; positional arguments; what follows `--`."""
    flags, positional, rest = {}, [], []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest = args[i + 1:]
            break
        if arg.startswith("--") and "=" in arg:
            key, value = arg[2:].split("=", 1)
            flags[key] = value
        elif arg in ("-n", "--namespace", "-l", "--selector", "-o", "--output", "-c", "--container"):
            flags[{"-n": "namespace", "-l": "selector", "-o": "output", "-c": "container"}.get(arg, arg[2:])] = args[i + 1]
            i += 1
        elif arg.startswith("--"):
            flags[arg[2:]] = "true"
        else:
            positional.append(arg)
        i += 1
    return flags, positional, rest


def matches(obj, selector):
    labels = obj["metadata"].get("labels", {})
    return all(labels.get(k) == v for k, v in (term.split("=", 1) for term in selector.split(",") if term))


def jsonpath(value, template):
    out = []
    for expression in re.findall(r"\{([^}]*)\}", template):
        current = value
        for name, index in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", expression):
            if current is None:
                break
            if name:
                current = current.get(name) if isinstance(current, dict) else None
            else:
                if not isinstance(current, list) or int(index) >= len(current):
                    fail(f"error: error executing jsonpath \"{template}\": array index out of bounds: index {index}, length {len(current or [])}")
                current = current[int(index)]
        out.append("" if current is None else (current if isinstance(current, str) else json.dumps(current)))
    return "".join(out)


def write_objects(objects, output, single):
    if output == "name":
        for obj in objects:
            print(f"{obj['kind'].lower()}/{obj['metadata']['name']}")
        return
    value = objects[0] if single else {"apiVersion": "v1", "items": objects, "kind": "List", "metadata": {"resourceVersion": ""}}
    if output == "json":
        print(json.dumps(value, indent=4))
    elif output.startswith("jsonpath="):
        sys.stdout.write(jsonpath(value, output[len("jsonpath="):]))
    elif output:
        fail(f"fake kubectl: output {output} is not implemented", 3)
    else:
        for obj in objects:
            print(obj["metadata"]["name"])


def rewrite_destination(world, source, host, port):
    state = world.get("reach", {}).get(source, {}).get(f"{host}:{port}")
    if state not in ("open", "closed"):
        fail(f"fake cluster: the world does not say whether {source} reaches {host}:{port}", 3)
    return "127.0.0.1", str(world["ports"][state])


def kubectl(args):
    path, world = load()
    world["calls"].append(["kubectl", *args])
    save(path, world)
    flags, positional, rest = parse(args)
    ns = flags.get("namespace", "default")
    verb = positional[0] if positional else ""
    objects = world.get("objects", [])

    def find(kind, name):
        plural = KINDS[kind]
        for obj in objects:
            if SINGULAR[plural] == obj["kind"].lower() and obj["metadata"]["name"] == name and (plural in CLUSTER_SCOPED or obj["metadata"].get("namespace") == ns):
                return obj
        return None

    if verb == "get":
        kind = positional[1]
        plural = KINDS[kind]
        if len(positional) > 2:
            found = find(kind, positional[2])
            if found is None:
                fail(f'Error from server (NotFound): {plural} "{positional[2]}" not found')
            write_objects([found], flags.get("output", ""), single=True)
            return 0
        found = [o for o in objects if SINGULAR[plural] == o["kind"].lower() and (plural in CLUSTER_SCOPED or o["metadata"].get("namespace") == ns)
                 and matches(o, flags.get("selector", ""))]
        if not found and flags.get("output", "") in ("", "name"):
            sys.stderr.write(f"No resources found in {ns} namespace.\n")
        write_objects(found, flags.get("output", ""), single=False)
        return 0
    if verb == "exec":
        target = find("pod", positional[1])
        if target is None:
            fail(f'Error from server (NotFound): pods "{positional[1]}" not found')
        container = flags.get("container", target["spec"]["containers"][0]["name"])
        if container not in [c["name"] for c in target["spec"]["containers"]]:
            fail(f"error: unable to upgrade connection: container {container} not found in pod {positional[1]}")
        command = list(rest)
        command[-2:] = rewrite_destination(world, positional[1], command[-2], command[-1])
        if command[0] == "python3":
            # The pod's python3 is the one running this fake: a python3 found on PATH may be a
            # version manager's shim that costs a second a start.
            command[0] = sys.executable
        return subprocess.run(command).returncode
    if verb == "run":
        name = positional[1]
        labels = dict(term.split("=", 1) for term in flags.get("labels", "").split(",") if term)
        world["objects"] = [*objects, pod(name, ns, labels, ip="10.244.0.99", containers=(name,))]
        save(path, world)
        print(f"pod/{name} created")
        return 0
    if verb == "wait":
        kind, name = positional[1].split("/", 1)
        if find(kind, name) is None:
            fail(f'Error from server (NotFound): {KINDS[kind]} "{name}" not found')
        print(f"{positional[1]} condition met")
        return 0
    if verb == "delete":
        kind, name = positional[1], positional[2]
        target = find(kind, name)
        if target is None:
            if flags.get("ignore-not-found") == "true":
                return 0
            fail(f'Error from server (NotFound): {KINDS[kind]} "{name}" not found')
        world["objects"] = [o for o in objects if o is not target]
        save(path, world)
        print(f'{SINGULAR[KINDS[kind]]} "{name}" deleted')
        return 0
    if verb == "port-forward":
        local = int(positional[2].split(":")[0])
        with socket.socket() as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", local))
            server.listen()
            print(f"Forwarding from 127.0.0.1:{local} -> {positional[2].split(':')[1]}", flush=True)
            for _ in range(world.get("forward_connections", 1)):
                connection, _ = server.accept()
                with connection:
                    connection.recv(1000)
                    connection.sendall(f"HTTP/1.0 200 OK\r\nContent-Length: {len(positional[1])}\r\n\r\n{positional[1]}".encode())
        fail("error: lost connection to pod")
    fail(f"fake kubectl: {verb} is not implemented", 3)


def docker(args):
    path, world = load()
    world["calls"].append(["docker", *args])
    save(path, world)
    if args[:1] == ["exec"] and args[2:5] == ["timeout", args[3], "bash"]:
        node, script = args[1], args[-1]
        found = re.search(r"/dev/tcp/([^/]+)/(\d+)", script)
        host, port = rewrite_destination(world, f"node:{node}", found.group(1), found.group(2))
        return subprocess.run(["bash", "-c", script.replace(found.group(0), f"/dev/tcp/{host}/{port}")]).returncode
    fail(f"fake docker: {' '.join(args)} is not implemented", 3)


if __name__ == "__main__":
    sys.exit({"kubectl": kubectl, "docker": docker}[sys.argv[1]](sys.argv[2:]))
