"""What lives outside the hub pod (World), and what people do with the hub (run).

World starts the fakes at the addresses the hub pod would reach them at:
- the Kubernetes API (fakes/kube_api.py) at $KUBERNETES_SERVICE_HOST:443, with the chart's and
  the program's RBAC for the hub's ServiceAccount, and a kubelet that runs each server pod as a
  fake jupyter-server (fakes/singleuser.py) on its own loopback address;
- configurable-http-proxy's API (fakes/proxy_api.py) at the proxy-api Service;
- Vault (tests/python/fake_vault.py) at the stack's Vault address, when the stack uses Vault;
- Keycloak (fakes/keycloak_*.py) at the stack's Keycloak, when the stack logs in with it.
Servers' TLS certificates come from the throwaway CA the stack's CA bundle ConfigMap holds.

run() is the scenario the test asks for (tests/realhub/scenarios.ts builds it from the stack's
config): people log in, see the profiles offered to them, start and stop servers, forge a
profile, and an admin works the REST API. It returns what each step observed: the pods
KubeSpawner created as sent, the Pipes the hub wrote, Vault's requests, the hub's answers."""
import base64
import json
import os
import threading
import time
import urllib.parse

import throwaway_ca
from browser import Browser, parse_page
from fake_vault import FakeVault
from kube_api import FakeKubeApi
from proxy_api import FakeProxyApi
from singleuser import FakeSingleuser

KUBE_ADDRESS = "127.0.2.1"
VAULT_ADDRESS = "127.0.4.1"
KEYCLOAK_ADDRESS = "127.0.4.2"
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# What the projected ServiceAccount token would be: an opaque bearer token to the fakes.
SA_TOKEN = "eyJhbGciOiJSUzI1NiJ9.realhub-hub-service-account.signature"
SPAWN_SECONDS = 60


class Kubelet:
    """Gives each pod an address of its own and runs its server there, as the node would."""

    def __init__(self, jupyterhub_version):
        self.version = jupyterhub_version
        self.next = 1
        self.servers = {}
        self.lock = threading.Lock()

    def __call__(self, pod):
        with self.lock:
            address = f"127.0.3.{self.next}"
            self.next += 1
        port = next((p["containerPort"] for c in pod["spec"]["containers"] for p in c.get("ports", [])), 8888)
        self.servers[pod["metadata"]["name"]] = FakeSingleuser(address, port, self.version)
        return {"podIP": address}

    def close(self):
        for server in self.servers.values():
            server.close()


class World:
    def __init__(self, spec):
        self.spec = spec
        pod = spec["pod"]
        self.values = spec["hubValues"]
        ca = throwaway_ca.cas().a
        self.ca_file = ca.ca
        proxy = pod["services"]["proxy-api"]
        self.proxy = FakeProxyApi(host=proxy["address"], port=list(proxy["ports"].values())[0], token=pod["env"]["CONFIGPROXY_AUTH_TOKEN"])
        self.kubelet = Kubelet(spec["jupyterhubVersion"])
        self.kube = FakeKubeApi(
            host=KUBE_ADDRESS,
            port=443,
            tls=throwaway_ca.server_cert(ips=[KUBE_ADDRESS]),
            token=SA_TOKEN,
            namespace=spec["namespace"],
            rbac=spec["hubRbac"],
            kubelet=self.kubelet,
        )
        self.vault = None
        vault = (self.values.get("custom") or {}).get("vault")
        if vault:
            url = urllib.parse.urlsplit(vault["address"])
            self.vault_host = url.hostname
            self.vault = FakeVault(
                hub_role=vault["hubRole"],
                token_role=vault["tokenRole"],
                kubernetes_mount=vault["kubernetesAuthMount"],
                tls=throwaway_ca.server_cert(dns=[url.hostname], ips=[VAULT_ADDRESS]),
                hub_jwt=SA_TOKEN,
                host=VAULT_ADDRESS,
                port=url.port or 443,
            )
        self.keycloak = None
        if spec.get("keycloak"):
            from keycloak import FakeKeycloak  # noqa: the stacks without Keycloak do not need it
            from keycloak_realm import realm_from_resources

            host = spec["keycloak"]["host"]
            self.keycloak = FakeKeycloak(
                realm_from_resources(spec["resources"], spec["keycloak"]["clientSecret"]),
                host=KEYCLOAK_ADDRESS,
                port=443,
                tls=throwaway_ca.server_cert(dns=[host], ips=[KEYCLOAK_ADDRESS]),
                issuer_base_url=f"https://{host}",
            )

    # --- what the kubelet and DNS give the hub pod --------------------------------------------

    def kubelet_files(self):
        with open(self.ca_file, encoding="ascii") as handle:
            ca = handle.read()
        return {
            f"{SA_DIR}/token": {"content": SA_TOKEN},
            f"{SA_DIR}/ca.crt": {"content": ca},
            f"{SA_DIR}/namespace": {"content": self.spec["namespace"]},
        }

    def kubelet_env(self):
        return {"KUBERNETES_SERVICE_HOST": KUBE_ADDRESS, "KUBERNETES_SERVICE_PORT": "443", "KUBERNETES_SERVICE_PORT_HTTPS": "443"}

    def hosts(self):
        hosts = {"kubernetes.default.svc": KUBE_ADDRESS}
        if self.vault:
            hosts[self.vault_host] = VAULT_ADDRESS
        if self.keycloak:
            hosts[self.spec["keycloak"]["host"]] = KEYCLOAK_ADDRESS
        return hosts

    def hub_url(self, path):
        hub = self.spec["pod"]["services"]["hub"]
        return f"http://{hub['address']}:{list(hub['ports'].values())[0]}{path}"

    def browser(self):
        return Browser(self.hub_url(""), [self.spec["publicUrl"].rstrip("/")], self.ca_file)

    def __enter__(self):
        for fake in (self.proxy, self.kube, self.vault, self.keycloak):
            if fake is not None:
                fake.__enter__()
        return self

    def __exit__(self, *exc):
        self.kubelet.close()
        for fake in (self.keycloak, self.vault, self.kube, self.proxy):
            if fake is not None:
                fake.__exit__(*exc)


