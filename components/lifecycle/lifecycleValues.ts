// The hub's side of users' lifecycle as chart values: user_lifecycle.py loaded into the hub
// (allow_existing_users off, kept homes of renamed users), hub_sessions.py (sessions end with
// access), the managed service that offboards and renames through the hub's REST API with a role
// of its own, and their configuration (`custom.userLifecycle`). Also the
// command `pulumi destroy` runs to stop every server through the hub (ServerShutdown.ts). Pure.
import * as path from "path";
import type { Settings } from "../../settings";
import { HUB_PYTHON_DIR, hubPythonModule, type HubPythonModule } from "../hub/hubPythonModule";

/** The JupyterHub service's name, and its key in hub.services (its token: hub.services.<name>.apiToken). */
export const LIFECYCLE_SERVICE = "user-lifecycle";
export const LIFECYCLE_SOURCE = path.join(__dirname, "user_lifecycle.py");
/** Ends the hub sessions of names that lost access or changed hands (wraps the Authenticator). */
export const SESSIONS_SOURCE = path.join(__dirname, "hub_sessions.py");
export const LIFECYCLE_SCRIPT = `${HUB_PYTHON_DIR}/${path.basename(LIFECYCLE_SOURCE)}`;
/** How often the service checks the hub's users against the config, besides at every hub start. */
export const RECONCILE_INTERVAL_SECONDS = 300;
/** How long `pulumi destroy` waits for the servers to stop. */
export const STOP_TIMEOUT_SECONDS = 600;

/**
 * The JupyterHub 5.5 scopes of the REST calls user_lifecycle.py makes (jupyterhub/apihandlers):
 * GET /users and /users/{name} (list:users, read:users, read:servers), PATCH (rename, admin off)
 * and DELETE /users/{name} (admin:users, which holds users, list:users, read:users and
 * delete:users), DELETE …/server[s/{name}] (delete:servers), GET and DELETE …/tokens (tokens,
 * which holds read:tokens), POST and DELETE /groups/{name}/users (groups).
 */
export const LIFECYCLE_SCOPES = ["admin:users", "read:servers", "delete:servers", "tokens", "groups"] as const;

export interface LifecycleValues {
  readonly hubExtraConfig: Record<string, string>;
  readonly hubExtraFiles: HubPythonModule["extraFiles"];
  readonly hubServices: Record<string, Record<string, unknown>>;
  /** hub.loadRoles: the service's own role (the chart appends each to c.JupyterHub.load_roles). */
  readonly hubLoadRoles: Record<string, Record<string, unknown>>;
  readonly custom: Record<string, unknown>;
}

/**
 * Only a hub admin may rename or change an admin user ("Only admins can modify other admins",
 * UserAPIHandler.patch in JupyterHub 5.5), whatever its scopes: the service is one only while
 * the config renames an admin.
 */
export function lifecycleServiceIsAdmin(settings: Pick<Settings, "users">): boolean {
  return settings.users.some((u) => u.admin && (u.renamedFrom?.length ?? 0) > 0);
}

/** `custom.userLifecycle`: who is configured, who was, and who was renamed from what. */
export function lifecycleConfig(settings: Pick<Settings, "users" | "formerUsers" | "storage">): Record<string, unknown> {
  return {
    service: LIFECYCLE_SERVICE,
    users: settings.users.map((u) => u.name),
    formerUsers: settings.formerUsers.map((u) => u.name),
    renames: Object.fromEntries(settings.users.filter((u) => u.renamedFrom).map((u) => [u.name, [...u.renamedFrom!]])),
    storage: settings.storage.type,
    intervalSeconds: RECONCILE_INTERVAL_SECONDS,
    stopTimeoutSeconds: STOP_TIMEOUT_SECONDS,
  };
}

export function lifecycleValues(settings: Pick<Settings, "users" | "formerUsers" | "storage">): LifecycleValues {
  // After the SSH routes ("70-"): the kept-home spawner wraps whichever spawner class is set by then.
  const module = hubPythonModule(
    LIFECYCLE_SOURCE,
    "user_lifecycle",
    'from kubespawner import KubeSpawner\nuser_lifecycle.install(c, get_config("custom.userLifecycle"), KubeSpawner)',
  );
  // After the chart has set the authenticator class, which it wraps.
  const sessions = hubPythonModule(SESSIONS_SOURCE, "hub_sessions", 'hub_sessions.install(c, get_config("custom.userLifecycle"))');
  return {
    hubExtraConfig: { "80-user-lifecycle": module.extraConfig, "81-hub-sessions": sessions.extraConfig },
    hubExtraFiles: { ...module.extraFiles, ...sessions.extraFiles },
    hubServices: {
      [LIFECYCLE_SERVICE]: {
        admin: lifecycleServiceIsAdmin(settings),
        // Managed: the hub starts it with its own token, and restarts it if it exits.
        command: ["python3", LIFECYCLE_SCRIPT, "serve"],
      },
    },
    hubLoadRoles: { [LIFECYCLE_SERVICE]: { description: "What the user-lifecycle service's REST calls need", scopes: [...LIFECYCLE_SCOPES], services: [LIFECYCLE_SERVICE] } },
    custom: { userLifecycle: lifecycleConfig(settings) },
  };
}

/** kubectl with the stack's cluster settings, so it reaches the cluster the providers do. */
export function kubectlCommand(cluster: Settings["cluster"]): string[] {
  return ["kubectl", ...(cluster.context ? ["--context", cluster.context] : []), ...(cluster.kubeconfig ? ["--kubeconfig", cluster.kubeconfig] : [])];
}

/**
 * Runs user_lifecycle.py stop-all in the hub's own container: it reads the service's token from
 * the chart's Secret mounted there and calls the hub on localhost, so it needs neither a token on
 * the operator's machine nor a route to the hub, only `kubectl exec` (pods/exec).
 */
export function stopServersCommand(settings: Pick<Settings, "cluster" | "hub">): string[] {
  return [
    ...kubectlCommand(settings.cluster),
    "--namespace",
    settings.hub.namespace,
    "exec",
    "deploy/hub",
    "--container",
    "hub",
    "--",
    "python3",
    LIFECYCLE_SCRIPT,
    "stop-all",
    "--timeout",
    String(STOP_TIMEOUT_SECONDS),
  ];
}
