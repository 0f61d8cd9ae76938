// Settings → the exact values handed to the Zero to JupyterHub chart. Pure: tested without
// Pulumi, and what `npm run render` writes to values.yaml.
import type { Settings } from "../../settings";
import { chartImage, formatImageReference, parseImageReference } from "../../settings/imageReference";
import { profileImageReference, type BuiltImages } from "../images/imageBuild";
import { authConfig, hubSecretEnvironment } from "./authValues";
import { buildProfileList } from "./profileList";
import { profileFilterValues } from "./profileFilterValues";
import { vaultValues } from "./vaultValues";
import { sshValues, SSHD_LABEL } from "../ssh/sshValues";
import { profileRunsSshd } from "../../settings/sshChecks";
import { homeOwnerInitContainers, storageValues } from "../storage/homeVolumes";
import { sharedVolumeValues } from "../storage/sharedVolumeValues";
import { caTrustValues, trustInitContainer } from "../trust/caBundleValues";
import { serverNetworkPolicy } from "../network/serverNetworkPolicy";
import { lifecycleValues } from "../lifecycle/lifecycleValues";
import { chartValuesProblems, withChartValues } from "./chartValues";
import { placeholderImages } from "./releaseValues";
import { foldersToBuild, missingImageFolders } from "../images/imageBuild";
import type { SettingsProblem } from "../../settings/SettingsError";
import { chartDefaultValues, valueAt } from "./chartDefaults";

export type ChartValues = Record<string, unknown>;

/** Extra hub behaviour from optional features, merged into the sections that carry it. */
interface Extensions {
  readonly hubExtraConfig: Record<string, string>;
  readonly hubExtraFiles: Record<string, unknown>;
  readonly hubExtraVolumes: readonly Record<string, unknown>[];
  readonly hubExtraVolumeMounts: readonly Record<string, unknown>[];
  /** hub.services: JupyterHub services by name (the chart gives each a token in its Secret). */
  readonly hubServices: Record<string, Record<string, unknown>>;
  /** hub.loadRoles: JupyterHub roles by name (the chart appends each to load_roles). */
  readonly hubLoadRoles: Record<string, Record<string, unknown>>;
  readonly custom: Record<string, unknown>;
  readonly singleuserExtraFiles: Record<string, unknown>;
  readonly singleuserExtraEnv: Record<string, string>;
  readonly singleuserExtraVolumes: readonly Record<string, unknown>[];
  readonly singleuserExtraVolumeMounts: readonly Record<string, unknown>[];
  /** Users reach their servers over SSH through the gateway. */
  readonly ssh: boolean;
}

function extensions(settings: Settings): Extensions {
  const profileFilter = profileFilterValues(settings.profiles);
  const vault = vaultValues(settings);
  const ssh = sshValues(settings);
  const shared = sharedVolumeValues(settings.sharedVolumes);
  const trust = caTrustValues(settings);
  const lifecycle = lifecycleValues(settings);
  return {
    hubExtraConfig: { ...trust?.hubExtraConfig, ...profileFilter?.extraConfig, ...vault?.hubExtraConfig, ...shared?.hubExtraConfig, ...ssh?.hubExtraConfig, ...lifecycle.hubExtraConfig },
    hubExtraFiles: { ...trust?.hubExtraFiles, ...profileFilter?.extraFiles, ...vault?.hubExtraFiles, ...shared?.hubExtraFiles, ...ssh?.hubExtraFiles, ...lifecycle.hubExtraFiles },
    hubServices: lifecycle.hubServices,
    hubLoadRoles: lifecycle.hubLoadRoles,
    hubExtraVolumes: [...(trust?.hubExtraVolumes ?? []), ...(vault?.hubExtraVolumes ?? [])],
    hubExtraVolumeMounts: [...(trust?.hubExtraVolumeMounts ?? []), ...(vault?.hubExtraVolumeMounts ?? [])],
    custom: { ...profileFilter?.custom, ...vault?.custom, ...shared?.custom, ...ssh?.custom, ...lifecycle.custom },
    singleuserExtraFiles: { ...vault?.singleuserExtraFiles },
    singleuserExtraEnv: { ...trust?.singleuserExtraEnv, ...vault?.singleuserExtraEnv },
    singleuserExtraVolumes: [...(ssh?.volumes ?? []), ...(shared?.volumes ?? []), ...(trust?.singleuserExtraVolumes ?? [])],
    ssh: ssh !== undefined,
    singleuserExtraVolumeMounts: [...(ssh?.mounts ?? []), ...(shared?.mounts ?? []), ...(trust?.singleuserExtraVolumeMounts ?? [])],
  };
}

