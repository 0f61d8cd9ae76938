// Checks that span more than one key: each returns problems as (path, message) pairs and runs
// only on sections that parsed, so a config gets every problem reported in one go.
import type { Settings } from "./schema";
import { checkSshdImages, checkSshGateway, hasSshKeys } from "./sshChecks";
import { checkServiceEndpoints, checkSharedSshKeys } from "./collisionChecks";
import { checkIdleTimeout, checkKeycloakSessions, checkVaultMaxLeaseTtl, checkVaultTokenOutlivesServers } from "./timingChecks";
import { checkNfsDeleteHomes, checkSharedVolumeExports } from "./storageChecks";
import { checkKeycloakGroups, checkSharedVolumeMounts, checkVaultTokenTtls } from "./consistencyChecks";
import { checkUserLifecycle } from "./lifecycleChecks";
import { notPublicReason } from "./publicNames";
import { builtFolder } from "./imagesSchema";
import { pinnedNames, publishedImageProblems } from "./publishedImages";
import { publishedImages } from "./publishedImagesFile";

export interface CrossCheckProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

type Sections = Partial<Settings>;
/** The config as written, before defaults: for checks about what the user set. */
type RawConfig = Readonly<Record<string, unknown>>;

function duplicates<T>(items: readonly T[], keyOf: (item: T) => string): Map<number, number> {
  // index of a repeat → index of its first occurrence
  const first = new Map<string, number>();
  const repeats = new Map<number, number>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    const seen = first.get(key);
    if (seen === undefined) first.set(key, index);
    else repeats.set(index, seen);
  });
  return repeats;
}

export function checkUniqueUsers({ users }: Sections): CrossCheckProblem[] {
  if (!users) return [];
  return [...duplicates(users, (u) => u.name)].map(([index, first]) => ({
    path: ["users", index, "name"],
    message: `'${users[index].name}' is already listed at users[${first}]`,
  }));
}

export function checkUniqueGroups({ groups }: Sections): CrossCheckProblem[] {
  if (!groups) return [];
  return [...duplicates(groups, (g) => g)].map(([index]) => ({
    path: ["groups", index],
    message: `'${groups[index]}' is declared twice`,
  }));
}

export function checkUniqueSlugs({ profiles }: Sections): CrossCheckProblem[] {
  if (!profiles) return [];
  return [...duplicates(profiles, (p) => p.slug)].map(([index, first]) => ({
    path: ["profiles", index, "slug"],
    message: `'${profiles[index].slug}' is already the slug of profiles[${first}]`,
  }));
}

export function checkDefaultProfile({ profiles }: Sections): CrossCheckProblem[] {
  if (!profiles) return [];
  const problems: CrossCheckProblem[] = [];
  profiles.forEach((profile, index) => {
    if (profile.default && !profile.enabled) {
      problems.push({ path: ["profiles", index, "default"], message: "a disabled profile cannot be the default" });
    }
  });
  const enabled = profiles.filter((p) => p.enabled);
  if (enabled.length === 0) {
    problems.push({ path: ["profiles"], message: "no profile is enabled; enable at least one" });
    return problems;
  }
  const defaults = enabled.filter((p) => p.default).map((p) => p.slug);
  if (defaults.length !== 1) {
    problems.push({
      path: ["profiles"],
      message:
        defaults.length === 0
          ? "no enabled profile has default: true; mark exactly one"
          : `exactly one enabled profile may be the default, found ${defaults.length}: ${defaults.join(", ")}`,
    });
  }
  return problems;
}

export function checkNamedGroupsExist({ profiles, users, groups, keycloak, sharedVolumes }: Sections): CrossCheckProblem[] {
  if (!users || !groups) return [];
  const known = new Set([...groups, ...users.flatMap((u) => u.groups)]);
  if (keycloak) [keycloak.userGroup, keycloak.adminGroup].forEach((group) => known.add(group));
  const named: { path: (string | number)[]; group: string }[] = [
    ...(profiles ?? []).flatMap((p, i) => p.allowedGroups.map((group, j) => ({ path: ["profiles", i, "allowedGroups", j], group }))),
    ...(sharedVolumes ?? []).flatMap((v, i) => v.groups.map((group, j) => ({ path: ["sharedVolumes", i, "groups", j], group }))),
  ];
  return named
    .filter(({ group }) => !known.has(group))
    .map(({ path, group }) => ({ path, message: `group '${group}' is neither declared in jupyterhub:groups nor held by any user` }));
}

export function checkUniqueSharedVolumes({ sharedVolumes }: Sections): CrossCheckProblem[] {
  if (!sharedVolumes) return [];
  return [...duplicates(sharedVolumes, (v) => v.name)].map(([index, first]) => ({
    path: ["sharedVolumes", index, "name"],
    message: `'${sharedVolumes[index].name}' is already the name of sharedVolumes[${first}]`,
  }));
}

