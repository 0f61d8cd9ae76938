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
  at a listening or a closed port on 127.0.0.1, so the script's own probe code runs (once per
  command and state in a process: run_once). A flow the table does not list fails loudly (no
  silent default).
- `run <name> --image=... --labels=k=v,... --command -- ...` adds a ready pod whose one
  container is named like it; `wait --for=condition=Ready pod/<name>` answers for a pod that
  exists; `delete pod <name> --ignore-not-found` removes it.
- `port-forward svc/<name> <local>:<remote>` serves one HTTP answer per connection on
  127.0.0.1:<local>, then exits 1 after world["forward_connections"] connections, as a forward
  whose stream to the pod broke does ("error: lost connection to pod").

docker: `docker exec <node> timeout <s> bash -c "exec 3<>/dev/tcp/<host>/<port>"`, the reach
table's entry "node:<node>" for the address.

Every call is appended to world["calls"].

`kubectl` and `docker` are bash scripts that hand their arguments to FakeCluster's server (a thread
on 127.0.0.1, over bash's /dev/tcp) and print its stdout, stderr and exit status: the answers are
this file's, and a call costs a bash instead of a Python start (netpol-check.sh makes about twenty
a run). `port-forward`, which serves until its process is killed (forward.sh stops it by its
process group), runs as `python fake_cluster.py kubectl ...` itself.
"""
import io
import json
import os
import pathlib
import re
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import traceback

from loopback_server import refusing_port

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
        self.write({"calls": [], **world, "ports": {"open": self.listener.getsockname()[1], "closed": refusing_port()}})
        self.server = CommandServer()
        for command in ("kubectl", "docker"):
            path = self.bin / command
            path.write_text(SHIM.format(command=command, port=self.server.server_address[1], python=sys.executable, here=HERE))
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
        self.server.shutdown()
        self.server.server_close()
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


# The command on PATH: its arguments to the server as NUL-ended fields (their count, the command,
# the world file, then each), and back its exit status, stdout and stderr, each NUL-ended; bash
# builtins only. port-forward runs here as a process (see the module's doc).
SHIM = """#!/usr/bin/env bash
for arg in "$@"; do
  [ "$arg" != port-forward ] || exec "{python}" "{here}" {command} "$@"
done
exec 3<>/dev/tcp/127.0.0.1/{port}
printf '%s\\0' "$#" {command} "$FAKE_CLUSTER_WORLD" "$@" >&3
IFS= read -r -d '' status <&3
IFS= read -r -d '' out <&3
IFS= read -r -d '' err <&3
printf '%s' "$out"
printf '%s' "$err" >&2
exit "$status"
"""


class CommandServer(socketserver.ThreadingTCPServer):
    """Answers the shims' calls, one at a time (each reads and writes the world file)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        lock = threading.Lock()

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                fields, data = [], b""
                while len(fields) < 3 or len(fields) < int(fields[0]) + 3:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                    *done, data = data.split(b"\0")
                    fields += [f.decode() for f in done]
                _, command, world, *args = fields
                out, err = io.StringIO(), io.StringIO()
                try:
                    with lock:
                        status = run(command, args, world, out, err)
                except Exception:
                    status = 3
                    err.write(f"fake {command} failed:\n{traceback.format_exc()}")
                self.wfile.write(b"".join(f"{part}\0".encode() for part in (status, out.getvalue(), err.getvalue())))

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


class Exit(Exception):
    def __init__(self, code, message=""):
        super().__init__(message)
        self.code, self.message = code, message


def run(command, args, world_file, out, err):
    """One call of `command` (kubectl or docker): its exit status, what it printed to out and err."""
    try:
        return {"kubectl": kubectl, "docker": docker}[command](args, pathlib.Path(world_file), out, err)
    except Exit as exit:
        if exit.message:
            err.write(exit.message + "\n")
        return exit.code


def fail(message, code=1):
    raise Exit(code, message)


def load(path):
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


def write_objects(objects, output, single, out):
    if output == "name":
        for obj in objects:
            out.write(f"{obj['kind'].lower()}/{obj['metadata']['name']}\n")
        return
    value = objects[0] if single else {"apiVersion": "v1", "items": objects, "kind": "List", "metadata": {"resourceVersion": ""}}
    if output == "json":
        out.write(json.dumps(value, indent=4) + "\n")
    elif output.startswith("jsonpath="):
        out.write(jsonpath(value, output[len("jsonpath="):]))
    elif output:
        fail(f"fake kubectl: output {output} is not implemented", 3)
    else:
        for obj in objects:
            out.write(obj["metadata"]["name"] + "\n")


def ran(command, out, err):
    """A command run for the pod or node: its exit status, its output passed on."""
    done = subprocess.run(command, capture_output=True, text=True)
    out.write(done.stdout)
    err.write(done.stderr)
    return done.returncode


