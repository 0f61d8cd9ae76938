// The whole deployment, composed from the settings. index.ts runs it under the Pulumi CLI;
// `npm run render` and the tests run it in-process under mocks.
import * as k8s from "@pulumi/kubernetes";
import * as keycloak from "@pulumi/keycloak";
import * as pulumi from "@pulumi/pulumi";
import { SettingsError, type Settings } from "./settings";
import type { KeycloakSettings } from "./settings/keycloakSchema";
import { configKey } from "./settings/SettingsError";
import { adoptingProviderArgs, kubernetesProviderArgs } from "./components/cluster/kubernetesProviderArgs";
import { hubSecretEnvironment, OAUTH_CLIENT_SECRET } from "./components/hub/authValues";
import { Hub } from "./components/hub/Hub";
import { chartValuesPreflight, hubEnvironmentSecretName } from "./components/hub/hubValues";
import { hubUrl } from "./components/hub/hubUrl";
import { Identity } from "./components/identity/Identity";
import { brokerCallbackUrl } from "./components/identity/keycloakEndpoints";
import { IDENTITY_PROVIDER_ALIASES, type IdentityProviderName } from "./components/identity/keycloakInputs";
import { HubNamespace } from "./components/namespace/HubNamespace";
import { deployTimeSecret, missingEnvironment, onePasswordPublicKey, type Environment } from "./components/secrets/deployTimeSecret";
import { SshGateway } from "./components/ssh/SshGateway";
import { usersWithSsh } from "./components/ssh/sshValues";
import { NfsHomes } from "./components/storage/NfsHomes";
import { HubSecretEnvironment } from "./components/secrets/HubSecretEnvironment";
import { VaultAccess } from "./components/vault/VaultAccess";
import { kubernetesCaCert } from "./components/vault/kubernetesCaCert";
import { registryLogin } from "./components/images/registryLogin";
import { foldersToBuild, missingImageFolders, type BuiltImages } from "./components/images/imageBuild";
import { KernelImages } from "./components/images/KernelImages";
import { PullSecret } from "./components/images/PullSecret";
import type { ImagesSettings } from "./settings/imagesSchema";
import { CaBundle } from "./components/trust/CaBundle";
import { caBundleFileProblems, caConfigMapName, pemProblem, readCaFile } from "./components/trust/caBundleValues";
import { HubCertificate } from "./components/trust/HubCertificate";
import { kubernetesCaCertFileProblems } from "./components/vault/kubernetesCaCert";
import { tlsSecretName } from "./components/hub/hubValues";
import { AdoptionGuard } from "./components/lifecycle/AdoptionGuard";
import { kubectlCommand, STOP_TIMEOUT_SECONDS, stopServersCommand } from "./components/lifecycle/lifecycleValues";
import { adoptableObjects, ownerLabels } from "./components/lifecycle/ownership";
import { roster } from "./components/lifecycle/roster";
import { ServerShutdown } from "./components/lifecycle/ServerShutdown";
import { VaultSecretsMove } from "./components/lifecycle/VaultSecretsMove";
import { templateSlug } from "./components/ssh/kubespawnerLabels";
import { formerHomes, userHomes, type HomeLocation, type UserHome } from "./components/storage/homeLocations";
import { NFS_HOMES_CLAIM, nfsHomesVolumeName } from "./components/storage/homeVolumes";

/** The chart's hub ServiceAccount: what Vault's Kubernetes auth role is bound to. */
export const HUB_SERVICE_ACCOUNT = "hub";