export function checkLetsEncryptHost({ https, hub }: Sections): CrossCheckProblem[] {
  if (!https || !hub || https.type !== "letsencrypt") return [];
  const reason = notPublicReason(hub.host);
  if (!reason) return [];
  return [
    {
      path: ["https", "type"],
      message: `Let's Encrypt needs a public DNS name for hub.host, not '${hub.host}' (${reason}): use type certManager with your own CA issuer, or type secret, and trust that CA with jupyterhub:caBundle`,
    },
  ];
}

// Everyone must be able to start something, and a user offered no profile at all would get the
// chart's fallback server without the profiles' limits.
export function checkDefaultProfileOpen({ profiles }: Sections): CrossCheckProblem[] {
  if (!profiles) return [];
  return profiles.flatMap((profile, index) =>
    profile.default && profile.allowedGroups.length > 0
      ? [{ path: ["profiles", index, "allowedGroups"], message: "the default profile is offered to every user; it cannot be limited to groups" }]
      : [],
  );
}

export function checkOneLoginMethod(_: Sections, raw: RawConfig): CrossCheckProblem[] {
  if (raw.auth === undefined || raw.keycloak === undefined) return [];
  return [{ path: ["auth"], message: "remove it: with a jupyterhub:keycloak block, users log in through Keycloak" }];
}

// An email no longer links anything (issue 12: only keycloak.users.<name>.identities do), so it
// is optional; the users the stack creates still need distinct ones (duplicateEmailsAllowed off).
export function checkKeycloakUsers({ keycloak, users }: Sections): CrossCheckProblem[] {
  if (!keycloak || !users) return [];
  const problems: CrossCheckProblem[] = [];
  const withEmail = users.map((user, index) => ({ user, index })).filter(({ user }) => user.email && !keycloak.users[user.name]?.existing);
  for (const [position, first] of duplicates(withEmail, ({ user }) => user.email!.toLowerCase())) {
    problems.push({
      path: ["users", withEmail[position].index, "email"],
      message: `'${withEmail[position].user.email}' is already the email of users[${withEmail[first].index}]; Keycloak needs one user per email`,
    });
  }
  return problems;
}

export function checkKeycloakRealm({ keycloak }: Sections): CrossCheckProblem[] {
  if (!keycloak || keycloak.createRealm) return [];
  return [
    ...(keycloak.sessions ? [{ path: ["keycloak", "sessions"], message: "only applies to a realm this stack creates (createRealm: true)" }] : []),
    ...(keycloak.deleteRealmOnDestroy
      ? [{ path: ["keycloak", "deleteRealmOnDestroy"], message: "only applies to a realm this stack creates (createRealm: true); an existing realm is never deleted" }]
      : []),
  ];
}

// keycloak.users names configured users; `existing` only makes sense in a realm that was there
// before; a link needs its provider, and one account can be linked to one user only (Keycloak
// refuses a second link, and the hub could not tell the two apart).
export function checkKeycloakUserLinks({ keycloak, users }: Sections): CrossCheckProblem[] {
  if (!keycloak || !users) return [];
  const configured = new Set(users.map((u) => u.name));
  const problems: CrossCheckProblem[] = [];
  const linkedBy = new Map<string, string>();
  for (const [name, entry] of Object.entries(keycloak.users)) {
    const path = ["keycloak", "users", name];
    if (!configured.has(name)) problems.push({ path, message: `'${name}' is not in jupyterhub:users` });
    if (entry.existing && keycloak.createRealm) {
      problems.push({ path: [...path, "existing"], message: "a realm this stack creates has no users of its own; only with createRealm: false" });
    }
    for (const [provider, identity] of Object.entries(entry.identities)) {
      if (!identity) continue;
      const at = [...path, "identities", provider];
      if (entry.existing) {
        problems.push({ path: at, message: "the stack does not change a user it did not create: link their account in Keycloak (admin console or the user's own account console)" });
      }
      if (!keycloak.identityProviders[provider as keyof typeof keycloak.identityProviders]) {
        problems.push({ path: at, message: `needs keycloak.identityProviders.${provider}` });
      }
      const first = linkedBy.get(`${provider}:${identity.userId}`);
      if (first) problems.push({ path: [...at, "userId"], message: `${provider} account ${identity.userId} is already linked to ${first}` });
      else linkedBy.set(`${provider}:${identity.userId}`, name);
    }
  }
  return problems;
}

