"""A preloaded hub Python: one process imports the hub's heavy packages once, then forks a child
per request that runs like `python <argv>` started fresh, minus the imports.

Importing JupyterHub, KubeSpawner, OAuthenticator and kubernetes_asyncio costs seconds of CPU
(rfc3987_syntax alone compiles a Lark grammar at import, pulled in by jupyter_events' jsonschema),
and every test module's process paid it. This process imports them (and configures the ORM's
mappers, as every child's first hub database would: configure_hub_mappers) and starts no thread
and no event loop (it checks both before each fork), so a child of fork() is the interpreter a
fresh `python` would be after the same imports; each child then makes itself the process the request
names, the way the interpreter starts a program:
- its own stdin (/dev/null unless given), stdout and stderr (files; stderr may share stdout's);
- cwd, the whole environment (os.environ, so the C environment too) when given, a session of its
  own when asked (as Popen's start_new_session);
- signal handlers as at interpreter start, sys.argv and sys.path[0] as `python -m <module>` or
  `python <script>` sets them, then runpy runs it as __main__ (what `-m` and a script path do);
- it ends as the interpreter ends (Py_FinalizeEx): the program's exit status, non-daemon threads
  joined, atexit handlers, stdio flushed; only the final teardown of every module's objects is
  skipped, which in a child would write to (and so copy) each page of the preloaded heap. For
  the same reason the preload is in gc's permanent generation (gc.freeze): no child's collection
  walks it.
Python's random reseeds in a forked child itself (os.register_at_fork), tempfile's names follow
the pid; the hash seed is the zygote's for every child. HUB_ZYGOTE_PRELOAD (comma-separated
modules) replaces PRELOAD.

Protocol, one JSON object per line: requests on stdin, replies on stdout.
  request  {"id": <any>, "argv": ["-m", "unittest", "tests/python/test_x.py"] | ["script.py", ...],
            "stdout": <path>, "stderr": <path, default: stdout's>, "stdin": <path>, "append": false,
            "cwd": <dir>, "env": {...}, "new_session": false, "bound": false}
           bound: the child stands for its client's process (service_python3.py), so it is killed
           (SIGKILL) when the client's connection ends before it does, as the process ended, or
           a reply to the client fails (it is gone).
  replies  {"ready": true, "seconds": <preload wall time>, "cpu": <preload CPU seconds>} first;
           {"id": ..., "pid": <pid>} when a child started, {"id": ..., "error": "..."} when not;
           {"id": ..., "exit": <code, negative for a signal>, "cpu": <child's CPU seconds>} when it ended.
Closing stdin ends the zygote once its children have.

`hub_zygote.py --listen <path>` serves several clients at once (still one thread: a selector): it
says {"listening": <path>} on stdout once a Unix socket listens there, then preloads, says "ready"
on stdout, and speaks the protocol above with every connection, each greeted with the "ready" line
(with "shared": true) and sent the replies to its own requests only. A connection that closes its
side gets its children's exits, then is closed; one that goes away leaves its children running,
unreported, but for the bound ones, which are killed. Its stdin is only a lifeline: closing it
stops the listening and drops every connection, and the zygote ends once its children have (taking
its socket). SIGTERM ends it at once, with every child it has: what its owner does to children no
client is left to end.

Used by tests/harness/hubZygote.ts (the Python tests, pythonTests.ts: a zygote per chart version,
a child per test module; the real-hub tier, realHub.ts: a run_hub.py per hub run), under `npm test`
through one listening zygote per chart version that the whole run shares (sharedHubZygotes.ts).
Python code that starts hub processes can use Zygote below, whose spawn() gives a Popen-like
object (pid, poll, wait, returncode); a process that has the hub's packages already forks one from
itself (Zygote.forked, or Zygote.forked_listening for clients of its own: run_hub.py's hubs and
their managed services). A failed preload exits 1 with the traceback.
"""
import json
import os
import runpy
import selectors
import signal
import sys
import threading
import time

# What the hub's Python tests and a hub process import that costs real time (`python -X importtime`),
# none of which starts a thread or an event loop at import.
PRELOAD = (
    "jupyterhub.app",
    "jupyterhub.orm",
    "jupyterhub.roles",
    "jupyterhub.user",
    "kubespawner",
    "kubespawner.spawner",
    "oauthenticator.generic",
    "oauthenticator.oauth2",
    "kubernetes_asyncio.client",
    "kubernetes_asyncio.config",
    "kubernetes_asyncio.watch",
    "sqlalchemy",
    # What every hub database (an sqlite URL) and the chart's tornado client (curl) import at first use.
    "sqlite3",
    "sqlalchemy.dialects.sqlite",
    "alembic.command",
    "tornado.httpclient",
    "tornado.curl_httpclient",
    "tornado.web",
    "traitlets.config.loader",
    "yaml",
    "cryptography.x509",
    "unittest.mock",
    "http.server",
)


