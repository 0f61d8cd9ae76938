// Outputs that providers compute and the program reads back, made up deterministically under
// mocks (by default a resource's state is just its inputs).
import * as crypto from "crypto";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";

export type ResourceOutputs = (args: MockResourceArgs) => Record<string, unknown>;

/**
 * A pushed docker-build Image after `pulumi up`, as pulumi-docker-build's Image.Create reports it
 * (provider/internal/image.go): `digest` is the pushed manifest's "sha256:…", `ref` the first tag
 * with "@<digest>" (addDigest), `contextHash` a hash of the build context. The same inputs always
 * give the same digest, as a cached rebuild would. In a preview these are unknown (installMocks
 * leaves them out): pulumi-go-provider's infer marks a created or changed resource's outputs
 * computed during a preview, even though docker-build runs the build (buildOnPreview).
 */
export function dockerBuildImageOutputs(args: MockResourceArgs): Record<string, unknown> {
  const { registries: _registries, ...buildInputs } = args.inputs as Record<string, unknown>;
  const digest = `sha256:${crypto.createHash("sha256").update(JSON.stringify(buildInputs)).digest("hex")}`;
  const tags = (args.inputs.tags as string[] | undefined) ?? [];
  const contextHash = crypto.createHash("sha256").update(JSON.stringify(args.inputs.context ?? null)).digest("hex");
  return { digest, ref: tags.length > 0 ? `${tags[0]}@${digest}` : "", contextHash };
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
  "docker-build:index:Image": dockerBuildImageOutputs,
  "tls:index/privateKey:PrivateKey": tlsPrivateKeyOutputs,
};