# --- people ---------------------------------------------------------------------------------


def log_in(world, person):
    """The stack's login, whole: a local form (FirstUseAuthenticator) or the OAuth flow through Keycloak."""
    browser = world.browser()
    hops = browser.follow("/hub/login")
    page = parse_page(hops[-1].body)
    if world.keycloak:
        link = next(href for id_, href in page.links if id_ == "login-service")
        hops = browser.follow(link)  # /hub/oauth_login -> Keycloak's auth endpoint
        authorize = hops[-1].url
        if hops[-1].status != 200:
            raise AssertionError(f"Keycloak's login page for {authorize}: {hops[-1].status} {hops[-1].text()[:300]}")
        # The person signs in at Keycloak's login page (fakes/keycloak.py: who is at the browser).
        login = person["keycloakLogin"]
        header = {"X-Fake-Keycloak-Broker": f"{login['broker']} {login['account']}"} if "broker" in login else {"X-Fake-Keycloak-Login": login["username"]}
        reply = browser.request("GET", authorize, headers=header)
        if reply.status != 302:
            return browser, {"status": reply.status, "url": authorize, "loggedIn": False, "body": reply.text()[:300]}
        hops = browser.follow(reply.location)  # back to the hub's oauth_callback
    else:
        form = page.forms[0]
        reply = browser.request("POST", form["action"], form={**form["fields"], "username": person["name"], "password": person["password"]})
        hops = [reply] + (browser.follow(reply.location) if reply.location else [])
    final = hops[-1]
    return browser, {"status": final.status, "url": final.url, "loggedIn": "jupyterhub-session-id" in browser.cookies.get("hub", {}) and any(
        k.startswith("jupyterhub-hub-login") for k in browser.cookies.get("hub", {})
    ), "body": final.text()[:300]}


def offered_profiles(browser, server=""):
    path = f"/hub/spawn/{browser.user}/{server}" if server else "/hub/spawn"
    reply = browser.request("GET", path)
    page = parse_page(reply.body)
    forms = [f for f in page.forms if "profile" in f["radios"]]
    return reply, forms[0] if forms else None


def user_model(browser, name):
    reply = browser.api("GET", f"/users/{name}")
    return reply.json() if reply.status == 200 else {"status": reply.status}


def wait_server(browser, name, server, want_ready, timeout=SPAWN_SECONDS):
    deadline = time.monotonic() + timeout
    if want_ready:
        # What the spawn-pending page does: follow the spawn's progress stream, which the hub ends
        # when the server is ready or its spawn failed (one request, not a poll every 0.1 s).
        spawn_progress(browser, name, server)
    while time.monotonic() < deadline:
        model = user_model(browser, name)
        entry = (model.get("servers") or {}).get(server)
        if want_ready and entry and entry.get("ready"):
            return entry
        if want_ready and not entry:
            return None  # the spawn failed and the hub forgot it
        if not want_ready and not entry:
            return None
        time.sleep(0.1)
    raise AssertionError(f"{name}'s server {server!r} did not become {'ready' if want_ready else 'stopped'} in {timeout}s")


def pods_of(world, name, server=""):
    """The pods KubeSpawner created for this user's server, as it sent them (people act at once)."""
    return world.kube.created("pods", where=lambda p: p["metadata"]["annotations"].get("hub.jupyter.org/username") == name
                              and p["metadata"]["labels"].get("hub.jupyter.org/servername", "") == server)


