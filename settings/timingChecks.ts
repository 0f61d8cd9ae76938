// Timings that cannot hold together: a server culled while in use, a server that outlives its
// Vault token, a token TTL that Vault silently shortens.
import type { CrossCheckProblem } from "./crossChecks";
import type { Settings } from "./schema";

type Sections = Partial<Settings>;

/**
 * How stale a running server's last activity may be at the hub. A server reports its own activity
 * (kernels, terminals) every 300s (jupyterhub/singleuser/extension.py, hub_activity_interval,
 * JupyterHub 5.5), and the hub reads the proxy's every 60s (Z2JH's jupyterhub_config.py sets
 * last_activity_interval = 60; JupyterHub's own default is 300s).
 */
export const ACTIVITY_REPORT_SECONDS = 300;
/** The idle timeout must leave room for one report to be late, or a busy server looks idle. */
export const MIN_IDLE_TIMEOUT_SECONDS = 2 * ACTIVITY_REPORT_SECONDS;

export function checkIdleTimeout({ culling }: Sections): CrossCheckProblem[] {
  if (!culling?.enabled || culling.idleTimeout >= MIN_IDLE_TIMEOUT_SECONDS) return [];
  return [
    {
      path: ["culling", "idleTimeout"],
      message: `${culling.idleTimeout}s is shorter than ${MIN_IDLE_TIMEOUT_SECONDS}s: a server tells the hub of its activity only every ${ACTIVITY_REPORT_SECONDS}s (JupyterHub's hub_activity_interval), so servers in use would be stopped as idle. Set at least 10m`,
    },
  ];
}

// The culler stops a server up to one check interval after it reaches maxAge, so that is how long a
// server may live; its token must outlast it.
export function checkVaultTokenOutlivesServers({ vault, culling }: Sections): CrossCheckProblem[] {
  if (!vault || !culling) return [];
  const maxTtl = vault.userTokens.maxTtl;
  const lifetime = culling.maxAge + culling.checkInterval;
  if (culling.enabled && culling.maxAge > 0 && lifetime < maxTtl) return [];
  const life =
    culling.enabled && culling.maxAge > 0
      ? `${lifetime}s (culling.maxAge ${culling.maxAge}s, and the culler looks only every culling.checkInterval ${culling.checkInterval}s)`
      : "unlimited (culling.maxAge 0 or culling off)";
  return [
    {
      path: ["culling", "maxAge"],
      message: `servers may live ${life}, but a user's Vault token ends after vault.userTokens.maxTtl ${maxTtl}s; set culling.maxAge plus culling.checkInterval shorter than that`,
    },
  ];
}

// Vault caps a new token's TTL and explicit max TTL at the token mount's max_lease_ttl (the
// system's 768h unless tuned) with only a warning in the response (vault/token_store.go,
// handleCreateCommon: "value is being capped"), so a longer TTL here is one the token will not have.
export function checkVaultMaxLeaseTtl({ vault }: Sections): CrossCheckProblem[] {
  if (!vault) return [];
  const { ttl, maxTtl, vaultMaxTtl } = vault.userTokens;
  const problems: CrossCheckProblem[] = [];
  for (const [key, seconds] of [["maxTtl", maxTtl], ["ttl", ttl]] as const) {
    if (seconds > vaultMaxTtl) {
      problems.push({
        path: ["vault", "userTokens", key],
        message: `${seconds}s is longer than Vault grants (vault.userTokens.vaultMaxTtl ${vaultMaxTtl}s, Vault's default max_lease_ttl of 768h unless set): Vault would silently shorten it. Shorten it, or tune Vault's token mount and set vaultMaxTtl to match`,
      });
    }
  }
  return problems;
}

// A Keycloak session idle timeout longer than its whole lifespan never applies.
export function checkKeycloakSessions({ keycloak }: Sections): CrossCheckProblem[] {
  const sessions = keycloak?.sessions;
  if (!sessions || sessions.idleTimeout <= sessions.maxLifespan) return [];
  return [
    {
      path: ["keycloak", "sessions", "idleTimeout"],
      message: `${sessions.idleTimeout}s is longer than sessions.maxLifespan ${sessions.maxLifespan}s, which ends every session first; make it shorter`,
    },
  ];
}