export interface Deployment {
  readonly hubUrl: pulumi.Output<string>;
  readonly namespace: pulumi.Output<string>;
  readonly releaseName: pulumi.Output<string>;
  /** Username → SSH destination of their default server, for users with keys. */
  readonly sshEndpoints: pulumi.Output<Record<string, string>>;
  /** The SSH gateway's name (or address), port and host key fingerprint; absent without SSH users. */
  readonly sshHost?: pulumi.Output<string>;
  readonly sshPort?: pulumi.Output<number>;
  readonly sshHostKeyFingerprint?: pulumi.Output<string>;
  /** Username → where their home is (claim or NFS sub-directory) and their SSH destination. */
  readonly homes: pulumi.Output<Record<string, UserHome>>;
  /** Kept homes of jupyterhub:formerUsers, which no configured user has. */
  readonly formerHomes: pulumi.Output<Record<string, HomeLocation>>;
  /** Identity provider (google, github) → the callback URL to register in its OAuth app; empty without Keycloak. */
  readonly oauthCallbackUrls: pulumi.Output<Record<string, string>>;
}

export function deployJupyterHub(settings: Settings, environment: Environment): Deployment {
  // A missing credential or image folder fails here, before anything is declared, like bad
  // config does.
  const missing = [...missingEnvironment(settings, environment), ...missingImageFolders(settings.profiles), ...caBundleFileProblems(settings.caBundle), ...kubernetesCaCertFileProblems(settings.vault)];
  missing.push(...chartValuesPreflight(settings, settings.images ? pullSecretName(settings.hub.releaseName) : undefined));
  if (missing.length > 0) throw new SettingsError(missing);

  const kubernetes = new k8s.Provider("kubernetes", kubernetesProviderArgs(settings.cluster));
  const adopting = new k8s.Provider("kubernetes-adopting", adoptingProviderArgs(settings.cluster));
  // The adopting provider takes over only what carries this stack's labels: the guard reads the
  // kept objects before they are adopted, and remembers who was configured (components/lifecycle).
  const owner = ownerLabels(pulumi.getStack());
  const adoptionGuard = new AdoptionGuard("jupyterhub-adoption", {
    kubectl: kubectlCommand(settings.cluster),
    objects: adoptableObjects(settings, { volume: nfsHomesVolumeName(settings.hub.namespace), claim: NFS_HOMES_CLAIM }),
    labels: owner,
    roster: roster(settings),
  });
  const namespace = new HubNamespace("jupyterhub", {
    namespace: settings.hub.namespace,
    deleteHomesOnDestroy: settings.storage.deleteHomesOnDestroy,
    adoptingProvider: adopting,
    ownerLabels: owner,
    adoptionGuard,
  });
  const certificate =
    settings.https.type === "certManager"
      ? new HubCertificate(
          "jupyterhub-tls",
          {
            namespace: namespace.name,
            host: settings.hub.host,
            secretName: tlsSecretName(settings.https, settings.hub.releaseName),
            issuer: settings.https.issuer,
          },
          { providers: { kubernetes } },
        )
      : undefined;
  const caPem = stackCaPem(settings, environment);
  const caBundle = caPem ? deployCaBundle(settings, caPem, namespace.name, kubernetes) : undefined;
  const identity = settings.keycloak ? deployIdentity(settings, settings.keycloak, environment) : undefined;
  const vaultAccess = settings.vault
    ? new VaultAccess(
        "jupyterhub",
        {
          vault: settings.vault,
          namespace: settings.hub.namespace,
          hubServiceAccount: HUB_SERVICE_ACCOUNT,
          usernames: settings.users.map((u) => u.name),
          kubernetesCaCert: kubernetesCaCert(settings.vault, environment),
        },
        // The token reviewer's RBAC (kubernetesAuth.tokenReviewer) lives in the cluster, in the hub's namespace.
        { providers: { kubernetes }, dependsOn: [namespace] },
      )
    : undefined;

  const images = settings.images ? deployImages(settings, settings.images, namespace.name, environment, kubernetes) : undefined;
  const homes =
    settings.storage.type === "nfs"
      ? new NfsHomes(
          "jupyterhub-homes",
          { storage: settings.storage, namespace: settings.hub.namespace, adoptingProvider: adopting, ownerLabels: owner, adoptionGuard },
          { dependsOn: [namespace] },
        )
      : undefined;
  const ssh =
    usersWithSsh(settings.users).length > 0
      ? new SshGateway(
          "jupyterhub-ssh",
          {
            settings,
            namespace: settings.hub.namespace,
            hubServiceAccount: HUB_SERVICE_ACCOUNT,
            onePasswordKeys: Object.fromEntries(
              settings.users.map((user) => [user.name, (user.ssh?.onePasswordKeys ?? []).map((key) => onePasswordPublicKey(key.vault, key.item))]),
            ),
          },
          { providers: { kubernetes }, dependsOn: [namespace] },
        )
      : undefined;

  const secretValues: Record<string, pulumi.Input<string>> = identity ? { [OAUTH_CLIENT_SECRET]: identity.clientSecret } : {};
  if (Object.keys(secretValues).sort().join() !== hubSecretEnvironment(settings).join()) {
    throw new Error(`the hub's values reference ${hubSecretEnvironment(settings).join(", ")}, but the program made ${Object.keys(secretValues).join(", ")}`);
  }
  const hubSecrets =
    Object.keys(secretValues).length > 0
      ? new HubSecretEnvironment(
          "jupyterhub",
          {
            namespace: namespace.name,
            secretName: hubEnvironmentSecretName(settings.hub.releaseName),
            values: secretValues,
            vault: settings.vault,
          },
          { providers: { kubernetes } },
        )
      : undefined;

  const hub = new Hub(
    "jupyterhub",
    {
      settings,
      namespace: namespace.name,
      waitFor: [hubSecrets?.ready, vaultAccess, images?.pullSecret, homes, ssh, certificate, caBundle].filter((r): r is pulumi.Resource => r !== undefined),
      builtImages: images?.references,
      pullSecret: images ? pullSecretName(settings.hub.releaseName) : undefined,
    },
    { providers: { kubernetes } },
  );
  // Deleted before the release: `pulumi destroy` stops every server first (through the hub when it runs).
  new ServerShutdown(
    "jupyterhub-servers",
    {
      kubectl: kubectlCommand(settings.cluster),
      namespace: settings.hub.namespace,
      releaseName: settings.hub.releaseName,
      command: stopServersCommand(settings),
      timeoutSeconds: STOP_TIMEOUT_SECONDS,
    },
    { dependsOn: [hub] },
  );
  const vault = settings.vault;
  if (vault) {
    for (const user of settings.users.filter((u) => u.renamedFrom)) {
      new VaultSecretsMove(`jupyterhub-vault-rename-${templateSlug(user.name)}`, {
        newName: user.name,
        earlierNames: user.renamedFrom!,
        kvMount: vault.kvMount,
        pathPrefix: vault.pathPrefix,
        address: new pulumi.Config("vault").get("address"),
        caBundle: caPem,
      });
    }
  }
  const sshEndpoints = ssh?.endpoints ?? pulumi.output<Record<string, string>>({});
  return {
    hubUrl: hub.url,
    namespace: namespace.name,
    releaseName: hub.releaseName,
    sshEndpoints,
    ...(ssh ? { sshHost: ssh.host, sshPort: ssh.port, sshHostKeyFingerprint: ssh.hostKeyFingerprint } : {}),
    homes: sshEndpoints.apply((endpoints) => userHomes(settings, endpoints)),
    formerHomes: pulumi.output(formerHomes(settings)),
    oauthCallbackUrls: pulumi.output(oauthCallbackUrls(settings.keycloak)),
  };
}

