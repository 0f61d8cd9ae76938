"""Sessions end with access (components/lifecycle/hub_sessions.py) and the lifecycle service's
status, URL and admin role (user_lifecycle.py), in the small. The real JupyterHub 5.5 runs them
across an upgrade in tests/realhub/offboarding.test.ts; here the rules, case by case."""
import asyncio
import pathlib
import sys
import tempfile
import types
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from project_module import load_project_module as load  # noqa: E402

sessions = load("components/lifecycle/hub_sessions.py", "hub_sessions")
lifecycle = load("components/lifecycle/user_lifecycle.py", "user_lifecycle")

CONFIG = {"users": ["ada", "carol"], "formerUsers": ["bob", "carol"]}


class Row(types.SimpleNamespace):
    """orm.User's columns that settle_holder touches."""


class Db:
    def __init__(self):
        self.deleted = []

    def delete(self, obj):
        self.deleted.append(obj)


class Holders(unittest.TestCase):
    def test_status_by_the_config(self):
        self.assertEqual([sessions.holder_status(n, CONFIG) for n in ("ada", "bob", "carol", "mallory")], ["user", "former", "inherited", "user"])
        self.assertEqual(sessions.blocked_names(CONFIG), ["bob"])

    def test_a_cookie_id_says_what_it_was_issued_under(self):
        self.assertEqual(sessions.cookie_id_status("0f" * 16), "user")
        self.assertEqual(sessions.cookie_id_status(sessions.new_cookie_id("inherited")), "inherited")
        self.assertEqual(sessions.cookie_id_status("other:abc"), "user")

    def test_a_hand_over_ends_the_old_holders_sessions_and_credentials_once(self):
        forgotten = []
        row = Row(name="carol", cookie_id="a" * 32, api_tokens=["token-1", "oauth-token"], encrypted_auth_state=b"old")
        db = Db()
        done = sessions.settle_holder(row, CONFIG, db, forgotten.append)
        self.assertNotEqual(row.cookie_id, "a" * 32)
        self.assertEqual((db.deleted, row.encrypted_auth_state, forgotten), (["token-1", "oauth-token"], None, ["carol"]))
        self.assertEqual(len(done), 2)
        cookie_id = row.cookie_id
        self.assertIsNone(sessions.settle_holder(row, CONFIG, db, forgotten.append))  # the next start
        self.assertEqual(row.cookie_id, cookie_id)

    def test_leaving_and_coming_back_is_two_changes(self):
        # inherited -> former -> inherited: each start ends the sessions issued before it.
        row = Row(name="carol", cookie_id=sessions.new_cookie_id("inherited"), api_tokens=[], encrypted_auth_state=None)
        first = row.cookie_id
        sessions.settle_holder(row, {"users": [], "formerUsers": ["carol"]}, Db(), lambda name: None)
        gone = row.cookie_id
        sessions.settle_holder(row, CONFIG, Db(), lambda name: None)
        self.assertEqual(len({first, gone, row.cookie_id}), 3)

    def test_configured_users_keep_their_cookie(self):
        row = Row(name="ada", cookie_id="b" * 32, api_tokens=["t"], encrypted_auth_state=b"x")
        self.assertIsNone(sessions.settle_holder(row, CONFIG, Db(), lambda name: None))
        self.assertEqual(row.cookie_id, "b" * 32)


class Refresh(unittest.TestCase):
    def test_refuses_names_not_in_users_and_asks_the_authenticator_for_the_rest(self):
        class Base:
            log = types.SimpleNamespace(warning=lambda *a: None)

            async def refresh_user(self, user, handler=None):
                return {"name": user.name, "admin": False}

        authenticator = sessions.sessions_authenticator(Base, CONFIG)()
        refresh = lambda name: asyncio.run(authenticator.refresh_user(types.SimpleNamespace(name=name)))  # noqa: E731
        self.assertEqual([refresh("bob"), refresh("mallory")], [False, False])
        self.assertEqual(refresh("ada"), {"name": "ada", "admin": False})


class Service(unittest.TestCase):
    def test_the_hub_on_loopback_unless_given_loopback(self):
        self.assertEqual(lifecycle.hub_api_url("/"), "http://127.0.0.1:8081/hub/api")
        self.assertEqual(lifecycle.hub_api_url("/jh/", "http://hub:8081/jh/hub/api"), "http://127.0.0.1:8081/jh/hub/api")
        self.assertEqual(lifecycle.hub_api_url("/", "http://127.0.0.1:40111/hub/api"), "http://127.0.0.1:40111/hub/api")

    def test_the_admin_role_lists_its_services_exactly(self):
        c = types.SimpleNamespace(JupyterHub=types.SimpleNamespace(services=[{"name": "user-lifecycle"}, {"name": "grafana", "admin": True}], load_roles=[]))
        lifecycle.admin_role_services(c)
        self.assertEqual(c.JupyterHub.load_roles, [{"name": "admin", "services": ["grafana"]}])
        given = types.SimpleNamespace(JupyterHub=types.SimpleNamespace(services=[], load_roles=[{"name": "admin", "services": ["x"]}]))
        lifecycle.admin_role_services(given)
        self.assertEqual(given.JupyterHub.load_roles, [{"name": "admin", "services": ["x"]}])

    def test_failing_rounds_are_loud_and_the_status_says_so(self):
        class Down:
            def users(self, state=None):
                raise OSError("Network is unreachable")

        with tempfile.TemporaryDirectory() as scratch:
            clock = iter(range(1000, 2000, 10))
            status = lifecycle.RoundStatus(f"{scratch}/status.json", clock=lambda: next(clock))
            with self.assertLogs("JupyterHub.user-lifecycle", "ERROR") as logs:
                lifecycle.serve(Down(), {"intervalSeconds": 300}, status, sleep=lambda s: None, rounds=2)
            self.assertIn("2 round(s) in a row", logs.output[-1])
            code, text = lifecycle.describe_status(status.state, 300, 1100)
            self.assertEqual(code, 1)
            self.assertRegex(text, r"^last round: FAILED at .*Network is unreachable\n2 failed round\(s\) in a row since .*; none has succeeded")
            self.assertEqual(lifecycle.describe_status(None, 300, 0)[0], 1)

    def test_a_recent_success_is_ok_and_an_old_one_is_not(self):
        state = {"ok": True, "lastRoundAt": 1000, "lastSuccessAt": 1000, "actions": ["revoked bob's token a3"]}
        self.assertEqual(lifecycle.describe_status(state, 300, 1100), (0, "last round: ok at 1970-01-01T00:16:40Z (1 change(s))\n  revoked bob's token a3"))
        self.assertEqual(lifecycle.describe_status(state, 300, 1000 + 700)[0], 1)


if __name__ == "__main__":
    unittest.main()