def pipes_of(world, name):
    return [p for p in world.kube.objects("pipes") if p["metadata"].get("annotations", {}).get("hub.jupyter.org/username") == name]


def spawn(world, browser, name, profile, server="", shown=None):
    """Start a server from the spawn form, as the person would; what the cluster and Vault then saw.
    shown: the (reply, form) the person already has for this server, else the form is fetched:
    KubeSpawner renders it afresh each time (a new jinja Environment, its template compiled again,
    about a fifth of the homelab hub's CPU when every spawn fetched it), the same form each time."""
    reply, form = shown or offered_profiles(browser, server)
    if form is None:
        return {"profile": profile, "formStatus": reply.status, "started": False, "error": reply.text()[:500]}
    pods_before = len(pods_of(world, name, server))
    vault_before = len(world.vault.requests) if world.vault else 0
    posted = browser.request("POST", form["action"], form={"profile": profile})
    entry = wait_server(browser, name, server, want_ready=True)
    result = {
        "profile": profile,
        "server": server,
        "postStatus": posted.status,
        "started": bool(entry),
        "pods": pods_of(world, name, server)[pods_before:],
        "pipes": pipes_of(world, name) if entry else [],
        "vaultRequests": vault_requests_of(world, name, vault_before),
    }
    if not entry:
        result["progress"] = spawn_progress(browser, name, server)
    return result


def spawn_progress(browser, name, server):
    path = f"/users/{name}/servers/{server}/progress" if server else f"/users/{name}/server/progress"
    reply = browser.api("GET", path)
    events = [json.loads(line[5:]) for line in reply.text().splitlines() if line.startswith("data:")]
    return [e.get("message") for e in events]


def stop(world, browser, name, server=""):
    vault_before = len(world.vault.requests) if world.vault else 0
    path = f"/users/{name}/servers/{server}" if server else f"/users/{name}/server"
    reply = browser.api("DELETE", path)
    wait_server(browser, name, server, want_ready=False)
    return {
        "status": reply.status,
        "podsLeft": [p["metadata"]["name"] for p in world.kube.objects("pods", where=lambda p: p["metadata"]["annotations"].get("hub.jupyter.org/username") == name)],
        "pipesLeft": [p["metadata"]["name"] for p in pipes_of(world, name)],
        "vaultRequests": vault_requests_of(world, name, vault_before),
    }


def vault_requests_of(world, name, since):
    """Vault's requests since `since` that were about this user's tokens: a token made for their
    entity alias, or an accessor of one (fake_vault.accessor_for names the alias)."""
    if not world.vault:
        return []
    mine = []
    for method, path, body, _token in world.vault.requests[since:]:
        body = body or {}
        if body.get("entity_alias") == name or str(body.get("accessor", "")).startswith(f"accessor-{name}-"):
            mine.append({"method": method, "path": path.split("?")[0]})
    return mine


def act(world, person):
    """One person's visit: log in, look at the spawn form, start and stop each profile they may
    use, a named server, and a forged profile."""
    name = person["name"]
    browser, login = log_in(world, person)
    browser.user = name
    seen = {"login": login}
    if not login["loggedIn"]:
        return seen
    shown = offered_profiles(browser)
    reply, form = shown
    seen["offered"] = form["radios"]["profile"] if form else []
    seen["spawnFormStatus"] = reply.status
    seen["spawns"] = []
    for profile in person.get("spawn", seen["offered"]):
        started = spawn(world, browser, name, profile, shown=shown)
        started["stop"] = stop(world, browser, name) if started["started"] else None
        seen["spawns"].append(started)
    if person.get("namedServer"):
        named = person["namedServer"]
        started = spawn(world, browser, name, named["profile"], server=named["name"])
        started["stop"] = stop(world, browser, name, named["name"]) if started["started"] else None
        seen["named"] = started
    if person.get("forge"):
        seen["forged"] = spawn(world, browser, name, person["forge"], shown=shown)
        if seen["forged"]["started"]:
            seen["forged"]["stop"] = stop(world, browser, name)
    return seen


def run(world, scenario, hub):
    """Everyone at once, as people use a hub; each visit's failure is reported as its own."""
    observed = {"people": {}}

    def visit(person):
        try:
            observed["people"][person["name"]] = act(world, person)
        except Exception as error:  # noqa: reported for the test to show
            import traceback

            observed["people"][person["name"]] = {"error": "".join(traceback.format_exception(error))}

    threads = [threading.Thread(target=visit, args=(p,)) for p in scenario["people"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    observed["routes"] = world.proxy.routes
    observed["proxyHistory"] = world.proxy.history
    if world.vault:
        observed["vault"] = {
            "userTokens": sorted(world.vault.user_tokens) + sorted(world.vault.revoked_user_tokens),
            "wrappingTokens": sorted(world.vault.wrapping_tokens),
        }
    return observed