export function checkKeycloakUsernameClaim(_: Sections, raw: RawConfig): CrossCheckProblem[] {
  const keycloak = raw.keycloak as Record<string, unknown> | undefined;
  if (!keycloak || typeof keycloak !== "object" || !("usernameClaim" in keycloak)) return [];
  return [
    {
      path: ["keycloak", "usernameClaim"],
      message: "was removed: the hub username is always Keycloak's preferred_username, which is users[].name (homes, Vault and SSH are keyed on it)",
    },
  ];
}

export function checkKeycloakHttps({ keycloak, https }: Sections): CrossCheckProblem[] {
  if (!keycloak || !https || https.type !== "none") return [];
  return [
    {
      path: ["https"],
      message: "Keycloak login needs HTTPS on the hub: its redirect URI is https://<host>/hub/oauth_callback; set type letsencrypt or secret",
    },
  ];
}

export function checkBuiltImagesHaveRegistry({ profiles, images }: Sections, raw: RawConfig): CrossCheckProblem[] {
  // A block that is there but did not parse has its own problems reported; it is not missing.
  if (!profiles || images || raw.images !== undefined) return [];
  // Only a pinned one: an unpinned name would be refused in turn.
  const published = pinnedNames(publishedImages());
  return profiles.flatMap((profile, index) => {
    const folder = builtFolder(profile.image);
    if (folder === undefined) return [];
    const instead = published.includes(folder) ? `, or run the image this project publishes: image: { published: ${folder} }` : "";
    return [{ path: ["profiles", index, "image"], message: `builds images/${folder}, which needs a jupyterhub:images block (registry and credentials)${instead}` }];
  });
}

// `image: { published: <name> }` names an image in images/published.json, with a release pinned.
export function checkPublishedImages({ profiles }: Sections): CrossCheckProblem[] {
  return profiles ? publishedImageProblems(profiles, publishedImages()) : [];
}

// The chart's singleuser NetworkPolicy lets servers reach no private address, and NetworkPolicy
// knows addresses and pod labels, never hostnames: where Vault is must be stated to be reachable.
export function checkVaultReachable({ vault }: Sections): CrossCheckProblem[] {
  if (!vault || vault.networkPolicy) return [];
  return [
    {
      path: ["vault", "networkPolicy"],
      message: `is required: say where ${vault.address} is, as { cidrs: [<its address>/32] } or { namespace, podLabels } of Vault's pods, so the servers' NetworkPolicy lets notebooks reach it`,
    },
  ];
}

// sshd in the servers is admitted only from these ranges; with none, nothing could reach it (or,
// opened to everything, every pod in the cluster could).
export function checkSshSourceRanges({ users, ssh }: Sections): CrossCheckProblem[] {
  if (!users || !ssh || ssh.sourceRanges.length > 0) return [];
  if (!users.some(hasSshKeys)) return [];
  return [
    {
      path: ["ssh", "sourceRanges"],
      message: "is required when users have SSH keys: list the client ranges that may connect (e.g. your LAN 192.168.0.0/16); the servers' NetworkPolicy admits sshd only from them",
    },
  ];
}

export function checkCertManagerHost({ https, hub }: Sections): CrossCheckProblem[] {
  if (!https || !hub || https.type !== "certManager" || hub.host !== "localhost") return [];
  return [{ path: ["https", "type"], message: "a certificate for 'localhost' cannot be issued; set hub.host to the hub's DNS name" }];
}

// `dummy` lets anyone in as anyone: only where nobody but kubectl port-forward reaches the hub.
// (firstuse over plain HTTP on a reachable hub is reported by the advisory policy
// first-use-over-https: the first to log in as a user sets the password, in clear.)
export function checkLocalLoginReach({ auth, hub, keycloak }: Sections): CrossCheckProblem[] {
  if (!auth || !hub || keycloak || auth.authenticator !== "dummy" || hub.service.type === "ClusterIP") return [];
  return [
    {
      path: ["auth", "authenticator"],
      message: `dummy accepts any password for any user; it is only allowed when the hub is reached through kubectl port-forward (hub.service.type ClusterIP), not a ${hub.service.type}`,
    },
  ];
}