def preload():
    import gc
    import importlib

    # The preloaded objects go to gc's permanent generation (gc.freeze), so that no child's
    # collection walks them: a walk would cost each child the time and copy every page of them.
    gc.disable()
    names = PRELOAD if os.environ.get("HUB_ZYGOTE_PRELOAD") is None else [n for n in os.environ["HUB_ZYGOTE_PRELOAD"].split(",") if n]
    for name in names:
        importlib.import_module(name)
    if "jupyterhub.orm" in names:
        configure_hub_mappers()
    problem = fork_hazard()
    if problem:
        raise RuntimeError(f"the preload left {problem}: a forked child would not be a fresh interpreter")
    gc.freeze()


def configure_hub_mappers():
    """What the first use of JupyterHub's database does in every process: SQLAlchemy configures the
    mappers of jupyterhub.orm's classes (their relationships; ~40 ms of CPU). Done here, a child
    that opens a hub database (a test module's chart_hub.Hub, a real-hub tier's hub) finds them
    configured, as it would after its own first session; a class mapped later is configured at
    its first use, as before."""
    from sqlalchemy.orm import configure_mappers

    configure_mappers()


def fork_hazard():
    """Why forking now would not give a fresh interpreter's state, or None."""
    if threading.active_count() != 1:
        return f"threads running: {threading.enumerate()}"
    import asyncio.events

    if asyncio.events._get_running_loop() is not None or getattr(asyncio.get_event_loop_policy()._local, "_loop", None) is not None:
        return "an asyncio event loop set"
    return None


def _write(fd, message):
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


class _Client:
    """Who asks for children: the zygote's stdin and stdout, or one connection to its socket."""

    def __init__(self, read_fd, write_fd, sock=None):
        self.read_fd, self.write_fd, self.sock = read_fd, write_fd, sock
        self.pending = b""
        self.reading = True
        self.open = True
        self.running = 0  # its children not yet reported
        self.bound = set()  # those that end with its connection (a request's "bound")

    def send(self, message):
        """False when the connection has gone away."""
        if self.sock is None:
            _write(self.write_fd, message)
            return True
        try:
            self.sock.sendall((json.dumps(message) + "\n").encode())
            return True
        except OSError:
            return False


def _end_with_children(children, listener):
    """SIGTERM to a listening zygote: kill its children and end. What they started in sessions of
    their own (a run_hub.py's hubs) is not reached."""
    for pid in list(children):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass  # it has ended meanwhile
    try:
        os.unlink(listener.getsockname())
    except OSError:
        pass
    os._exit(143)


