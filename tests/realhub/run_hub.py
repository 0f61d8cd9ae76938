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
   container's args) as a subprocess with the container's environment, in its working directory;
4. runs the scenario (scenario.py) and prints what it observed as one JSON document on stdout.
The hub's own log goes to a file whose path is in the result, for a failing test to show."""
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
import throwaway_ca  # noqa: E402

CA_PLACEHOLDER = "@@THROWAWAY-CA@@"


class HubProcess:
    def __init__(self, pod, log_path):
        self.pod = pod
        self.log_path = log_path
        self.process = None

    def start(self):
        env = dict(self.pod["env"])
        venv_bin = os.path.dirname(sys.executable)
        # The image's PATH finds its python3 and jupyterhub first; managed services the hub starts
        # (the idle culler, the user lifecycle service) run `python3 …`.
        env["PATH"] = f"{venv_bin}:/usr/local/bin:/usr/bin:/bin"
        env["HOME"] = "/root"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        args = list(self.pod["args"])
        if args[0] == "jupyterhub":
            # The image's console script; the offline wheels are built without it.
            args = [sys.executable, "-m", "jupyterhub", *args[1:]]
        self.log = open(self.log_path, "w", encoding="utf-8")
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
    # The homelab's own CA: the stack's CA bundle ConfigMap holds it, the fakes' certificates are its.
    with open(throwaway_ca.cas().a.ca, encoding="ascii") as handle:
        ca = handle.read()
    files = {path: {**f, "content": f["content"].replace(CA_PLACEHOLDER, ca)} for path, f in pod["files"].items()}

    import scenario  # after sys.path is set; it imports the fakes

    world = scenario.World(spec)
    files.update(world.kubelet_files())
    hosts = {**spec["hosts"], **world.hosts()}
    pod_filesystem.lay_out(files, pod["emptyDirs"], hosts, os.path.join(scratch, "overlays"))

    pod = {**pod, "env": {**pod["env"], **world.kubelet_env()}}
    hub = HubProcess(pod, os.path.join(scratch, "hub.log"))
    result = {"hubLog": hub.log_path}
    try:
        with world:
            try:
                hub.start()
                hub.wait_healthy(world.hub_url("/hub/health"))
                started = time.monotonic()
                result.update(scenario.run(world, spec["scenario"], hub))
                result["scenarioSeconds"] = round(time.monotonic() - started, 1)
            finally:
                hub.stop()  # before the fakes it talks to go
    except Exception as error:  # reported, for the test to show with the hub's log
        import traceback

        result["error"] = "".join(traceback.format_exception(error))
    with open(hub.log_path, encoding="utf-8", errors="replace") as handle:
        result["hubLogTail"] = handle.read()[-6000:]
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
