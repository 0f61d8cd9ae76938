// Type tokens the rules match on. Rules compare `args.type` with these strings rather than call
// `args.isType(Class)`: isType needs the provider SDK's class loaded inside the policy pack and
// cannot match some types under the analyzer (e.g. Helm releases, whose SDK class the pack does not
// load), and a string costs nothing at render time.

export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
export const HELM_CHART_V4 = "kubernetes:helm.sh/v4:Chart";
export const SERVICE = "kubernetes:core/v1:Service";
export const NAMESPACE = "kubernetes:core/v1:Namespace";
export const PERSISTENT_VOLUME = "kubernetes:core/v1:PersistentVolume";
export const PERSISTENT_VOLUME_CLAIM = "kubernetes:core/v1:PersistentVolumeClaim";
export const KEYCLOAK_OPENID_CLIENT = "keycloak:openid/client:Client";
export const VAULT_POLICY = "vault:index/policy:Policy";