def serve(listener=None, greeting=None):
    """The zygote's loop. Returns only in a child, with the request it is to run.

    Without `listener`, one client: requests on stdin, replies on stdout; it ends when stdin has
    closed and every child has ended. With `listener` (a listening Unix socket), a client per
    connection, each greeted with `greeting` and sent the replies to its own requests only; a
    connection that closes its side gets the exits of its children, then is closed; one that
    goes away leaves its children running, unreported (a bound one is killed). stdin is then
    only the lifeline: when it closes, the zygote stops listening, drops every connection and
    ends once every child has."""
    selector = selectors.DefaultSelector()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    selector.register(wake_r, selectors.EVENT_READ, "wake")
    clients = set()
    stdio = None
    if listener is None:
        stdio = _Client(0, 1)
        selector.register(0, selectors.EVENT_READ, stdio)
    else:
        listener.setblocking(False)
        selector.register(listener, selectors.EVENT_READ, "accept")
        selector.register(0, selectors.EVENT_READ, "lifeline")
    children = {}  # pid -> (client, request id)
    if listener is not None:
        signal.signal(signal.SIGTERM, lambda *_: _end_with_children(children, listener))

    def end_bound(client):
        """Its process is gone, so are the children that stand for it: whether the connection's end
        was read, or a reply failed first (the client killed while the zygote was still forking for
        it) and the end will never be read."""
        for pid in client.bound & children.keys():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass  # it has ended meanwhile

    def stop_reading(client):
        end_bound(client)
        if client.reading:
            client.reading = False
            selector.unregister(client.read_fd)
        if client.sock is not None and not client.running:
            drop(client)

    def drop(client):
        end_bound(client)
        if client.reading:
            client.reading = False
            selector.unregister(client.read_fd)
        if client.open:
            client.open = False
            client.sock.close()
            clients.discard(client)

    def reply(client, message):
        if client.open and not client.send(message):
            drop(client)  # it went away: its children run on, unreported

    def serving():
        return stdio.reading if stdio else listener.fileno() != -1

    while serving() or children:
        for key, _ in selector.select():
            if key.data == "wake":
                try:
                    os.read(wake_r, 4096)
                except BlockingIOError:
                    pass
            elif key.data == "accept":
                if listener.fileno() == -1:
                    continue
                try:
                    sock, _ = listener.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                sock.setblocking(True)
                client = _Client(sock.fileno(), sock.fileno(), sock)
                clients.add(client)
                selector.register(sock, selectors.EVENT_READ, client)
                reply(client, greeting)
            elif key.data == "lifeline":
                if listener.fileno() == -1 or os.read(0, 65536):
                    continue
                selector.unregister(0)
                selector.unregister(listener)
                listener.close()
                for client in list(clients):
                    drop(client)
            else:
                client = key.data
                if not client.reading:  # dropped earlier in this round
                    continue
                try:
                    chunk = os.read(client.read_fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    stop_reading(client)
                    continue
                client.pending += chunk
                while client.reading and b"\n" in client.pending:
                    line, client.pending = client.pending.split(b"\n", 1)
                    if not line.strip():
                        continue
                    request = json.loads(line)
                    problem = fork_hazard()
                    if problem:
                        reply(client, {"id": request.get("id"), "error": f"the zygote has {problem}"})
                        continue
                    try:
                        pid = os.fork()
                    except OSError as error:
                        reply(client, {"id": request.get("id"), "error": f"fork failed: {error}"})
                        continue
                    if pid == 0:
                        signal.set_wakeup_fd(-1)
                        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                        signal.signal(signal.SIGTERM, signal.SIG_DFL)
                        selector.close()
                        os.close(wake_r)
                        os.close(wake_w)
                        if listener is not None:
                            listener.close()
                            for other in clients:
                                other.sock.close()
                        return request
                    children[pid] = (client, request.get("id"))
                    client.running += 1
                    if request.get("bound"):
                        client.bound.add(pid)
                    reply(client, {"id": request.get("id"), "pid": pid})
        while children:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            client, request_id = children.pop(pid)
            client.running -= 1
            client.bound.discard(pid)
            reply(client, {"id": request_id, "exit": os.waitstatus_to_exitcode(status), "cpu": round(usage.ru_utime + usage.ru_stime, 3)})
            if client.sock is not None and not client.reading and not client.running:
                drop(client)
    return None


def become(request):
    """In the forked child: make this process the one `request` names (see the module's doc)."""
    import gc

    gc.enable()
    if request.get("new_session"):
        os.setsid()
    # As at interpreter start: SIGINT raises KeyboardInterrupt, SIGPIPE stays ignored, the rest default.
    for number in range(1, signal.NSIG):
        if number in (signal.SIGKILL, signal.SIGSTOP, signal.SIGPIPE, signal.SIGXFSZ):
            continue
        try:
            signal.signal(number, signal.default_int_handler if number == signal.SIGINT else signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    if "cwd" in request:
        os.chdir(request["cwd"])
    if "env" in request:
        os.environ.clear()
        os.environ.update(request["env"])
    # Always in append mode, truncated unless asked not to: another process may write to the same
    # file through a description of its own (a managed service given the hub's log, service_python3.py),
    # and each write then goes to the end instead of over the other's lines.
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | (0 if request.get("append") else os.O_TRUNC)
    stdin = os.open(request.get("stdin") or os.devnull, os.O_RDONLY)
    stdout = os.open(request["stdout"], flags, 0o644)
    stderr = os.open(request["stderr"], flags, 0o644) if request.get("stderr") else stdout
    for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, target)
    for fd in {stdin, stdout, stderr}:
        os.close(fd)
    argv = list(request["argv"])
    if argv[0] == "-m":
        sys.argv = argv[1:]
        sys.path[0] = os.getcwd()
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        sys.path[0] = os.path.dirname(os.path.realpath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")


class ZygoteChild:
    """What Zygote.spawn gives: a Popen-like handle of a forked child."""

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None
        self._done = threading.Event()

    def poll(self):
        return self.returncode

    def wait(self, timeout=None):
        import subprocess

        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(f"zygote child {self.pid}", timeout)
        return self.returncode


class _ForkedProcess:
    """What Zygote needs of a Popen, for a zygote forked in-process (Zygote.forked)."""

    def __init__(self, pid, stdin_fd, stdout_fd):
        self.pid = pid
        self.stdin = os.fdopen(stdin_fd, "wb")
        self.stdout = os.fdopen(stdout_fd, "rb")
        self.returncode = None

    def wait(self, timeout=None):
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self):
        if self.returncode is None:
            os.kill(self.pid, signal.SIGKILL)


class _Connection:
    """What Zygote needs of a Popen, for a connection to a listening zygote (Zygote.connect)."""

    def __init__(self, path):
        import socket

        self.pid = None
        self.returncode = None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(os.fspath(path))
        self.stdin = self
        self.stdout = self.sock.makefile("rb")

    def write(self, data):
        self.sock.sendall(data)

    def flush(self):
        pass

    def close(self):
        """Our side only: the zygote sends the exits of our children still running, then closes."""
        import socket

        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:  # already gone
            pass

    def wait(self, timeout=None):
        """Called once the zygote has closed the connection."""
        self.sock.close()
        self.returncode = 0
        return 0

    def kill(self):
        """Gone at once: our children run on, unreported."""
        import socket

        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _fork_zygote(moves, closes, listener=None):
    """Forks a zygote of this process (which must run no thread): in the child, each fd of `moves`
    becomes the number it maps to and `closes` are closed; with no `listener` it says it is ready
    on fd 1 and serves its stdin, else it serves `listener` (see serve). The child's pid."""
    problem = fork_hazard()
    if problem:
        raise RuntimeError(f"cannot fork a zygote from a process with {problem}")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            for fd, number in moves.items():
                if fd != number:
                    os.dup2(fd, number)
                    os.close(fd)
            for fd in closes:
                os.close(fd)
            ready = {"ready": True, "seconds": 0, "cpu": 0}
            if listener is None:
                _write(1, ready)
            request = serve(listener, {**ready, "shared": True} if listener is not None else None)
            if request is not None:
                run_child(request)  # ends the process
            code = 0
        finally:
            os._exit(code)
    return pid


class _ListeningZygote:
    """What Zygote.forked_listening gives: the zygote's pid, and close()."""

    def __init__(self, pid, lifeline_fd, path):
        self.pid, self._lifeline, self.path = pid, lifeline_fd, path

    def close(self):
        """SIGTERM: the zygote kills the children it still has, removes its socket and ends."""
        if self._lifeline is None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self._lifeline)
        self._lifeline = None