export const CROSS_CHECKS: readonly ((sections: Sections, raw: RawConfig) => CrossCheckProblem[])[] = [
  checkUniqueUsers,
  checkUniqueGroups,
  checkUniqueSlugs,
  checkDefaultProfile,
  checkDefaultProfileOpen,
  checkNamedGroupsExist,
  checkUniqueSharedVolumes,
  checkLetsEncryptHost,
  checkOneLoginMethod,
  checkKeycloakUsers,
  checkKeycloakRealm,
  checkKeycloakUserLinks,
  checkKeycloakUsernameClaim,
  checkKeycloakHttps,
  checkVaultTokenOutlivesServers,
  checkBuiltImagesHaveRegistry,
  checkPublishedImages,
  checkVaultReachable,
  checkSshSourceRanges,
  checkSshGateway,
  checkSharedVolumeMounts,
  checkVaultTokenTtls,
  checkKeycloakGroups,
  checkLocalLoginReach,
  checkCertManagerHost,
  checkUserLifecycle,
  checkImagesPullCredentials,
  checkVaultKubernetesAuth,
  checkServiceEndpoints,
  checkSharedSshKeys,
  checkIdleTimeout,
  checkVaultMaxLeaseTtl,
  checkKeycloakSessions,
  checkSshdImages,
  checkSharedVolumeExports,
  checkNfsDeleteHomes,
];

// The cluster pulls with a read-only login; the push token (write:packages) stays where `pulumi up`
// runs. No fallback to the push login: it would put a token that can overwrite every image into a
// Secret the hub (and anyone who may read Secrets in its namespace) can read, and a warning in a
// deploy log is easily missed.
export function checkImagesPullCredentials({ images }: Sections): CrossCheckProblem[] {
  if (!images) return [];
  const pull = images.pullCredentials;
  if (!pull) {
    return [
      {
        path: ["images", "pullCredentials"],
        message:
          "is required: a 1Password item with a read-only registry login (e.g. a GitHub token with only read:packages) for the cluster's pull secret; images.credentials (write:packages) only pushes and never goes into the cluster",
      },
    ];
  }
  const push = images.credentials;
  if ("vault" in pull && "vault" in push && pull.vault === push.vault && pull.item === push.item) {
    return [{ path: ["images", "pullCredentials", "item"], message: `'${pull.item}' is images.credentials' item; the pull login must be a separate, read-only token` }];
  }
  if ("token" in pull && "token" in push && JSON.stringify(pull.token) === JSON.stringify(push.token)) {
    const name = "env" in pull.token ? pull.token.env : `1Password item '${pull.token.onePassword.item}'`;
    return [{ path: ["images", "pullCredentials", "token"], message: `${name} is images.credentials' token; the pull login must be a separate, read-only token` }];
  }
  return [];
}

// Vault's Kubernetes auth method must reach the API server and have a reviewer for the hub's token
// (components/vault/kubernetesAuth.ts cites Vault's docs). A Vault outside the cluster, which
// vault.networkPolicy.cidrs says it is, has neither the in-cluster DNS name, nor a pod CA, nor a
// pod token: each is a login that fails at the first spawn.
export function checkVaultKubernetesAuth({ vault }: Sections, raw: RawConfig): CrossCheckProblem[] {
  if (!vault) return [];
  const auth = vault.kubernetesAuth;
  const at = (key: string) => ["vault", "kubernetesAuth", key];
  const problems: CrossCheckProblem[] = [];
  if (auth.audience && auth.tokenReviewer === "clientJwt") {
    problems.push({
      path: at("audience"),
      message:
        "cannot go with tokenReviewer: clientJwt: Vault would show the API server the hub's token of this audience as the TokenReview bearer, which the API server does not accept; use tokenReviewer: serviceAccount (or local for a Vault in this cluster)",
    });
  }
  if (!auth.create) {
    const written = ((raw.vault as Record<string, unknown> | undefined)?.kubernetesAuth ?? {}) as Record<string, unknown>;
    for (const key of ["kubernetesHost", "kubernetesCaCert", "tokenReviewer", "deleteOnDestroy"]) {
      if (key in written) problems.push({ path: at(key), message: "only applies to an auth method this stack enables (kubernetesAuth.create: true)" });
    }
    return problems;
  }
  if (!vault.networkPolicy || !("cidrs" in vault.networkPolicy)) return problems;
  const outside = `Vault at ${vault.address} is outside the cluster (vault.networkPolicy.cidrs)`;
  const host = new URL(auth.kubernetesHost).hostname;
  if (/(^|\.)svc(\.cluster\.local)?$/.test(host) || host === "kubernetes" || host === "kubernetes.default") {
    problems.push({ path: at("kubernetesHost"), message: `${host} resolves only inside the cluster, and ${outside}: set the API server's address as Vault reaches it, e.g. https://192.168.50.5:6443` });
  }
  if (!auth.kubernetesCaCert) {
    problems.push({ path: at("kubernetesCaCert"), message: `is required: ${outside} and has no pod CA to trust the API server with` });
  }
  if (auth.tokenReviewer === "local") {
    problems.push({ path: at("tokenReviewer"), message: `${outside} and has no ServiceAccount token of this cluster to review logins with: use clientJwt or serviceAccount` });
  }
  return problems;
}