/**
 * The chart values. `built` gives the pushed references of images the stack builds; `pullSecret`
 * names the Secret every pod pulls with (hub, proxy, user servers and the image pre-puller).
 */
export function buildHubValues(settings: Settings, built: BuiltImages = {}, pullSecret?: string): ChartValues {
  return withChartValues(programValues(settings, built, pullSecret), settings.chartValues);
}

/**
 * jupyterhub:chartValues' problems, against the values the program would set (built images as
 * placeholders): run before anything is declared. A missing image folder is reported elsewhere.
 */
export function chartValuesPreflight(settings: Settings, pullSecret?: string): SettingsProblem[] {
  if (!settings.chartValues || missingImageFolders(settings.profiles).length > 0) return [];
  return chartValuesProblems(settings, programValues(settings, placeholderImages(foldersToBuild(settings.profiles)), pullSecret));
}

/** The values the program sets itself, before jupyterhub:chartValues is added. */
export function programValues(settings: Settings, built: BuiltImages = {}, pullSecret?: string): ChartValues {
  const extra = extensions(settings);
  return {
    ...(pullSecret ? { imagePullSecrets: [pullSecret] } : {}),
    hub: hubSection(settings, extra),
    ...nonEmpty("custom", extra.custom),
    proxy: proxySection(settings),
    singleuser: singleuserSection(settings, extra, built),
    cull: cullSection(settings),
    prePuller: {
      hook: { enabled: settings.prePuller.hook },
      continuous: { enabled: settings.prePuller.continuous },
    },
  };
}

function nonEmpty(key: string, value: Record<string, unknown>): Record<string, unknown> {
  return Object.keys(value).length > 0 ? { [key]: value } : {};
}

function hubSection(settings: Settings, extra: Extensions): ChartValues {
  const { namedServers, hub } = settings;
  const secretEnvironment = hubSecretEnvironment(settings);
  return {
    config: {
      ...authConfig(settings),
      // KubeSpawner 7 deletes a user's home claim when the user is deleted (an admin's click, the
      // REST API, culling.users). Homes go only when the stack says so (storage.deleteHomesOnDestroy).
      KubeSpawner: { delete_pvc: false },
    },
    // JupyterHub exits after this many failed spawns in a row, counting every refusal (a forbidden
    // profile, Vault down: jupyterhub/handlers/base.py _track_failure_count), so any user could
    // restart the hub for everyone, and a restart fixes none of those causes; 0 turns it off. A hub
    // that stops answering is still restarted by the chart's liveness probe, and KubeSpawner exits
    // the hub itself when its pod watch fails.
    consecutiveFailureLimit: 0,
    ...(extra.hubExtraVolumes.length > 0 ? { extraVolumes: extra.hubExtraVolumes, extraVolumeMounts: extra.hubExtraVolumeMounts } : {}),
    ...(secretEnvironment.length > 0 ? { extraEnv: secretEnvironmentRefs(hubEnvironmentSecretName(hub.releaseName), secretEnvironment) } : {}),
    ...nonEmpty("extraConfig", extra.hubExtraConfig),
    ...nonEmpty("extraFiles", extra.hubExtraFiles),
    ...nonEmpty("services", extra.hubServices),
    ...nonEmpty("loadRoles", extra.hubLoadRoles),
    allowNamedServers: namedServers.enabled,
    ...(namedServers.enabled ? { namedServerLimitPerUser: namedServers.limitPerUser } : {}),
  };
}

/** The hub's Secret with the environment variables named by hubSecretEnvironment. */
export function hubEnvironmentSecretName(releaseName: string): string {
  return `${releaseName}-hub-env`;
}

function secretEnvironmentRefs(secretName: string, names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, { valueFrom: { secretKeyRef: { name: secretName, key: name } } }]));
}

