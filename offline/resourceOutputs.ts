// Outputs that providers compute and the program reads back, made up deterministically under
// mocks (by default a resource's state is just its inputs).
import * as crypto from "crypto";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

export type ResourceOutputs = (args: MockResourceArgs) => Record<string, unknown>;

/** A pushed image's digest: the same inputs always give the same digest, as a rebuild would not. */
export function dockerImageOutputs(args: MockResourceArgs): Record<string, unknown> {
  const imageName = String(args.inputs.imageName);
  const repository = imageName.replace(/:[^/:]+$/, "");
  const { registry: _registry, ...buildInputs } = args.inputs as Record<string, unknown>;
  const digest = crypto.createHash("sha256").update(JSON.stringify(buildInputs)).digest("hex");
  return { repoDigest: `${repository}@sha256:${digest}` };
}

/**
 * A generated key pair as the tls provider reports it (ED25519: OpenSSH public key and its SHA256
 * fingerprint), made up from the resource's name, so each key is distinct and stable.
 */
export function tlsPrivateKeyOutputs(args: MockResourceArgs): Record<string, unknown> {
  const seed = crypto.createHash("sha256").update(args.name).digest();
  const publicKey = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${seed.toString("base64").replace(/=+$/, "")}`;
  return {
    publicKeyOpenssh: `${publicKey}\n`,
    publicKeyFingerprintSha256: `SHA256:${crypto.createHash("sha256").update(publicKey).digest("base64").replace(/=+$/, "")}`,
    privateKeyOpenssh: `fixture-${args.name}-private-key`,
  };
}

export const RESOURCE_OUTPUTS: Readonly<Record<string, ResourceOutputs>> = {
  "docker:index/image:Image": dockerImageOutputs,
  "tls:index/privateKey:PrivateKey": tlsPrivateKeyOutputs,
};
