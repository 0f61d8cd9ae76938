import type { ResourceValidationPolicy } from "@pulumi/policy";
import { parseImageReference } from "../../settings/imageReference";
import { HELM_RELEASE } from "../resourceTypes";
import { isObject, releaseValues, serverOverrides, singleuserValues } from "./chartValues";

/**
 * Every server image of the Z2JH release is pinned: an explicit tag other than `latest`, or a
 * digest. A floating image changes under users between two starts of the same profile, and the
 * pre-puller cannot keep nodes in step with it.
 */
export function imagesPinned(): ResourceValidationPolicy {
  return {
    name: "images-pinned",
    description: "Every server image of the Zero to JupyterHub release is pinned by an explicit tag other than latest, or by digest.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== HELM_RELEASE) return;
      const values = releaseValues(args.props);
      if (!values) return;
      const defaultImage = chartImageText(singleuserValues(values).image);
      if (defaultImage !== undefined) {
        const reason = unpinnedImageReason(defaultImage);
        if (reason) reportViolation(`singleuser.image: ${reason}`);
      }
      for (const { where, own } of serverOverrides(values)) {
        if (own.image === undefined) continue;
        const reason = typeof own.image === "string" ? unpinnedImageReason(own.image) : "the image is not a string";
        if (reason) reportViolation(`${where}: ${reason}`);
      }
    },
  };
}

/** Why an image reference is not pinned, or undefined when it is. */
export function unpinnedImageReason(image: string): string | undefined {
  const reference = parseImageReference(image);
  if (!reference) return `'${image}' is not a pinned image reference (registry/repository:tag or @sha256:<digest>)`;
  if (reference.digest) return undefined;
  if (!reference.tag) return `'${image}' has neither tag nor digest, so it floats as :latest; pin a tag or digest`;
  if (reference.tag === "latest") return `'${image}' uses the floating tag latest; pin a tag or digest`;
  return undefined;
}

/**
 * The chart's `singleuser.image` as one reference: `{ name, tag }` (a digest may ride in the tag,
 * "tag@sha256:…") or, defensively, a plain string. Undefined when not set: the chart's own
 * default is pinned to the chart version.
 */
function chartImageText(image: unknown): string | undefined {
  if (typeof image === "string") return image;
  if (!isObject(image) || typeof image.name !== "string") return undefined;
  const tag = typeof image.tag === "string" || typeof image.tag === "number" ? String(image.tag) : "";
  return tag ? `${image.name}:${tag}` : image.name;
}
