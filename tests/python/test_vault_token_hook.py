"""Tests of components/vault/vault_token_hook.py against a local fake Vault (run by `npm test`), on
real KubeSpawners configured by the chart's own jupyterhub_config.py (tests/python/chart_hub.py)."""
import asyncio
import copy
import io
import logging
import pathlib
import sys
import types
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import chart_hub  # noqa: E402
import throwaway_ca  # noqa: E402
from project_module import load_project_module as load  # noqa: E402
from fake_vault import (  # noqa: E402
    HUB_TOKEN,
    SERVICE_ACCOUNT_JWT,
    FakeVault,
    accessor_for,
    closed_port_address,
    default_hub_policy,
    default_token_role,
    hook_config as config,
    user_token_for,
)


hook_module = load("components/vault/vault_token_hook.py", "vault_token_hook")
CREATE = "/v1/auth/token/create/jupyterhub-user-jupyterhub"
UNWRAP = "/v1/sys/wrapping/unwrap"
LOOKUP_SELF = "/v1/auth/token/lookup-self"




# singleuser.extraEnv: an entry of the chart's own that the hook must keep.
CHART_VALUES = {"singleuser": {"extraEnv": {"KEEP": "me"}}}
HUB = None


def setUpModule():
    global HUB
    HUB = chart_hub.Hub(chart_hub.hub_config(CHART_VALUES))


def tearDownModule():
    HUB.close()


def spawner(username="ada", server_name=""):
    """A new KubeSpawner of the user's server, as the hub makes one before a spawn."""
    return HUB.spawner(HUB.user(username), server_name)


class CapturedLogs:
    """Everything the hook logs, at every level, as one string."""

    def __enter__(self):
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.logger = logging.getLogger("JupyterHub.vault")
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)

    @property
    def text(self):
        return self.stream.getvalue()


def client_for(cfg):
    return hook_module.VaultClient(cfg, read_service_account_token=lambda: SERVICE_ACCOUNT_JWT)


def run_hook(cfg, target, client=None):
    client = client or client_for(cfg)
    hook = hook_module.make_pre_spawn_hook(cfg, client)
    asyncio.run(hook(target))
    return client


def unwrap(vault, wrapping_token):
    """What the server's start hook does with the wrapping token: (status, the user's token)."""
    status, reply = vault.route("POST", UNWRAP, None, wrapping_token)
    return status, ((reply or {}).get("auth") or {}).get("client_token")