/** The callback URL of each brokered provider the stack configures, for its OAuth app. */
export function oauthCallbackUrls(keycloakSettings: KeycloakSettings | undefined): Record<string, string> {
  if (!keycloakSettings) return {};
  const configured = (Object.keys(IDENTITY_PROVIDER_ALIASES) as IdentityProviderName[]).filter((name) => keycloakSettings.identityProviders[name]);
  return Object.fromEntries(configured.map((name) => [name, brokerCallbackUrl(keycloakSettings, IDENTITY_PROVIDER_ALIASES[name])]));
}

export function pullSecretName(releaseName: string): string {
  return `${releaseName}-image-pull`;
}

const CA_BUNDLE_KEY = ["caBundle", "onePassword"];

/** The PEM of a CA given as a file or a 1Password item; undefined for none, or one the cluster already holds. */
function stackCaPem(settings: Settings, environment: Environment): pulumi.Output<string> | undefined {
  const source = settings.caBundle;
  if (!source || "configMap" in source || "secret" in source) return undefined;
  return "file" in source
      ? pulumi.output(readCaFile(source))
      : // A CA certificate is public: unsecret it so its changes show in previews.
        pulumi.unsecret(deployTimeSecret({ onePassword: source.onePassword }, environment, [...CA_BUNDLE_KEY, "field"])).apply((text) => {
          const problem = pemProblem(text);
          // Names the key, not the item or field, and never quotes the text (it may hold a private key).
          if (problem) throw new SettingsError([{ key: configKey(CA_BUNDLE_KEY), message: `the item's field ${problem}` }]);
          return text;
        });
}

