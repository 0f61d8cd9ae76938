"""Offboarding and a hand-over with the real hub across two releases (tests/realhub/offboarding.test.ts).

Release 1: everyone in scenario["before"] logs in (bob also makes an API token); the admin looks at
the user-lifecycle service. Then `pulumi up` with the second config (bob and carol in formerUsers,
carol's name given to a new person with inherit: true) restarts the hub (hub.upgrade()), and:
- the new release's lifecycle service ends its first round (its status file says when; a round
  that does not end within ROUND_SECONDS is reported, not waited on forever), and whether bob's
  API token went with it;
- bob, removed, tries what he could before with his old browser and his old API token, and logs in
  again with his password;
- dan, dropped from the config without being recorded, comes back with his old browser;
- the new carol logs in with a password of her own, then the old carol's browser comes back and
  tries the old password;
- the admin's and alice's cookies from release 1 are used again (a restart must not end sessions
  of people who still have access);
- the admin looks at the service again, and the service's own token says what it may do;
- the operator asks the service how its last round went (user_lifecycle.py status, as
  `kubectl exec deploy/hub -- python3 …/user_lifecycle.py status` would).
Everything each step saw is returned for the checks; nothing here decides pass or fail."""
import functools
import importlib.util
import os
import subprocess
import sys
import time

from browser import Browser
from scenario import log_in, offered_profiles, user_model

LIFECYCLE_SCRIPT = "/usr/local/etc/jupyterhub-pulumi/user_lifecycle.py"
SERVICE = "user-lifecycle"
SERVICE_TOKEN_FILE = f"/usr/local/etc/jupyterhub/secret/hub.services.{SERVICE}.apiToken"
ROUND_SECONDS = 30


def page(browser, path):
    """One GET as the browser would send it, redirects not followed: where the hub sends this cookie."""
    reply = browser.request("GET", path)
    return {"status": reply.status, "location": reply.location or ""}


def who_am_i(browser):
    reply = browser.api("GET", "/user")
    return {"status": reply.status, "name": reply.json().get("name") if reply.status == 200 else None}


def with_token(world, token, method, path):
    browser = world.browser()
    reply = browser.request(method, f"/hub/api{path}", headers={"Authorization": f"token {token}"}, body=b"" if method != "GET" else None)
    return {"status": reply.status, "body": reply.json() if reply.status < 300 and reply.body else None}


def service_view(world, admin):
    """The service as the admin's REST API shows it, and what its own token may do."""
    model = admin.api("GET", f"/services/{SERVICE}")
    with open(SERVICE_TOKEN_FILE, encoding="utf-8") as handle:
        own = with_token(world, handle.read().strip(), "GET", "/user")
    body = model.json() if model.status == 200 else {}
    return {"status": model.status, "admin": body.get("admin"), "roles": sorted(body.get("roles") or []), "scopes": sorted((own["body"] or {}).get("scopes") or [])}


def attempt_as(world, browser, name):
    """What a browser holding `name`'s old cookie can still do: the home page, the API as whom,
    a server start from the spawn form, and a new API token."""
    seen = {"home": page(browser, "/hub/home"), "whoAmI": who_am_i(browser)}
    reply, form = offered_profiles(browser)
    seen["spawnForm"] = reply.status
    if form is not None:
        posted = browser.request("POST", form["action"], form={"profile": form["radios"]["profile"][0]})
        seen["spawnPost"] = posted.status
    token = browser.api("POST", f"/users/{name}/tokens", body={"note": "kept after offboarding"})
    seen["newToken"] = token.status
    return seen


def lifecycle_status(hub):
    run = subprocess.run([sys.executable, LIFECYCLE_SCRIPT, "status"], env={**hub.pod["env"], "PATH": os.environ["PATH"]}, capture_output=True, text=True, timeout=60)
    return {"exitCode": run.returncode, "stdout": run.stdout, "stderr": run.stderr[-2000:]}


@functools.lru_cache(maxsize=None)
def lifecycle_module():
    """The hub's copy of user_lifecycle.py (the pod's file), loaded as the hub loads it: by path."""
    spec = importlib.util.spec_from_file_location("user_lifecycle", LIFECYCLE_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def round_state():
    """The service's status file as its own `status` reads it; None before its first round ended."""
    return lifecycle_module().read_status()


def wait_for_round(admin, name, since, timeout=ROUND_SECONDS):
    """Seconds until the first round of a service started since `since` (the new release's hub
    start: the last release's hub had stopped its services by then; startedAt is the service's)
    has ended with `name` holding no API token any more (the round revokes them), or None when
    that round ended otherwise (failed, or left the tokens) or none ended within `timeout`.
    The round's end is the status file it writes after its last hub call, so no waiting beyond it."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        state = round_state()
        # RoundStatus writes the file only when a round ends; startedAt tells this release's service.
        if state and state.get("startedAt", 0) >= since:
            reply = admin.api("GET", f"/users/{name}/tokens")
            gone = reply.status == 200 and not reply.json().get("api_tokens")
            return round(time.monotonic() - started, 1) if gone else None
        time.sleep(0.1)
    return None


def run(world, scenario, hub):
    people = {p["name"]: p for p in scenario["people"]}
    admin_name = scenario["admin"]
    observed = {"before": {}, "after": {}}

    browsers = {}
    for name in scenario["before"]:
        browser, login = log_in(world, people[name])
        browser.user = name
        browsers[name] = browser
        observed["before"][name] = {"login": login, "whoAmI": who_am_i(browser)}
    admin = browsers[admin_name]
    made = browsers["bob"].api("POST", "/users/bob/tokens", body={"note": "bob's script"})
    bob_token = made.json().get("token") if made.status in (200, 201) else None
    observed["before"]["bobToken"] = made.status
    observed["before"]["service"] = service_view(world, admin)

    hub.upgrade()

    # From the new hub's start, not from before the upgrade: release 1's service, forked late on a
    # loaded machine, could start its first round after that and end it, bob still a user.
    observed["after"]["offboardedWithinSeconds"] = wait_for_round(admin, "bob", hub.started_at)
    observed["after"]["bob"] = {
        "oldBrowser": attempt_as(world, browsers["bob"], "bob"),
        "oldToken": with_token(world, bob_token, "GET", "/user") if bob_token else None,
        "logsInAgain": log_in(world, people["bob"])[1]["loggedIn"],
        "servers": sorted((user_model(admin, "bob").get("servers") or {})),
    }
    observed["after"]["dan"] = {"oldBrowser": {"home": page(browsers["dan"], "/hub/home"), "whoAmI": who_am_i(browsers["dan"])}}
    new_carol, new_login = log_in(world, {**people["carol"], "password": scenario["newCarolPassword"]})
    new_carol.user = "carol"
    observed["after"]["newCarol"] = {"login": new_login, "whoAmI": who_am_i(new_carol)}
    observed["after"]["oldCarol"] = {
        "oldBrowser": {"home": page(browsers["carol"], "/hub/home"), "whoAmI": who_am_i(browsers["carol"])},
        "oldPassword": log_in(world, people["carol"])[1]["loggedIn"],
    }
    observed["after"]["stillWelcome"] = {name: page(browsers[name], "/hub/home") for name in scenario["stillWelcome"]}
    observed["after"]["service"] = service_view(world, admin)
    observed["after"]["status"] = lifecycle_status(hub)
    return observed
