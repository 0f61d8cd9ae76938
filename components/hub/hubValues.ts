// Settings → the exact values handed to the Zero to JupyterHub chart. Pure: tested without
// Pulumi, and what `npm run render` writes to values.yaml.
import type { Settings } from "../../settings";
import { chartImage, parseImageReference } from "../../settings/imageReference";
import { authConfig, hubSecretEnvironment } from "./authValues";
import { buildProfileList } from "./profileList";
import { profileFilterValues } from "./profileFilterValues";

export type ChartValues = Record<string, unknown>;

export function buildHubValues(settings: Settings): ChartValues {
  const profileFilter = profileFilterValues(settings.profiles);
  return {
    hub: hubSection(settings, profileFilter),
    ...(profileFilter ? { custom: profileFilter.custom } : {}),
    proxy: proxySection(settings),
    singleuser: singleuserSection(settings),
    cull: cullSection(settings),
    prePuller: {
      hook: { enabled: settings.prePuller.hook },
      continuous: { enabled: settings.prePuller.continuous },
    },
  };
}

function hubSection(settings: Settings, profileFilter: ReturnType<typeof profileFilterValues>): ChartValues {
  const { namedServers, hub } = settings;
  const secretEnvironment = hubSecretEnvironment(settings);
  return {
    config: authConfig(settings),
    ...(secretEnvironment.length > 0 ? { extraEnv: secretEnvironmentRefs(hubEnvironmentSecretName(hub.releaseName), secretEnvironment) } : {}),
    ...(profileFilter ? { extraConfig: profileFilter.extraConfig } : {}),
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
  }
}

function singleuserSection({ profiles, storage }: Settings): ChartValues {
  const defaultProfile = profiles.find((p) => p.enabled && p.default)!;
  return {
    // The default profile's image doubles as the chart's default image, so the pre-puller
    // and a spawn without a profile choice use it instead of the chart's sample image.
    image: chartImage(parseImageReference(defaultProfile.image)!),
    allowPrivilegeEscalation: false,
    profileList: buildProfileList(profiles),
    storage: {
      type: "dynamic",
      capacity: storage.capacity,
      ...(storage.storageClass ? { dynamic: { storageClass: storage.storageClass } } : {}),
    },
  };
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