/** The ConfigMap for a CA given as a file or a 1Password item; one named in config is used as it is. */
function deployCaBundle(settings: Settings, pem: pulumi.Output<string>, namespace: pulumi.Input<string>, kubernetes: k8s.Provider): CaBundle {
  return new CaBundle(
    "jupyterhub-ca",
    { namespace, configMapName: caConfigMapName(settings.hub.releaseName), pem },
    { providers: { kubernetes } },
  );
}

/** The images profiles build (pushed with images.credentials), and the pull secret (images.pullCredentials). */
function deployImages(
  settings: Settings,
  images: ImagesSettings,
  namespace: pulumi.Input<string>,
  environment: Environment,
  kubernetes: k8s.Provider,
): { references?: pulumi.Output<BuiltImages>; pullSecret: pulumi.Resource } {
  // Two logins: the push token (write) only reaches the Docker build where `pulumi up` runs; the
  // cluster gets the read-only pull login (settings refuse a stack without one).
  const push = registryLogin(images.credentials, environment, ["images", "credentials"]);
  if (!images.pullCredentials) throw new Error("images.pullCredentials is missing; the settings checks should have refused this stack");
  const pull = registryLogin(images.pullCredentials, environment, ["images", "pullCredentials"]);
  const folders = foldersToBuild(settings.profiles);
  const built = folders.length > 0 ? new KernelImages("jupyterhub", { images, folders, username: push.username, token: push.token }) : undefined;
  const pullSecret = new PullSecret(
    "jupyterhub-image-pull",
    { namespace, secretName: pullSecretName(settings.hub.releaseName), server: images.registry, username: pull.username, token: pull.token },
    { providers: { kubernetes } },
  );
  return { references: built?.references, pullSecret: pullSecret.secret };
}

const providerSecretKey = (provider: string) => ["keycloak", "identityProviders", provider, "clientSecret"];

function deployIdentity(settings: Settings, keycloakSettings: KeycloakSettings, environment: Environment): Identity {
  // Admin credentials come from the provider's own KEYCLOAK_* environment variables. No login at
  // start-up, so a preview works while Keycloak or the realm does not exist yet.
  const provider = new keycloak.Provider("keycloak", {
    url: keycloakSettings.url,
    realm: keycloakSettings.adminRealm,
    initialLogin: false,
  });
  const { google, github } = keycloakSettings.identityProviders;
  return new Identity(
    "jupyterhub",
    {
      keycloak: keycloakSettings,
      users: settings.users,
      groups: settings.groups,
      hubUrl: hubUrl(settings),
      identityProviderSecrets: {
        ...(google ? { google: deployTimeSecret(google.clientSecret, environment, providerSecretKey("google")) } : {}),
        ...(github ? { github: deployTimeSecret(github.clientSecret, environment, providerSecretKey("github")) } : {}),
      },
    },
    { providers: { keycloak: provider } },
  );
}
