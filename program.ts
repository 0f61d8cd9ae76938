// The whole deployment, composed from the settings. index.ts runs it under the Pulumi CLI;
// `npm run render` and the tests run it in-process under mocks.
import * as k8s from "@pulumi/kubernetes";
import * as keycloak from "@pulumi/keycloak";
import * as pulumi from "@pulumi/pulumi";
import { SettingsError, type Settings } from "./settings";
import type { KeycloakSettings } from "./settings/keycloakSchema";
import { adoptingProviderArgs, kubernetesProviderArgs } from "./components/cluster/kubernetesProviderArgs";
import { hubSecretEnvironment, OAUTH_CLIENT_SECRET } from "./components/hub/authValues";
import { Hub } from "./components/hub/Hub";
import { hubEnvironmentSecretName } from "./components/hub/hubValues";
import { hubUrl } from "./components/hub/hubUrl";
import { Identity } from "./components/identity/Identity";
import { HubNamespace } from "./components/namespace/HubNamespace";
import { deployTimeSecret, missingEnvironment, onePasswordPublicKey, type Environment } from "./components/secrets/deployTimeSecret";
import { SshGateway } from "./components/ssh/SshGateway";
import { usersWithSsh } from "./components/ssh/sshValues";
import { NfsHomes } from "./components/storage/NfsHomes";
import { HubSecretEnvironment } from "./components/secrets/HubSecretEnvironment";
import { VaultAccess } from "./components/vault/VaultAccess";
import { foldersToBuild, missingImageFolders, type BuiltImages } from "./components/images/imageBuild";
import { KernelImages } from "./components/images/KernelImages";
import { PullSecret } from "./components/images/PullSecret";
import type { ImagesSettings } from "./settings/imagesSchema";
import { CaBundle } from "./components/trust/CaBundle";
import { caBundleFileProblems, caConfigMapName, pemProblem, readCaFile } from "./components/trust/caBundleValues";
import { HubCertificate } from "./components/trust/HubCertificate";
import { tlsSecretName } from "./components/hub/hubValues";

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
}

export function deployJupyterHub(settings: Settings, environment: Environment): Deployment {
  // A missing credential or image folder fails here, before anything is declared, like bad
  // config does.
  const missing = [...missingEnvironment(settings, environment), ...missingImageFolders(settings.profiles), ...caBundleFileProblems(settings.caBundle)];
  if (missing.length > 0) throw new SettingsError(missing);

  const kubernetes = new k8s.Provider("kubernetes", kubernetesProviderArgs(settings.cluster));
  const adopting = new k8s.Provider("kubernetes-adopting", adoptingProviderArgs(settings.cluster));
  const namespace = new HubNamespace("jupyterhub", {
    namespace: settings.hub.namespace,
    deleteHomesOnDestroy: settings.storage.deleteHomesOnDestroy,
    adoptingProvider: adopting,
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
  const caBundle = deployCaBundle(settings, namespace.name, environment, kubernetes);
  const identity = settings.keycloak ? deployIdentity(settings, settings.keycloak, environment) : undefined;
  const vaultAccess = settings.vault
    ? new VaultAccess("jupyterhub", {
        vault: settings.vault,
        namespace: settings.hub.namespace,
        hubServiceAccount: HUB_SERVICE_ACCOUNT,
        usernames: settings.users.map((u) => u.name),
      })
    : undefined;

  const images = settings.images ? deployImages(settings, settings.images, namespace.name, environment, kubernetes) : undefined;
  const homes =
    settings.storage.type === "nfs"
      ? new NfsHomes(
          "jupyterhub-homes",
          { storage: settings.storage, namespace: settings.hub.namespace, adoptingProvider: adopting },
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
  return {
    hubUrl: hub.url,
    namespace: namespace.name,
    releaseName: hub.releaseName,
    sshEndpoints: ssh?.endpoints ?? pulumi.output<Record<string, string>>({}),
    ...(ssh ? { sshHost: ssh.host, sshPort: ssh.port, sshHostKeyFingerprint: ssh.hostKeyFingerprint } : {}),
  };
}

export function pullSecretName(releaseName: string): string {
  return `${releaseName}-image-pull`;
}

/** The ConfigMap for a CA given as a file or a 1Password item; one named in config is used as it is. */
function deployCaBundle(
  settings: Settings,
  namespace: pulumi.Input<string>,
  environment: Environment,
  kubernetes: k8s.Provider,
): CaBundle | undefined {
  const source = settings.caBundle;
  if (!source || "configMap" in source || "secret" in source) return undefined;
  const pem =
    "file" in source
      ? pulumi.output(readCaFile(source))
      : // A CA certificate is public: unsecret it so its changes show in previews.
        pulumi.unsecret(deployTimeSecret({ onePassword: source.onePassword }, environment)).apply((text) => {
          const problem = pemProblem(text);
          if (problem) throw new SettingsError([{ key: "jupyterhub:caBundle.onePassword", message: `1Password item '${source.onePassword.item}' field '${source.onePassword.field}' ${problem}` }]);
          return text;
        });
  return new CaBundle(
    "jupyterhub-ca",
    { namespace, configMapName: caConfigMapName(settings.hub.releaseName), pem },
    { providers: { kubernetes } },
  );
}

/** The images profiles build, and the pull secret made from the same registry login. */
function deployImages(
  settings: Settings,
  images: ImagesSettings,
  namespace: pulumi.Input<string>,
  environment: Environment,
  kubernetes: k8s.Provider,
): { references?: pulumi.Output<BuiltImages>; pullSecret: pulumi.Resource } {
  const { vault, item, usernameField, tokenField } = images.credentials;
  const username = deployTimeSecret({ onePassword: { vault, item, field: usernameField } }, environment);
  const token = deployTimeSecret({ onePassword: { vault, item, field: tokenField } }, environment);
  const folders = foldersToBuild(settings.profiles);
  const built = folders.length > 0 ? new KernelImages("jupyterhub", { images, folders, username, token }) : undefined;
  const pullSecret = new PullSecret(
    "jupyterhub-image-pull",
    { namespace, secretName: pullSecretName(settings.hub.releaseName), server: images.registry, username, token },
    { providers: { kubernetes } },
  );
  return { references: built?.references, pullSecret: pullSecret.secret };
}

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
        ...(google ? { google: deployTimeSecret(google.clientSecret, environment) } : {}),
        ...(github ? { github: deployTimeSecret(github.clientSecret, environment) } : {}),
      },
    },
    { providers: { keycloak: provider } },
  );
}
