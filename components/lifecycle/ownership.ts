// What marks an object as this program's, so that `pulumi up` adopts a kept one (the namespace,
// the NFS homes volume and claim, through the provider with upsertExistingObjects) only when it
// is: that provider would otherwise take over any object of the same name, and a later destroy
// with deleteHomesOnDestroy would delete it. Pure: the guard (AdoptionGuard.ts, providers/adoptionGuard.cjs) applies it.
import * as crypto from "crypto";
import { isValidLabelValue } from "../ssh/kubespawnerLabels";
import type { AdoptedObject } from "./providers/adoptionGuard.cjs";

/** Names the stack that made an object; Pulumi keeps nothing of a destroyed one. */
export const STACK_LABEL = "jupyterhub-pulumi/stack";

export function stackLabelValue(stack: string): string {
  if (isValidLabelValue(stack) && stack !== "") return stack;
  const hash = crypto.createHash("sha256").update(stack, "utf8").digest("hex").slice(0, 8);
  return `${stack.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 50)}-${hash}`;
}

/** The labels on every object this program may adopt again. */
export function ownerLabels(stack: string): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "jupyterhub",
    [STACK_LABEL]: stackLabelValue(stack),
  };
}

// The check itself runs in the guard's provider: one source for the program and the provider.
export { adoptionProblem, describeObject, type AdoptedObject } from "./providers/adoptionGuard.cjs";

/** The objects `pulumi up` may adopt for this stack. */
export function adoptableObjects(settings: { hub: { namespace: string }; storage: { type: string } }, nfs: { volume: string; claim: string }): AdoptedObject[] {
  const namespace = settings.hub.namespace;
  return [
    { kind: "namespace", name: namespace },
    ...(settings.storage.type === "nfs"
      ? [
          { kind: "persistentvolume", name: nfs.volume },
          { kind: "persistentvolumeclaim", name: nfs.claim, namespace },
        ]
      : []),
  ];
}
