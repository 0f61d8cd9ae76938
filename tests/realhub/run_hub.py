"""Runs one stack's hub the way the chart's hub pod runs it, and drives it as people would.

Started by tests/realhub/realHub.ts inside a private mount and network namespace, with the
venv's python (the hub image's own packages for the chart version). Reads a spec (JSON, the path
in argv[1]): the hub container as the kubelet would lay it out (tests/realhub/hubPod.ts), the
stack's outside services and the scenario. Then:
1. lays out the pod's files, /etc/hosts and loopback (pod_filesystem.py);
2. starts the fakes of what lives outside the hub pod: the Kubernetes API (with a kubelet that
   runs each server pod as a fake jupyter-server on its own loopback address), the proxy's API,
   and where the stack uses them Keycloak and Vault, each with a certificate from one throwaway
   CA that the stack's CA bundle ConfigMap holds;
3. starts `jupyterhub --config /usr/local/etc/jupyterhub/jupyterhub_config.py --upgrade-db` (the
   container's args) with the container's environment, in its working directory: forked from a
   zygote forked from this process, itself a child of a zygote of the hub's packages
   (tests/python/hub_zygote.py), so the process is `python -m jupyterhub …` without seconds of
   imports; with REALHUB_FRESH_HUB=1, or run by hand, a new python instead;
4. runs the scenario (scenario.py, or the module the scenario names) and prints what it observed
   as one JSON document on stdout. A scenario may move the hub to the stack's later releases
   (hub.upgrade(), tests/realhub/releases.ts).
The hub's own log goes to a file whose path is in the result, for a failing test to show."""
import importlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "fakes"))
sys.path.insert(0, os.path.join(HERE, "..", "python"))

import pod_filesystem  # noqa: E402
import service_python3  # noqa: E402
import throwaway_ca  # noqa: E402
from hub_zygote import Zygote  # noqa: E402

CA_PLACEHOLDER = "@@THROWAWAY-CA@@"


def forked_zygotes(scratch):
    """Where the hub processes fork from: in a zygote's child (realHub.ts starts run_hub.py so), a
    zygote forked from this process, which has the hub's packages already and so imports nothing;
    and where the hub's managed services fork from: another, listening in `scratch`, which the
    `python3` first on the hub's PATH asks (service_python3.py, written here; its directory is the
    third value). (None, None, None) otherwise (REALHUB_FRESH_HUB=1, or run_hub.py started by
    hand): each hub and service a new python. Called before this process's first thread, the
    listening one first (the other's client starts a thread)."""
    if os.environ.get("REALHUB_FRESH_HUB") == "1" or "jupyterhub.app" not in sys.modules:
        return None, None, None
    quicker_password_hashes()
    services = Zygote.forked_listening(os.path.join(scratch, "services-zygote.sock"))
    return Zygote.forked(), services, service_python3.write(os.path.join(scratch, "service-bin"), services.path)


def quicker_password_hashes(rounds=4):
    """FirstUseAuthenticator (the dev stack's) hashes and checks each password with bcrypt at
    bcrypt.gensalt()'s 12 rounds: about 0.25 CPU-s a login, 26 logins and 7 CPU-s a run of npm test.
    The hubs forked from this process (forked_zygotes) find bcrypt imported and make salts of 4
    rounds instead, bcrypt's least: the same bcrypt and hash format, checked by the same code; only
    the work factor, which nothing here looks at, is lower. A new python (REALHUB_FRESH_HUB=1)
    keeps bcrypt's own."""
    import bcrypt

    make_salt = bcrypt.gensalt
    bcrypt.gensalt = lambda rounds=rounds, prefix=b"2b": make_salt(rounds, prefix)


