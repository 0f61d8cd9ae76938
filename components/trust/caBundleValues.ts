// A homelab's own CA in the hub and in every server. Pure: where the PEM comes from, and the chart
// values that mount it and make each client use it.
//
// Clients differ in what they accept: some add a file to the public CAs (VAULT_CACERT is read by
// our own code, NODE_EXTRA_CA_CERTS by Node), others trust only the one file they are given
// (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO, PIP_CERT, tornado's ca_certs).
// Those get a combined bundle, the image's own public CAs followed by this CA, written at start:
// in a server by an init container running the server's own image, in the hub by ca_trust.py.
import * as fs from "fs";
import * as path from "path";
import type { Settings } from "../../settings";
import type { CaBundleSettings } from "../../settings/caBundleSchema";
import { configKey, type SettingsProblem } from "../../settings/SettingsError";
import { caCertificatesProblem } from "../../settings/certificates";
import { hubPythonModule, type HubPythonModule } from "../hub/hubPythonModule";
import { NOTEBOOK_GID, NOTEBOOK_UID } from "../storage/homeVolumes";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");
const CA_TRUST_SOURCE = path.join(__dirname, "..", "hub", "ca_trust.py");

/** The CA as mounted (read-only) into the hub and the servers. */
export const CA_DIR = "/etc/jupyterhub/ca";
export const CA_FILE = `${CA_DIR}/ca.crt`;
/** Where the combined bundle (public CAs + this CA) is written at start, on an emptyDir. */
export const TRUST_DIR = "/etc/jupyterhub/ca-trust";
export const BUNDLE_FILE = `${TRUST_DIR}/ca-bundle.pem`;
const CA_VOLUME = "ca-bundle";
const TRUST_VOLUME = "ca-trust";

/** The ConfigMap the program makes for a CA from a file or 1Password. */
export function caConfigMapName(releaseName: string): string {
  return `${releaseName}-ca-bundle`;
}

/** Where the mounted CA comes from: an object that exists already, or the program's ConfigMap. */
export function caVolumeSource(caBundle: CaBundleSettings, releaseName: string): Record<string, unknown> {
  const items = (key: string) => [{ key, path: "ca.crt" }];
  if ("configMap" in caBundle) return { configMap: { name: caBundle.configMap.name, items: items(caBundle.configMap.key) } };
  if ("secret" in caBundle) return { secret: { secretName: caBundle.secret.name, items: items(caBundle.secret.key) } };
  return { configMap: { name: caConfigMapName(releaseName), items: items("ca.crt") } };
}

/** Why a CA PEM cannot be trusted as given (no certificate, a private key beside it, expired, not a CA). */
export function pemProblem(text: string): string | undefined {
  return caCertificatesProblem(text);
}

/** A PEM file of the project that is missing or holds no certificate, as a config problem. */
export function pemFileProblems(file: string, key: string, projectDir = PROJECT_DIR): SettingsProblem[] {
  const full = path.resolve(projectDir, file);
  if (!fs.existsSync(full)) return [{ key, message: `${file} does not exist (paths are relative to the project directory)` }];
  const problem = pemProblem(fs.readFileSync(full, "utf8"));
  return problem ? [{ key, message: `${file} ${problem}` }] : [];
}

/** A CA file that is missing or holds no certificate fails before anything is created. */
export function caBundleFileProblems(caBundle: Settings["caBundle"], projectDir = PROJECT_DIR): SettingsProblem[] {
  if (!caBundle || !("file" in caBundle)) return [];
  return pemFileProblems(caBundle.file, configKey(["caBundle", "file"]), projectDir);
}

export function readCaFile(caBundle: { file: string }, projectDir = PROJECT_DIR): string {
  return fs.readFileSync(path.resolve(projectDir, caBundle.file), "utf8");
}

/** Environment of every server: each client pointed at the file it can use. */
export function serverTrustEnvironment(): Record<string, string> {
  return {
    SSL_CERT_FILE: BUNDLE_FILE,
    REQUESTS_CA_BUNDLE: BUNDLE_FILE,
    CURL_CA_BUNDLE: BUNDLE_FILE,
    GIT_SSL_CAINFO: BUNDLE_FILE,
    PIP_CERT: BUNDLE_FILE,
    VAULT_CACERT: CA_FILE,
    NODE_EXTRA_CA_CERTS: CA_FILE,
  };
}

// Public CA bundles where the common base images keep them (Debian/Ubuntu, RHEL/Fedora, Alpine).
const SYSTEM_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

/**
 * The init container that writes a server's combined bundle. It runs the server's own image
 * (already pulled for the server), so the public CAs are the ones that image ships.
 */
export function trustInitContainer(image: string): Record<string, unknown> {
  const script = [
    `for system in ${SYSTEM_BUNDLES.join(" ")}; do`,
    `  if [ -s "$system" ]; then cat "$system" ${CA_FILE} > ${BUNDLE_FILE} && exit 0; fi`,
    "done",
    `echo "no public CA bundle in this image (looked for ${SYSTEM_BUNDLES.join(", ")})" >&2`,
    "exit 1",
  ].join("\n");
  return {
    name: "ca-trust",
    image,
    command: ["sh", "-c", script],
    securityContext: {
      runAsUser: NOTEBOOK_UID,
      runAsGroup: NOTEBOOK_GID,
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    },
    volumeMounts: [
      { name: CA_VOLUME, mountPath: CA_DIR, readOnly: true },
      { name: TRUST_VOLUME, mountPath: TRUST_DIR },
    ],
  };
}

export interface CaTrustValues {
  readonly hubExtraConfig: Record<string, string>;
  readonly hubExtraFiles: HubPythonModule["extraFiles"];
  readonly hubExtraVolumes: Record<string, unknown>[];
  readonly hubExtraVolumeMounts: Record<string, unknown>[];
  readonly singleuserExtraVolumes: Record<string, unknown>[];
  readonly singleuserExtraVolumeMounts: Record<string, unknown>[];
  readonly singleuserExtraEnv: Record<string, string>;
}

export function caTrustValues(settings: Pick<Settings, "caBundle" | "hub">): CaTrustValues | undefined {
  if (!settings.caBundle) return undefined;
  const volumes = [
    { name: CA_VOLUME, ...caVolumeSource(settings.caBundle, settings.hub.releaseName) },
    { name: TRUST_VOLUME, emptyDir: { medium: "Memory", sizeLimit: "4Mi" } },
  ];
  const mounts = [
    { name: CA_VOLUME, mountPath: CA_DIR, readOnly: true },
    { name: TRUST_VOLUME, mountPath: TRUST_DIR },
  ];
  // First of the hub's entries ("00-"), so the login and Vault clients made later see the bundle.
  const module = hubPythonModule(CA_TRUST_SOURCE, "ca_trust", `ca_trust.install(c, ${JSON.stringify(CA_FILE)}, ${JSON.stringify(BUNDLE_FILE)})`);
  return {
    hubExtraConfig: { "00-ca-trust": module.extraConfig },
    hubExtraFiles: module.extraFiles,
    hubExtraVolumes: volumes,
    hubExtraVolumeMounts: mounts,
    singleuserExtraVolumes: volumes,
    singleuserExtraVolumeMounts: mounts.map((mount) => ({ ...mount, readOnly: true })),
    singleuserExtraEnv: serverTrustEnvironment(),
  };
}
