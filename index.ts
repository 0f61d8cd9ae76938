// Entry point for the Pulumi CLI (`pulumi up -s <stack>`).
// First, before anything else loads: refuse a Node the program does not support (toolchain/).
import "./toolchain/requireSupportedNode";
import { deployJupyterHub } from "./program";
import { loadSettings } from "./settings";

const deployment = deployJupyterHub(loadSettings(), process.env);

export const hubUrl = deployment.hubUrl;
export const namespace = deployment.namespace;
export const releaseName = deployment.releaseName;
export const sshEndpoints = deployment.sshEndpoints;
export const sshHost = deployment.sshHost;
export const sshPort = deployment.sshPort;
export const sshHostKeyFingerprint = deployment.sshHostKeyFingerprint;
export const homes = deployment.homes;
export const formerHomes = deployment.formerHomes;
export const oauthCallbackUrls = deployment.oauthCallbackUrls;