class HubProcess:
    def __init__(self, pod, log_path, files=None, upgrades=(), health_url=None, zygote=None, service_bin=None):
        self.pod = pod
        self.zygote = zygote
        self.service_bin = service_bin
        self.log_path = log_path
        self.process = None
        self.log = None
        self.files = files or {}
        # (pod, files) of each later release, in order.
        self.upgrades = list(upgrades)
        self.health_url = health_url
        self.release = 0

    def upgrade(self):
        """What `helm upgrade` does to the hub: its Deployment's pod is replaced by one with the next
        release's files and environment (the chart's checksum annotations change with its config),
        while the database volume (/srv/jupyterhub) and everything outside the pod stay."""
        if not self.upgrades:
            raise RuntimeError("the scenario asked for an upgrade, and the test gave no later release")
        self.stop()
        pod, files = self.upgrades.pop(0)
        pod_filesystem.replace_files(self.files, files)
        self.pod, self.files = pod, files
        self.release += 1
        self.start()
        self.wait_healthy(self.health_url)

    def start(self):
        # When this release's hub (and so its services) started: the last release's had ended.
        self.started_at = time.time()
        env = dict(self.pod["env"])
        venv_bin = os.path.dirname(sys.executable)
        # The image's PATH finds its python3 and jupyterhub first; managed services the hub starts
        # (the idle culler, the user lifecycle service) run `python3 …`.
        env["PATH"] = f"{venv_bin}:/usr/local/bin:/usr/bin:/bin"
        if self.service_bin:  # that python3 forks each service from the services' zygote
            env["PATH"] = f"{self.service_bin}:{env['PATH']}"
        env["HOME"] = "/root"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        args = list(self.pod["args"])
        if args[0] == "jupyterhub":
            # The image's console script; the offline wheels are built without it.
            args = [sys.executable, "-m", "jupyterhub", *args[1:]]
        # One log over every release's hub, each start's lines after the last's.
        append = self.log is not None
        self.log = open(self.log_path, "a" if append else "w", encoding="utf-8")
        if self.zygote and args[0] == sys.executable:
            self.process = self.zygote.spawn(args[1:], stdout=self.log_path, append=append, cwd=self.pod["workingDir"], env=env, new_session=True)
        else:
            self.process = subprocess.Popen(args, cwd=self.pod["workingDir"], env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_healthy(self, url, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the hub exited with {self.process.returncode} before it was healthy; see {self.log_path}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the hub was not healthy at {url} within {timeout}s; see {self.log_path}")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def main():
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    scratch = spec["scratch"]
    pod = spec["pod"]
    zygote, services, service_bin = forked_zygotes(scratch)  # before any thread of ours runs
    # The homelab's own CA: the stack's CA bundle ConfigMap holds it, the fakes' certificates are its.
    with open(throwaway_ca.cas().a.ca, encoding="ascii") as handle:
        ca = handle.read()
    import scenario  # after sys.path is set; it imports the fakes

    world = scenario.World(spec)

    def as_run(pod):
        """A release's pod as the kubelet starts it: its files with the CA and the ServiceAccount's."""
        files = {path: {**f, "content": f["content"].replace(CA_PLACEHOLDER, ca)} for path, f in pod["files"].items()}
        files.update(world.kubelet_files())
        return {**pod, "env": {**pod["env"], **world.kubelet_env()}}, files

    pod, files = as_run(pod)
    hosts = {**spec["hosts"], **world.hosts()}
    pod_filesystem.lay_out(files, pod["emptyDirs"], hosts, os.path.join(scratch, "overlays"))

    upgrades = [as_run(release["pod"]) for release in spec.get("upgrades") or []]
    hub = HubProcess(pod, os.path.join(scratch, "hub.log"), files, upgrades, world.hub_url("/hub/health"), zygote, service_bin)
    driver = importlib.import_module(spec["scenario"].get("module") or "scenario")
    result = {"hubLog": hub.log_path}
    try:
        with world:
            try:
                hub.start()
                hub.wait_healthy(world.hub_url("/hub/health"))
                started = time.monotonic()
                result.update(driver.run(world, spec["scenario"], hub))
                result["scenarioSeconds"] = round(time.monotonic() - started, 1)
            finally:
                hub.stop()  # before the fakes it talks to go
                if zygote:
                    zygote.close()
                if services:
                    services.close()  # with any service the hub left running
    except Exception as error:  # reported, for the test to show with the hub's log
        import traceback

        result["error"] = "".join(traceback.format_exception(error))
    with open(hub.log_path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    result["hubLogTail"] = text[-6000:]
    # Every error the hub logged, wherever in the log: what an operator would grep for.
    # (the hub's own "[E …" lines, and its managed services' "ERROR …" ones).
    result["hubLogErrors"] = [line for line in text.splitlines() if line.startswith(("[E ", "[C ")) or "ERROR" in line]
    # json.dumps: json.dump encodes in pure Python (only a one-shot encode is the C encoder's), and
    # the result, every pod as sent, is hundreds of kilobytes.
    sys.stdout.write(json.dumps(result))


if __name__ == "__main__":
    main()