class Zygote:
    """A running zygote (this file, under `python`), for Python code that starts hub processes:
        zygote = Zygote(sys.executable)
        child = zygote.spawn(["-m", "jupyterhub", "--config", ...], stdout=log, cwd=..., env=...,
                             new_session=True)
        child.wait(); zygote.close()
    Its spawn() is `python <argv>` without the imports. A hub process needs nothing else: its env
    is applied before the program runs, and what the preload read of the environment at import
    is the zygote's (PRELOAD reads none that a hub configures)."""

    def __init__(self, python=None, env=None, preload=None, stderr=None):
        """`preload`: the modules to import instead of PRELOAD (HUB_ZYGOTE_PRELOAD, comma-separated);
        `stderr`: the zygote's own (a failed preload's traceback), as Popen takes it."""
        import subprocess

        if preload is not None:
            env = {**(os.environ if env is None else env), "HUB_ZYGOTE_PRELOAD": ",".join(preload)}
        self._attach(subprocess.Popen([python or sys.executable, os.path.abspath(__file__)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env), 120)

    @classmethod
    def connect(cls, path, timeout=120):
        """A client of a zygote listening at `path` (`hub_zygote.py --listen <path>`), which other
        clients share: its children are the same, its close() ends only this connection."""
        zygote = cls.__new__(cls)
        zygote._attach(_Connection(path), timeout)
        return zygote

    @classmethod
    def forked(cls, timeout=120):
        """A zygote forked from this process, for a process that already imported what its children
        need (itself a zygote's child: run_hub.py in the real-hub tier) and runs no thread yet. It
        imports nothing, so it is ready at once."""
        requests_r, requests_w = os.pipe()
        replies_r, replies_w = os.pipe()
        pid = _fork_zygote({requests_r: 0, replies_w: 1}, (requests_w, replies_r))
        os.close(requests_r)
        os.close(replies_w)
        zygote = cls.__new__(cls)
        zygote._attach(_ForkedProcess(pid, requests_w, replies_r), timeout)
        return zygote

    @classmethod
    def forked_listening(cls, path):
        """A zygote forked from this process that listens at `path` (a Unix socket) for clients of
        its own, like `hub_zygote.py --listen` but ready at once: for programs the children of
        another zygote start (the hub's managed services in the real-hub tier, whose `python3` is
        tests/realhub/service_python3.py). Called, like forked(), before this process's first
        thread. Returns a handle whose close() ends it with every child it still has."""
        import socket

        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(os.fspath(path))
        listener.listen(16)
        lifeline_r, lifeline_w = os.pipe()
        pid = _fork_zygote({lifeline_r: 0}, (lifeline_w,), listener)
        listener.close()
        os.close(lifeline_r)
        return _ListeningZygote(pid, lifeline_w, os.fspath(path))

    def _attach(self, process, timeout):
        self.process = process
        self._lock = threading.Lock()
        self._next = 0
        self._waiting = {}  # id -> [event, reply]
        self._children = {}  # id -> ZygoteChild
        self._ready = threading.Event()
        self.preload = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout) or self.preload is None:
            self.process.kill()
            self.close()
            raise RuntimeError(f"the zygote did not preload the hub's Python (exit {self.process.returncode}; its traceback is on its stderr)")

    def _read(self):
        for line in self.process.stdout:
            reply = json.loads(line)
            if reply.get("ready"):
                self.preload = reply
                self._ready.set()
                continue
            with self._lock:
                if "exit" in reply:
                    child = self._children.pop(reply["id"])
                    child.returncode = reply["exit"]
                    child._done.set()
                else:
                    if "pid" in reply:
                        # Known before the next line is read: its exit reply comes after this one.
                        reply["child"] = self._children[reply["id"]] = ZygoteChild(reply["pid"])
                    waiting = self._waiting.pop(reply["id"])
                    waiting[1] = reply
                    waiting[0].set()
        with self._lock:  # the zygote ended: nothing more starts
            for waiting in self._waiting.values():
                waiting[1] = {"error": f"the zygote exited ({self.process.wait()})"}
                waiting[0].set()
            self._waiting.clear()
        self._ready.set()

    def spawn(self, argv, stdout, stderr=None, stdin=None, append=False, cwd=None, env=None, new_session=False):
        request = {"argv": list(argv), "stdout": os.fspath(stdout), "append": append, "new_session": new_session}
        for key, value in (("stderr", stderr), ("stdin", stdin), ("cwd", cwd)):
            if value is not None:
                request[key] = os.fspath(value)
        if env is not None:
            request["env"] = dict(env)
        waiting = [threading.Event(), None]
        with self._lock:
            self._next += 1
            request["id"] = self._next
            self._waiting[request["id"]] = waiting
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            self.process.stdin.flush()
        waiting[0].wait()
        reply = waiting[1]
        if "error" in reply:
            raise OSError(f"the zygote could not start {argv}: {reply['error']}")
        return reply["child"]

    def close(self):
        """Ends the zygote (a connection to one: the connection) once its children have ended."""
        self.process.stdin.close()
        self._reader.join()
        self.process.wait()
        self.process.stdout.close()


