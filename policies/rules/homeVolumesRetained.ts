import type { ResourceValidationPolicy } from "@pulumi/policy";
import { PERSISTENT_VOLUME } from "../resourceTypes";
import { isObject } from "./chartValues";

/**
 * Home volumes are `Retain`: a PersistentVolume (NFS homes) outlives its claim, so deleting the
 * claim (a destroy, a renamed user, a re-created namespace) never deletes the users' files.
 */
export function homeVolumesRetained(): ResourceValidationPolicy {
  return {
    name: "home-volumes-retained",
    description: "PersistentVolumes declared by the stack have persistentVolumeReclaimPolicy Retain.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (args.type !== PERSISTENT_VOLUME) return;
      const spec = isObject(args.props.spec) ? args.props.spec : {};
      const policy = spec.persistentVolumeReclaimPolicy;
      if (policy !== "Retain") {
        reportViolation(
          policy === undefined
            ? "spec.persistentVolumeReclaimPolicy is not set; home volumes say Retain explicitly, so that no default decides"
            : `spec.persistentVolumeReclaimPolicy is '${String(policy)}'; home volumes must be Retain`,
        );
      }
    },
  };
}