class SuccessTest(unittest.TestCase):
    def test_puts_only_the_wrapping_token_and_where_to_unwrap_it_into_the_servers_environment(self):
        with FakeVault() as vault, CapturedLogs() as logs:
            target = spawner("ada", "gpu-run")
            run_hook(config(vault.address), target)
            wrapping = target.environment["NOTEBOOK_VAULT_WRAPPING_TOKEN"]
            self.assertEqual(
                target.environment,
                {
                    "KEEP": "me",
                    "NOTEBOOK_VAULT_WRAPPING_TOKEN": wrapping,
                    "VAULT_TOKEN_FILE": "/run/jupyterhub-vault/token",
                    "VAULT_ADDR": vault.address,
                    "VAULT_KV_MOUNT": "secret",
                    "VAULT_USER_PATH": "jupyter/users/ada",
                    "VAULT_SHARED_PATH": "jupyter/shared",
                },
            )
            # The user's token is nowhere in what the pod spec gets: only inside the wrapping.
            self.assertNotIn(user_token_for("ada"), repr(target.environment))
            self.assertEqual(unwrap(vault, wrapping), (200, user_token_for("ada")))
        self.assertIn("Vault token for ada issued, wrapped for 600s, valid 3600s between renewals", logs.text)

    def test_mounts_an_emptydir_in_memory_where_the_token_goes_and_keeps_the_other_volumes(self):
        with FakeVault() as vault, CapturedLogs():
            target = spawner("ada")
            run_hook(config(vault.address), target)
            # A second start of the same spawner object replaces its entry rather than repeating it.
            run_hook(config(vault.address), target)
        pod = HUB.pod_json(target)
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        self.assertEqual(volumes, {
            "volume-ada": {"name": "volume-ada", "persistentVolumeClaim": {"claimName": "claim-ada"}},
            "jupyterhub-vault-token": {"name": "jupyterhub-vault-token", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
        })
        mounts = sorted(pod["spec"]["containers"][0]["volumeMounts"], key=lambda m: m["name"])
        self.assertEqual(mounts, [{"name": "jupyterhub-vault-token", "mountPath": "/run/jupyterhub-vault"}, {"name": "volume-ada", "mountPath": "/home/jovyan"}])
        # The chart's own shape stays: a list on chart 4.2.0, a dict keyed by name on 4.4.0.
        self.assertIsInstance(target.volumes, dict if chart_hub.CHART_VERSION != "4.2.0" else list)

    def test_logs_in_with_the_service_account_and_mints_wrapped_through_the_token_role_with_the_ttl(self):
        with FakeVault() as vault, CapturedLogs():
            run_hook(config(vault.address), spawner("grace", "gpu-run"))
        login, create = vault.requests
        self.assertEqual(login, ("POST", "/v1/auth/kubernetes/login", {"role": "jupyterhub-hub-jupyterhub", "jwt": SERVICE_ACCOUNT_JWT}, None))
        self.assertEqual(create[:2], ("POST", CREATE))
        self.assertEqual(create[2], {"entity_alias": "grace", "display_name": "jupyterhub-grace", "meta": {"user": "grace", "server": "gpu-run"}, "ttl": "3600s"})
        self.assertEqual(create[3], HUB_TOKEN)
        self.assertEqual(vault.headers[1]["X-Vault-Wrap-Ttl"], "600s")

    def test_reuses_the_hubs_login_until_it_nears_expiry(self):
        with FakeVault() as vault, CapturedLogs():
            cfg = config(vault.address)
            client = run_hook(cfg, spawner("ada"))
            run_hook(cfg, spawner("grace"), client)
        self.assertEqual([path for _, path, _, _ in vault.requests].count("/v1/auth/kubernetes/login"), 1)

    def test_logs_in_again_when_the_cached_hub_token_was_revoked(self):
        with FakeVault() as vault, CapturedLogs():
            cfg = config(vault.address)
            client = run_hook(cfg, spawner("ada"))
            vault.revoked_hub_tokens.add(HUB_TOKEN)
            target = spawner("grace")
            run_hook(cfg, target, client)
            self.assertEqual(unwrap(vault, target.environment["NOTEBOOK_VAULT_WRAPPING_TOKEN"]), (200, user_token_for("grace")))
        self.assertEqual(vault.logins, 2)

    def test_logs_in_with_the_projected_token_of_the_roles_audience_when_configured(self):
        # kubernetesAuth.audience: the hub reads jwtFile, the projected token kubelet keeps fresh.
        with FakeVault(hub_jwt="eyJ.projected-for-vault.sig") as vault, CapturedLogs():
            jwt = pathlib.Path(self.enterContext(_TemporaryDirectory())) / "token"
            jwt.write_text("eyJ.projected-for-vault.sig\n")
            cfg = {**config(vault.address), "jwtFile": str(jwt)}
            target = spawner("ada")
            run_hook(cfg, target, hook_module.VaultClient(cfg))
        self.assertIn("NOTEBOOK_VAULT_WRAPPING_TOKEN", target.environment)

    def test_a_missing_projected_token_refuses_the_spawn_naming_the_file(self):
        with FakeVault() as vault, CapturedLogs():
            cfg = {**config(vault.address), "jwtFile": "/no/such/vault/token"}
            with self.assertRaisesRegex(hook_module.VaultError, "cannot read the hub's Vault login token /no/such/vault/token"):
                run_hook(cfg, spawner("ada"), hook_module.VaultClient(cfg))


class _TemporaryDirectory:
    def __enter__(self):
        import tempfile

        self.path = tempfile.mkdtemp(prefix="vault-jwt-")
        return self.path

    def __exit__(self, *exc):
        import shutil

        shutil.rmtree(self.path, ignore_errors=True)


class TokenLifetimeTest(unittest.TestCase):
    """userTokens.ttl holds only because the hook sends it: a token role ignores token_ttl."""

    def lifetime(self, vault, cfg):
        target = spawner("ada")
        run_hook(cfg, target)
        _, token = unwrap(vault, target.environment["NOTEBOOK_VAULT_WRAPPING_TOKEN"])
        return token, vault.route("GET", LOOKUP_SELF, None, token)[1]["data"]

    def test_vault_ignores_a_roles_token_ttl_so_a_create_without_ttl_lives_until_the_explicit_max(self):
        # The role as VaultAccess used to declare it (issue 12): token_ttl 1h, token_max_ttl 36h.
        sent = {**default_token_role(explicit_max_ttl=129600), "token_ttl": 3600, "token_max_ttl": 129600, "token_policies": ["jupyterhub-user-jupyterhub"]}
        with FakeVault(role=sent) as vault, CapturedLogs():
            self.assertEqual(vault.ignored_role_fields, ["token_max_ttl", "token_policies", "token_ttl"])
            _, data = self.lifetime(vault, config(vault.address, ttl=None))
        self.assertEqual(data["creation_ttl"], 129600)  # 36h, not the 1h the role asked for

    def test_the_token_lives_userTokens_ttl_then_dies_unless_renewed(self):
        with FakeVault() as vault, CapturedLogs():
            token, data = self.lifetime(vault, config(vault.address, ttl=7200))
            self.assertEqual(data["creation_ttl"], 7200)
            vault.advance(7201)
            self.assertFalse(vault.is_live(token))
            self.assertEqual(vault.route("GET", LOOKUP_SELF, None, token)[0], 403)

    def test_renewals_keep_it_alive_until_the_roles_explicit_max_and_not_one_second_longer(self):
        with FakeVault() as vault, CapturedLogs():
            token, _ = self.lifetime(vault, config(vault.address, ttl=3600))
            for _ in range(27):
                vault.advance(3000)
                self.assertEqual(vault.route("POST", "/v1/auth/token/renew-self", {}, token)[1]["auth"]["lease_duration"], 3600)
            vault.advance(3000)  # 84000s after issue: 2400s left before the 86400s explicit max
            self.assertEqual(vault.route("POST", "/v1/auth/token/renew-self", {}, token)[1]["auth"]["lease_duration"], 2400)
            vault.advance(2400)
            self.assertFalse(vault.is_live(token))


class FailureTest(unittest.TestCase):
    def assert_refused(self, cfg, match):
        target = spawner("ada")
        with CapturedLogs() as logs, self.assertRaisesRegex(hook_module.VaultError, match):
            run_hook(cfg, target)
        self.assertNotIn("NOTEBOOK_VAULT_WRAPPING_TOKEN", target.environment)
        self.assertIn("refusing the spawn", logs.text)

    def test_vault_down_refuses_the_spawn_with_a_clear_message(self):
        self.assert_refused(config(closed_port_address()), "Vault did not give one: Vault at http://127.0.0.1:[0-9]+ is unreachable")

    def test_denied_refuses_the_spawn(self):
        with FakeVault() as vault:
            vault.deny_token_create = True
            self.assert_refused(config(vault.address), "HTTP 403 .*permission denied")

    def test_timeout_refuses_the_spawn(self):
        with FakeVault() as vault:
            vault.delay_seconds = 0.5
            self.assert_refused(config(vault.address, timeout=0.1), "unreachable .*timed out")

    def test_the_hub_policy_refuses_a_wrapping_longer_than_its_max_wrapping_ttl(self):
        with FakeVault(hub_policy=default_hub_policy(max_wrapping_ttl=300)) as vault:
            self.assert_refused(config(vault.address, wrap_ttl=600), "HTTP 403 .*permission denied")

    def test_continue_starts_without_a_token_and_says_so(self):
        target = spawner("ada")
        with CapturedLogs() as logs:
            run_hook(config(closed_port_address(), on_failure="continue"), target)
        self.assertNotIn("NOTEBOOK_VAULT_WRAPPING_TOKEN", target.environment)
        self.assertNotIn("VAULT_TOKEN_FILE", target.environment)
        self.assertTrue(target.environment["NOTEBOOK_VAULT_STATUS"].startswith("no token: Vault at"))
        self.assertIn("starting without one", logs.text)


class UnwrappedReplyTest(unittest.TestCase):
    def test_a_reply_that_is_not_wrapped_is_refused_and_its_token_revoked_at_once(self):
        # A Vault whose hub policy does not force wrapping, and a client that forgot to ask.
        policy = {"auth/token/create/jupyterhub-user-jupyterhub": {}, "auth/token/revoke-accessor": {}}
        with FakeVault(hub_policy=policy) as vault:
            client = client_for(config(vault.address))
            client._as_hub = _without_wrapping(client._as_hub)
            with self.assertRaisesRegex(hook_module.VaultError, "not wrapped"):
                client.wrapped_user_token("ada")
            self.assertFalse(vault.is_live(user_token_for("ada")))


def _without_wrapping(as_hub):
    def call(path, body, headers=None):
        return as_hub(path, body, headers=None if "create" in path else headers)

    return call


class SecrecyTest(unittest.TestCase):
    def test_no_token_wrapping_token_or_accessor_in_logs_or_errors(self):
        with FakeVault() as vault, CapturedLogs() as logs:
            cfg = config(vault.address)
            first = spawner("ada")
            client = run_hook(cfg, first)
            asyncio.run(first.post_stop_hook(first))
            vault.deny_token_create = True
            vault.revoked_hub_tokens.add(HUB_TOKEN)
            with self.assertRaises(hook_module.VaultError) as refused:
                run_hook(cfg, spawner("grace"), client)
        secrets = (HUB_TOKEN, user_token_for("ada"), "wrapping-token", accessor_for("ada"), SERVICE_ACCOUNT_JWT)
        for text in (logs.text, str(refused.exception)):
            for secret in secrets:
                self.assertNotIn(secret, text)


class RevokeAccessorTest(unittest.TestCase):
    """VaultClient.revoke_accessor against the fake (Vault's token API: 204; unknown: 200 with a warning)."""

    def test_revokes_the_token_with_the_hubs_token_by_its_accessor(self):
        with FakeVault() as vault:
            token = vault.seed_user_token("ada")
            self.assertTrue(client_for(config(vault.address)).revoke_accessor(accessor_for("ada")))
            self.assertFalse(vault.is_live(token))
        self.assertEqual(vault.requests[-1], ("POST", "/v1/auth/token/revoke-accessor", {"accessor": accessor_for("ada")}, HUB_TOKEN))

    def test_an_accessor_vault_no_longer_knows_is_not_an_error(self):
        with FakeVault() as vault:
            vault.seed_user_token("ada")
            client = client_for(config(vault.address))
            client.revoke_accessor(accessor_for("ada"))
            self.assertFalse(client.revoke_accessor(accessor_for("ada")))

    def test_a_hub_policy_without_revoke_accessor_gets_403_and_the_token_stays(self):
        policy = {"auth/token/create/jupyterhub-user-jupyterhub": {"min_wrapping_ttl": 1, "max_wrapping_ttl": 600}}
        with FakeVault(hub_policy=policy) as vault:
            token = vault.seed_user_token("ada")
            with self.assertRaisesRegex(hook_module.VaultError, "HTTP 403") as denied:
                client_for(config(vault.address)).revoke_accessor(accessor_for("ada"))
            self.assertTrue(vault.is_live(token))
        self.assertNotIn(accessor_for("ada"), str(denied.exception))


class PostStopHookTest(unittest.TestCase):
    """The pre-spawn hook arms the revoke on the spawner it mints for, and keeps the accessor in its state."""

    def test_the_hooks_survive_traitlets_deepcopy_of_config_values(self):
        # traitlets' Configurable._load_config deep-copies each config value into every Spawner:
        # a function stays itself, and so does what its closure shares.
        pre, post = hook_module.make_hooks(config("http://127.0.0.1:1"))
        self.assertIs(copy.deepcopy(pre), pre)
        self.assertIs(copy.deepcopy(post), post)

    def test_arms_the_spawner_it_mints_for_and_the_stop_revokes(self):
        with FakeVault() as vault, CapturedLogs() as logs:
            target = spawner("ada")
            run_hook(config(vault.address), target)
            _, token = unwrap(vault, target.environment["NOTEBOOK_VAULT_WRAPPING_TOKEN"])
            self.assertTrue(vault.is_live(token))
            asyncio.run(target.post_stop_hook(target))
            self.assertFalse(vault.is_live(token))
        self.assertNotIn("NOTEBOOK_VAULT_WRAPPING_TOKEN", target.environment)
        self.assertIn("Vault token of ada's server '' revoked (server stopped)", logs.text)

    def test_the_accessor_goes_into_the_state_jupyterhub_saves(self):
        with FakeVault() as vault, CapturedLogs():
            target = spawner("ada")
            run_hook(config(vault.address), target)
            state = target.get_state()
            self.assertEqual((state["pod_name"], state["vault_token_accessor"]), ("jupyter-ada", accessor_for("ada")))
            asyncio.run(target.post_stop_hook(target))
            self.assertEqual(target.get_state(), {k: v for k, v in state.items() if k != "vault_token_accessor"})

    def test_a_post_stop_hook_configured_before_still_runs_first(self):
        calls = []
        with FakeVault() as vault, CapturedLogs():
            cfg = config(vault.address)
            hook = hook_module.make_pre_spawn_hook(cfg, client_for(cfg))
            target = spawner("ada")
            target.post_stop_hook = lambda s: calls.append(("configured", vault.live_token_with_accessor(accessor_for("ada", 1)) is not None))
            asyncio.run(hook(target))
            # A second spawn of the same spawner, its stop never run: the first token goes first.
            asyncio.run(hook(target))
            self.assertIsNone(vault.live_token_with_accessor(accessor_for("ada", 0)))
            asyncio.run(target.post_stop_hook(target))
            self.assertIsNone(vault.live_token_with_accessor(accessor_for("ada", 1)))
        self.assertEqual(calls, [("configured", True)])  # armed once, the configured hook kept


class InstallTest(unittest.TestCase):
    """install() as hub.extraConfig calls it: both hooks as Spawner config."""

    def test_sets_both_hooks_and_keeps_a_post_stop_hook_configured_before(self):
        earlier = []
        c = chart_hub.hub_config(CHART_VALUES)
        c.Spawner.post_stop_hook = lambda spawner: earlier.append(spawner.name)
        with FakeVault() as vault, CapturedLogs():
            cfg = config(vault.address)
            pre, post = hook_module.install(c, cfg, client_for(cfg))
            self.assertIs(c.Spawner.pre_spawn_hook, pre)
            # Every spawner gets both from the config, as traitlets loads it into a KubeSpawner.
            hub = chart_hub.Hub(c)
            self.addCleanup(hub.close)
            target = hub.spawner(hub.user("ada"), "gpu-run")
            self.assertIs(target.pre_spawn_hook, pre)
            asyncio.run(target.run_pre_spawn_hook())
            asyncio.run(target.run_post_stop_hook())
            self.assertIsNone(vault.live_token_with_accessor(accessor_for("ada")))
        self.assertEqual(earlier, ["gpu-run"])

    def test_does_not_make_traitlets_config_invent_a_post_stop_hook(self):
        # The chart's `c` is a traitlets Config: reading an unset key stores a lazy value.
        c = chart_hub.hub_config(CHART_VALUES)
        _, post = hook_module.install(c, config("http://127.0.0.1:1"))
        self.assertIs(c.Spawner["post_stop_hook"], post)
        hub = chart_hub.Hub(c)
        self.addCleanup(hub.close)
        self.assertIs(hub.spawner(hub.user("ada")).post_stop_hook, post)


@unittest.skipUnless(throwaway_ca.available(), "needs the cryptography package to make throwaway CAs")
class HomelabCaTest(unittest.TestCase):
    """caFile: the hook trusts the system's CAs plus that file, against a fake Vault over HTTPS."""

    @classmethod
    def setUpClass(cls):
        cls.cas = throwaway_ca.cas()

    def test_trusts_a_vault_whose_certificate_the_homelab_ca_signed(self):
        with FakeVault(tls=self.cas.a.server) as vault, CapturedLogs():
            target = spawner("ada")
            run_hook(config(vault.address, ca_file=self.cas.a.ca), target)
            self.assertEqual(unwrap(vault, target.environment["NOTEBOOK_VAULT_WRAPPING_TOKEN"]), (200, user_token_for("ada")))
        self.assertTrue(vault.address.startswith("https://"))

    def test_refuses_the_spawn_when_another_ca_signed_vaults_certificate(self):
        with FakeVault(tls=self.cas.b.server) as vault, CapturedLogs() as logs:
            target = spawner("ada")
            with self.assertRaisesRegex(
                hook_module.VaultError,
                "Vault did not give one: Vault at https://127.0.0.1:[0-9]+ presented a TLS certificate the hub does not trust "
                r"\(auth/kubernetes/login\): .*; caFile .*a-ca.pem did not sign it",
            ):
                run_hook(config(vault.address, ca_file=self.cas.a.ca), target)
        self.assertEqual(vault.requests, [])  # the handshake failed: nothing reached Vault
        self.assertNotIn("NOTEBOOK_VAULT_WRAPPING_TOKEN", target.environment)
        self.assertIn("refusing the spawn", logs.text)

    def test_without_ca_file_only_the_system_cas_count(self):
        with FakeVault(tls=self.cas.a.server) as vault, CapturedLogs():
            with self.assertRaisesRegex(hook_module.VaultError, "does not trust .*set caFile to the CA that signed it"):
                run_hook(config(vault.address), spawner("ada"))

    def test_a_missing_ca_file_refuses_the_spawn_naming_it(self):
        with FakeVault(tls=self.cas.a.server) as vault, CapturedLogs():
            with self.assertRaisesRegex(hook_module.VaultError, "cannot trust the CA in caFile /no/such/ca.pem"):
                run_hook(config(vault.address, ca_file="/no/such/ca.pem"), spawner("ada"))


if __name__ == "__main__":
    unittest.main()