def main(argv):
    """`hub_zygote.py`: serves its stdin and stdout. `hub_zygote.py --listen <path>`: listens on a
    Unix socket at <path> first (and says so: {"listening": <path>}, before the preload), then
    serves every connection (see serve); the socket goes when the zygote ends."""
    if argv[:1] != ["--listen"]:
        return _preload_and_serve()
    import socket

    owner, path = os.getpid(), argv[1]
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(path)
        listener.listen(128)
        _write(1, {"listening": path})
        return _preload_and_serve(listener)
    finally:
        if os.getpid() == owner:  # not in a child, which returns through here too
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


def _preload_and_serve(listener=None):
    started, cpu = time.monotonic(), time.process_time()
    preload()
    ready = {"ready": True, "seconds": round(time.monotonic() - started, 3), "cpu": round(time.process_time() - cpu, 3)}
    _write(1, ready)
    return serve(listener, {**ready, "shared": True})


def run_child(request):
    """Runs the program as `python` would, and ends the process as the interpreter ends it
    (Py_FinalizeEx): the program's exit status, non-daemon threads joined, atexit handlers (with
    weakref.finalize's, logging.shutdown), stdio flushed. It skips only the teardown of every
    module's objects, which in a child would copy each page of the preloaded heap."""
    import atexit
    import traceback

    code = 1
    try:
        become(request)
        code = 0
    except SystemExit as exit:
        if exit.code is None:
            code = 0
        elif isinstance(exit.code, int):
            code = exit.code
        else:
            print(exit.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    try:
        threading._shutdown()
    except BaseException:
        traceback.print_exc()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code & 0xFF)


if __name__ == "__main__":
    request = main(sys.argv[1:])
    if request is not None:
        # The child: the zygote's loop is off the stack.
        run_child(request)
