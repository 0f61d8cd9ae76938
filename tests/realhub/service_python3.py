"""The `python3` the hub finds first on its PATH in the real-hub tier (run_hub.py writes it with
write(): the venv's python in its first line, the two names below filled in): it runs a managed service the
hub starts (`python3 -m jupyterhub_idle_culler …`, `python3 …/user_lifecycle.py serve`) as a child
of a zygote in the hub's namespaces (hub_zygote.Zygote.forked_listening), so the service is the
image's python3 running that program without a fresh interpreter's imports: each was ~0.3 CPU-s,
and every hub start has two.

It stays the process the hub started and waits on: the service gets this process's argv, working
directory, whole environment, stdin, stdout and stderr (opened again through /proc, in append
mode); a signal this process gets goes on to the service, and when it is killed (SIGKILL, which
it cannot pass on) the zygote kills the service; it ends as the service ends (its exit status, or
the same signal). Anything else, or with no zygote to ask, it becomes the real python3.
Started with -S (no site): it imports only what the interpreter has built in."""
import json
import os
import signal
import socket
import stat
import sys

ZYGOTE_SOCKET = "@@ZYGOTE_SOCKET@@"
REAL_PYTHON = "@@REAL_PYTHON@@"
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def write(directory, zygote_socket, python=sys.executable):
    """Writes this file as `python3` in `directory` for a zygote listening at `zygote_socket`, with
    `python` (a venv's) as the real one; returns the directory, to go first on PATH."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.abspath(__file__), encoding="utf-8") as handle:
        text = handle.read()
    text = text.replace('"@@ZYGOTE_SOCKET@@"', json.dumps(zygote_socket), 1).replace('"@@REAL_PYTHON@@"', json.dumps(python), 1)
    path = os.path.join(directory, "python3")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"#!{python} -S\n{text}")
    os.chmod(path, 0o755)
    return directory


def real_python():
    os.execv(REAL_PYTHON, [REAL_PYTHON, *sys.argv[1:]])


def stdio_path(fd):
    """A path that opens what `fd` is (a file as itself, a pipe or tty through /proc), or None."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return None
    if stat.S_ISSOCK(mode):
        return None
    target = os.readlink(f"/proc/self/fd/{fd}")
    return target if stat.S_ISREG(mode) and target.startswith("/") else f"/proc/{os.getpid()}/fd/{fd}"


def main():
    argv = sys.argv[1:]
    # `python3 -m module …` and `python3 script …` only: what the zygote runs as the interpreter would.
    runnable = (argv[:1] == ["-m"] and len(argv) > 1) or (argv and not argv[0].startswith("-"))
    paths = [stdio_path(fd) for fd in (0, 1, 2)]
    if not runnable or None in paths:
        real_python()
    try:
        zygote = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        zygote.connect(ZYGOTE_SOCKET)
    except OSError as error:
        # The run's zygote is gone: the service still runs, and the hub's log says why it was slow.
        print(f"python3 (the real-hub tier's): no zygote at {ZYGOTE_SOCKET} ({error}): a new python3 runs {argv}", file=sys.stderr)
        real_python()
    replies = zygote.makefile("rb")
    json.loads(replies.readline())  # the greeting: ready
    child = {"pid": None, "pending": []}

    def forward(number, _frame):
        if child["pid"] is None:
            child["pending"].append(number)
        else:
            os.kill(child["pid"], number)

    for number in FORWARDED:
        signal.signal(number, forward)
    # bound: killed with this process (its connection ends), which the hub may SIGKILL.
    request = {"id": 1, "argv": argv, "stdin": paths[0], "stdout": paths[1], "stderr": paths[2], "append": True, "cwd": os.getcwd(), "env": dict(os.environ), "bound": True}
    zygote.sendall((json.dumps(request) + "\n").encode())
    for line in replies:
        reply = json.loads(line)
        if "error" in reply:
            print(f"python3 (the real-hub tier's): the zygote could not start {argv}: {reply['error']}", file=sys.stderr)
            sys.exit(1)
        if "pid" in reply:
            child["pid"] = reply["pid"]
            for number in child["pending"]:
                os.kill(child["pid"], number)
        if "exit" in reply:
            code = reply["exit"]
            if code < 0:
                signal.signal(-code, signal.SIG_DFL)
                os.kill(os.getpid(), -code)
            sys.exit(code)
    # The zygote went away (its run ended) before the service did: the zygote killed it.
    sys.exit(1)


if __name__ == "__main__":
    main()
