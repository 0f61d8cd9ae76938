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

export const RESOURCE_OUTPUTS: Readonly<Record<string, ResourceOutputs>> = {
  "docker:index/image:Image": dockerImageOutputs,
};
