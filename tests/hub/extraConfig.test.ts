// The hub's Python as the chart really loads it: the homelab values rendered by the real chart and
// run by the chart's own jupyterhub_config.py in the hub image's Python, with the real KubeSpawner,
// Authenticator and OAuthenticator (tests/python/run_extra_config.py), for each chart version.
import * as path from "path";
import { BUNDLE_FILE, CA_FILE } from "../../components/trust/caBundleValues";
import { SUPPORTED_CHART_VERSIONS } from "../../settings/schema";
import { runHubPythonScript } from "../harness/hubPythonScript";
import { renderStack } from "../harness/renderStack";
import { PROJECT_ROOT, readStackConfig } from "../harness/stackConfig";

// The program's values do not depend on the chart version that runs them: rendered once.
let values: Record<string, unknown>;
beforeAll(async () => {
  ({ values } = await renderStack(readStackConfig("homelab"), "homelab"));
});

it.each(SUPPORTED_CHART_VERSIONS)("chart %s: wires the CA trust, the Vault hook, the profile filter, the shared-volume hook and the SSH routes, each in its own module", async (chartVersion) => {
  expect(Object.values((values as { hub: { extraFiles: Record<string, { mountPath: string }> } }).hub.extraFiles).map((f) => f.mountPath).sort()).toEqual([
    "/usr/local/etc/jupyterhub-pulumi/ca_trust.py",
    "/usr/local/etc/jupyterhub-pulumi/hub_sessions.py",
    "/usr/local/etc/jupyterhub-pulumi/profile_filter.py",
    "/usr/local/etc/jupyterhub-pulumi/shared_volumes.py",
    "/usr/local/etc/jupyterhub-pulumi/ssh_pipes.py",
    "/usr/local/etc/jupyterhub-pulumi/user_lifecycle.py",
    "/usr/local/etc/jupyterhub-pulumi/vault_token_hook.py",
  ]);
  // The CA comes from 1Password through a ConfigMap, not from the values: the test CA stands in.
  const caMount = `${CA_FILE}=${path.join(PROJECT_ROOT, "tests", "fixtures", "test-ca.pem")}`;
  const run = await runHubPythonScript(path.join(PROJECT_ROOT, "tests", "python", "run_extra_config.py"), [caMount], JSON.stringify([values]), chartVersion);
  expect(run.stderr).toBe("");
  const [{ authenticator_classes, blocked_users, load_roles, ...wired }] = JSON.parse(run.stdout);
  // The sessions module wraps the chart's authenticator (tests/lifecycle/lifecycleStack.test.ts has the rest).
  expect({ authenticator_classes, blocked_users }).toEqual({
    authenticator_classes: ["ConfiguredSessionsGenericOAuthenticator", "GenericOAuthenticator", "OAuthenticator", "Authenticator"],
    blocked_users: [],
  });
  expect(load_roles).toContainEqual({ name: "admin", services: [] });
  expect(wired).toEqual({
    // Only the module names reach the chart's namespace, not the files' own functions (which could
    // shadow the config's own names, such as get_config).
    globals: ["KubeSpawner", "_importlib_util", "_spec", "ca_trust", "hub_sessions", "profile_filter", "shared_volumes", "ssh_pipes", "user_lifecycle", "vault_token_hook"],
    pre_spawn_hook: true,
    oauthenticator_ca_certs: BUNDLE_FILE,
    profile_list_callable: true,
    modify_pod_hook: true,
    spawner_class_is_kubespawner: true,
    // The SSH routes wrap the profile filter's spawner, not replace it.
    spawner_classes: ["SshRoutedSpawner", "GroupGatedSpawner", "KubeSpawner"],
  });
});