_answers = {}  # (a pod's command, the state of the port it was pointed at) -> (exit status, stdout, stderr)


def run_once(command, state, out, err):
    """`ran` for a command pointed at a port in `state`, once per process: the same code with the
    same arguments against a listening (or a closed) port answers the same, whichever cluster's
    port it is, so a command run before answers as it did. netpol-check.sh probes up to seven
    flows a run, and each run per broken flow repeats the probes before it: every one a python
    start (~40 ms of CPU), 35 a module run where 2 differ."""
    key = (tuple(command[:-2]), state)
    answer = _answers.get(key)
    if answer is None:
        answer_out, answer_err = io.StringIO(), io.StringIO()
        answer = (ran(command, answer_out, answer_err), answer_out.getvalue(), answer_err.getvalue())
        # A failure with nothing on stdout (the python that runs the code could not start, say) is
        # not the code's answer: kept, it would stand for every later probe of the module.
        if answer[0] == 0 or answer[1]:
            _answers[key] = answer
    status, answer_out, answer_err = answer
    out.write(answer_out)
    err.write(answer_err)
    return status


def flow_state(world, source, host, port):
    state = world.get("reach", {}).get(source, {}).get(f"{host}:{port}")
    if state not in ("open", "closed"):
        fail(f"fake cluster: the world does not say whether {source} reaches {host}:{port}", 3)
    return state


def rewrite_destination(world, source, host, port):
    return "127.0.0.1", str(world["ports"][flow_state(world, source, host, port)])


def kubectl(args, world_file, out, err):
    path, world = load(world_file)
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
            write_objects([found], flags.get("output", ""), True, out)
            return 0
        found = [o for o in objects if SINGULAR[plural] == o["kind"].lower() and (plural in CLUSTER_SCOPED or o["metadata"].get("namespace") == ns)
                 and matches(o, flags.get("selector", ""))]
        if not found and flags.get("output", "") in ("", "name"):
            err.write(f"No resources found in {ns} namespace.\n")
        write_objects(found, flags.get("output", ""), False, out)
        return 0
    if verb == "exec":
        target = find("pod", positional[1])
        if target is None:
            fail(f'Error from server (NotFound): pods "{positional[1]}" not found')
        container = flags.get("container", target["spec"]["containers"][0]["name"])
        if container not in [c["name"] for c in target["spec"]["containers"]]:
            fail(f"error: unable to upgrade connection: container {container} not found in pod {positional[1]}")
        command = list(rest)
        state = flow_state(world, positional[1], command[-2], command[-1])
        command[-2:] = "127.0.0.1", str(world["ports"][state])
        if command[0] == "python3":
            # The pod's python3 is the one running this fake: a python3 found on PATH may be a
            # version manager's shim that costs a second a start.
            command[0] = sys.executable
        return run_once(command, state, out, err)
    if verb == "run":
        name = positional[1]
        labels = dict(term.split("=", 1) for term in flags.get("labels", "").split(",") if term)
        world["objects"] = [*objects, pod(name, ns, labels, ip="10.244.0.99", containers=(name,))]
        save(path, world)
        out.write(f"pod/{name} created\n")
        return 0
    if verb == "wait":
        kind, name = positional[1].split("/", 1)
        if find(kind, name) is None:
            fail(f'Error from server (NotFound): {KINDS[kind]} "{name}" not found')
        out.write(f"{positional[1]} condition met\n")
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
        out.write(f'{SINGULAR[KINDS[kind]]} "{name}" deleted\n')
        return 0
    if verb == "port-forward":
        local = int(positional[2].split(":")[0])
        with socket.socket() as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", local))
            server.listen()
            out.write(f"Forwarding from 127.0.0.1:{local} -> {positional[2].split(':')[1]}\n")
            out.flush()
            for _ in range(world.get("forward_connections", 1)):
                connection, _ = server.accept()
                with connection:
                    connection.recv(1000)
                    connection.sendall(f"HTTP/1.0 200 OK\r\nContent-Length: {len(positional[1])}\r\n\r\n{positional[1]}".encode())
        fail("error: lost connection to pod")
    fail(f"fake kubectl: {verb} is not implemented", 3)


def docker(args, world_file, out, err):
    path, world = load(world_file)
    world["calls"].append(["docker", *args])
    save(path, world)
    if args[:1] == ["exec"] and args[2:5] == ["timeout", args[3], "bash"]:
        node, script = args[1], args[-1]
        found = re.search(r"/dev/tcp/([^/]+)/(\d+)", script)
        host, port = rewrite_destination(world, f"node:{node}", found.group(1), found.group(2))
        return ran(["bash", "-c", script.replace(found.group(0), f"/dev/tcp/{host}/{port}")], out, err)
    fail(f"fake docker: {' '.join(args)} is not implemented", 3)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], sys.argv[2:], os.environ["FAKE_CLUSTER_WORLD"], sys.stdout, sys.stderr))
