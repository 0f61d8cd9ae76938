import type { StackRule, Violation } from "../policyResult";
import { NAMESPACE, PERSISTENT_VOLUME, PERSISTENT_VOLUME_CLAIM } from "../resourceTypes";
import { resourceReference, type StackResource } from "../stackResource";

const HOME_TYPES = [NAMESPACE, PERSISTENT_VOLUME, PERSISTENT_VOLUME_CLAIM];

export const homesKeptOnDestroyRule: StackRule = {
  name: "homes-kept-on-destroy",
  description:
    "pulumi destroy keeps the users' homes: the namespace (dynamic home claims live in it) and any PersistentVolume or claim are retainOnDelete or protected, unless the stack sets storage.deleteHomesOnDestroy.",
  enforcementLevel: "mandatory",
};

export interface HomesKeptOptions {
  /** The stack lets destroy delete homes (settings.storage.deleteHomesOnDestroy). */
  readonly allowDelete: boolean;
}

/**
 * The homes-kept rule over what a stack declares. Not a CrossGuard policy: the policy API does
 * not pass a resource's retainOnDelete to rules (only protect), so it runs where the resource
 * options are recorded, in `npm run render` (policies/evaluate.ts).
 */
export function homesKeptOnDestroy(resources: readonly StackResource[], options: HomesKeptOptions): Violation[] {
  if (options.allowDelete) return [];
  return resources
    .filter((resource) => HOME_TYPES.includes(resource.type) && !resource.retainOnDelete && !resource.protect)
    .map((resource) => ({
      resource: resourceReference(resource),
      message:
        `pulumi destroy would delete this ${resource.type.split(":").pop()} and the homes in it; ` +
        "declare it with retainOnDelete (or protect), or set storage.deleteHomesOnDestroy: true to allow it",
    }));
}
