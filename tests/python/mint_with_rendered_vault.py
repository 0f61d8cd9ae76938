"""Mints one user token with the hub's real pre-spawn hook against a fake Vault built from what a
rendered stack declares: the user token role's inputs as the Vault provider sends them, the hub
policy's wrapping limits, and the hook's `custom.vault` configuration. Used by
tests/vault/tokenLifetime.test.ts, so the TypeScript that declares the role and the Python that
mints through it are checked together against Vault's rules (fake_vault.py).

The spawner is a real KubeSpawner configured by the chart's own jupyterhub_config.py
(tests/python/chart_hub.py), so this runs in the hub's Python (tests/harness/chartHubPython.ts).
Reads JSON on stdin, a list of mints, each {"role": {<inputs>}, "hubPolicy": {"<path>":
{"min_wrapping_ttl": s, ...}}, "hook": {<custom.vault>}, "user": name}, each against a fake Vault
and a hub of its own (one process, so the hub's Python is imported once). Prints a JSON list, one
entry a mint: the role fields Vault ignored, the token's lifetime, and whether it is still alive
one second after its TTL without a renewal.
"""
import asyncio
import json
import logging
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import chart_hub  # noqa: E402
from project_module import load_project_module as load  # noqa: E402
from fake_vault import SERVICE_ACCOUNT_JWT, FakeVault  # noqa: E402

vault_token_hook = load("components/vault/vault_token_hook.py", "vault_token_hook")


def snake(name):
    """The Vault provider's argument name for a Pulumi input name (tokenExplicitMaxTtl → token_explicit_max_ttl)."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def mint(given):
    hook_config = given["hook"]
    role = {snake(key): value for key, value in given["role"].items() if key != "roleName"}
    with FakeVault(
        hub_role=hook_config["hubRole"],
        token_role=hook_config["tokenRole"],
        role=role,
        hub_policy=given["hubPolicy"],
        kubernetes_mount=hook_config["kubernetesAuthMount"],
    ) as vault:
        cfg = {**hook_config, "address": vault.address}
        cfg.pop("caFile", None)
        cfg.pop("jwtFile", None)
        hub = chart_hub.Hub(chart_hub.hub_config())
        try:
            spawner = hub.spawner(hub.user(given.get("user", "ada")))
            client = vault_token_hook.VaultClient(cfg, read_service_account_token=lambda: SERVICE_ACCOUNT_JWT)
            asyncio.run(vault_token_hook.make_pre_spawn_hook(cfg, client)(spawner))
        finally:
            hub.close()
        status, reply = vault.route("POST", "/v1/sys/wrapping/unwrap", None, spawner.environment["NOTEBOOK_VAULT_WRAPPING_TOKEN"])
        token = reply["auth"]["client_token"]
        lifetime = reply["auth"]["lease_duration"]
        vault.advance(lifetime + 1)
        return {
            "ignoredRoleFields": vault.ignored_role_fields,
            "unwrapStatus": status,
            "tokenLifetime": lifetime,
            "aliveAfterLifetime": vault.is_live(token),
            "environment": sorted(spawner.environment),
        }


def main():
    # The caller reads stderr as errors only: the hub's info lines (its database, the hook) stay out.
    logging.disable(logging.INFO)
    print(json.dumps([mint(given) for given in json.load(sys.stdin)]))


if __name__ == "__main__":
    main()
