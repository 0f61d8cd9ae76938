// Settings → the exact values handed to the Zero to JupyterHub chart. Pure: tested without
// Pulumi, and what `npm run render` writes to values.yaml.
import type { Settings } from "../../settings";
import { chartImage, parseImageReference } from "../../settings/imageReference";
import { buildProfileList } from "./profileList";

export type ChartValues = Record<string, unknown>;

export function buildHubValues(settings: Settings): ChartValues {
  return {
    hub: hubSection(settings),
    proxy: proxySection(settings),
    singleuser: singleuserSection(settings),
    cull: cullSection(settings),
    prePuller: {
      hook: { enabled: settings.prePuller.hook },
      continuous: { enabled: settings.prePuller.continuous },
    },
  };
}

const AUTHENTICATOR_CLASSES = {
  firstuse: "firstuseauthenticator.FirstUseAuthenticator",
  dummy: "dummy",
} as const;

function hubSection({ auth, users, groups, namedServers }: Settings): ChartValues {
  const config: Record<string, Record<string, unknown>> = {
    JupyterHub: {
      authenticator_class: AUTHENTICATOR_CLASSES[auth.authenticator],
      load_groups: groupMembers(users, groups),
    },
    Authenticator: {
      admin_users: users.filter((u) => u.admin).map((u) => u.name),
      allowed_users: users.map((u) => u.name),
    },
  };
  if (auth.authenticator === "firstuse") {
    // Only the configured users may claim a name; nobody else can sign up.
    config.FirstUseAuthenticator = { create_users: false };
  }
  return {
    config,
    allowNamedServers: namedServers.enabled,
    ...(namedServers.enabled ? { namedServerLimitPerUser: namedServers.limitPerUser } : {}),
  };
}

/** Every group (declared or held by a user) with its members, for JupyterHub's load_groups. */
export function groupMembers(users: Settings["users"], declared: Settings["groups"]): Record<string, { users: string[] }> {
  const names = [...new Set([...declared, ...users.flatMap((u) => u.groups)])].sort();
  return Object.fromEntries(
    names.map((group) => [group, { users: users.filter((u) => u.groups.includes(group)).map((u) => u.name) }]),
  );
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
