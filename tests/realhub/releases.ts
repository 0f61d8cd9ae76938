// Later releases of a stack in the real-hub tier: what `pulumi up` with a changed config does to
// the hub pod. The program renders the new config, Helm upgrades the release, and the hub
// Deployment's new pod starts with the new release's files and environment; the hub's database
// volume (/srv/jupyterhub, a PVC in the chart's default sqlite-pvc setup) is kept.
//
// Helm keeps what the chart generated at install: the hub Secret's cookie secret, proxy token,
// CryptKeeper keys and services' API tokens are looked up from the Secret already in the cluster
// (the chart's templates/hub/_helpers-passwords.tpl: `lookup "v1" "Secret" … | hasKey … | b64dec`,
// a new random value only when there is none). `helm template` has no cluster, so its lookup finds
// nothing and every render makes new ones; the first release's values are carried into the later
// ones here, as the lookup would. Without that, every cookie would die at the upgrade because the
// cookie secret changed, which is not what a real upgrade does.
import type { Manifest } from "../harness/helmTemplate";

/** Keys of the hub Secret that the chart generates once and Helm's lookup keeps across upgrades. */
export function chartGeneratedSecretKeys(keys: readonly string[]): string[] {
  const fixed = ["hub.config.ConfigurableHTTPProxy.auth_token", "hub.config.JupyterHub.cookie_secret", "hub.config.CryptKeeper.keys"];
  return keys.filter((key) => fixed.includes(key) || /^hub\.services\.[^.]+\.apiToken$/.test(key));
}

/** The chart's hub Secret (the one holding the generated cookie secret), with its data decoded. */
export function hubSecret(manifests: readonly Manifest[]): { name: string; data: Record<string, string> } {
  const secret = manifests.find((m) => m.kind === "Secret" && m.data && "hub.config.JupyterHub.cookie_secret" in m.data);
  if (!secret) throw new Error("the rendered chart has no hub Secret with a generated cookie secret");
  const data = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
  return { name: secret.metadata.name, data };
}

/**
 * The generated values an upgrade keeps, as a hubPod override of the new render's hub Secret: the
 * first release's value for every generated key the new release still has (a service that is new
 * in it gets the token the new render made, as lookup would).
 */
export function keptSecretOverride(first: readonly Manifest[], next: readonly Manifest[]): Record<string, Record<string, string>> {
  const before = hubSecret(first);
  const after = hubSecret(next);
  const kept = chartGeneratedSecretKeys(Object.keys(after.data)).filter((key) => key in before.data);
  return { [`Secret/${after.name}`]: Object.fromEntries(kept.map((key) => [key, before.data[key]])) };
}