function proxySection({ hub, https }: Settings): ChartValues {
  const service = {
    type: hub.service.type,
    ...(hub.service.loadBalancerIP ? { loadBalancerIP: hub.service.loadBalancerIP } : {}),
  };
  switch (https.type) {
    case "none":
      return { service, https: { enabled: false } };
    case "letsencrypt":
      return {
        service,
        https: { enabled: true, type: "letsencrypt", hosts: [hub.host], letsencrypt: { contactEmail: https.contactEmail } },
      };
    case "secret":
      return { service, https: { enabled: true, type: "secret", hosts: [hub.host], secret: { name: https.secretName } } };
    case "certManager":
      return { service, https: { enabled: true, type: "secret", hosts: [hub.host], secret: { name: tlsSecretName(https, hub.releaseName) } } };
  }
}

/** The Secret cert-manager writes the hub's certificate to. */
export function tlsSecretName(https: { secretName?: string }, releaseName: string): string {
  return https.secretName ?? `${releaseName}-tls`;
}

function singleuserSection(settings: Settings, extra: Extensions, built: BuiltImages): ChartValues {
  const { profiles, storage } = settings;
  const defaultProfile = profiles.find((p) => p.enabled && p.default)!;
  const networkPolicy = serverNetworkPolicy(settings);
  // The CA bundle is written by an init container running each profile's own image, so a
  // profile's init containers are the chart-wide ones plus its own (a profile's list replaces
  // the chart-wide one in KubeSpawner).
  const initContainersFor = settings.caBundle
    ? (image: string) => [...homeOwnerInitContainers(storage), trustInitContainer(image)]
    : undefined;
  const defaultImage = parseImageReference(profileImageReference(defaultProfile.image, built))!;
  const chartWideInitContainers = initContainersFor ? initContainersFor(formatImageReference(defaultImage)) : homeOwnerInitContainers(storage);
  return {
    // The default profile's image doubles as the chart's default image, so the pre-puller
    // and a spawn without a profile choice use it instead of the chart's sample image.
    image: chartImage(defaultImage),
    allowPrivilegeEscalation: false,
    // The chart's cloud-metadata block is a privileged root init container in every server, which
    // the namespace's Pod Security level (baseline) refuses. The servers' NetworkPolicy keeps the
    // metadata address closed instead (egressAllowRules.cloudMetadataServer stays false).
    cloudMetadata: { blockWithIptables: false },
    profileList: buildProfileList(profiles, built, {
      initContainersFor,
      ...(extra.ssh ? { sshdLabel: { key: SSHD_LABEL, runsSshd: profileRunsSshd } } : {}),
      userPodTolerations: userPodTolerations(settings),
    }),
    storage: {
      ...storageValues(storage),
      ...(extra.singleuserExtraVolumes.length > 0 ? { extraVolumes: extra.singleuserExtraVolumes } : {}),
      ...(extra.singleuserExtraVolumeMounts.length > 0 ? { extraVolumeMounts: extra.singleuserExtraVolumeMounts } : {}),
    },
    ...(chartWideInitContainers.length > 0 ? { initContainers: chartWideInitContainers } : {}),
    ...nonEmpty("extraFiles", extra.singleuserExtraFiles),
    ...nonEmpty("extraEnv", extra.singleuserExtraEnv),
    networkPolicy: {
      ...(networkPolicy.ingress.length > 0 ? { ingress: networkPolicy.ingress } : {}),
      egress: networkPolicy.egress,
      egressAllowRules: networkPolicy.egressAllowRules,
    },
  };
}

/** The tolerations the chart gives every user pod (its jupyterhub_config.py), with chartValues' changes. */
function userPodTolerations({ hub, chartValues = {} }: Settings): Record<string, unknown>[] {
  const pick = (path: string[]) => (valueAt(chartValues, path) ?? valueAt(chartDefaultValues(hub.chartVersion), path) ?? []) as Record<string, unknown>[];
  return [...pick(["scheduling", "userPods", "tolerations"]), ...pick(["singleuser", "extraTolerations"])];
}

function cullSection({ culling }: Settings): ChartValues {
  return {
    enabled: culling.enabled,
    timeout: culling.idleTimeout,
    every: culling.checkInterval,
    maxAge: culling.maxAge,
    users: culling.users,
  };
}
