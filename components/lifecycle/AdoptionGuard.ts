import type * as pulumi from "@pulumi/pulumi";
import { LifecycleResource } from "./dynamicProvider";
import type { AdoptedObject, Roster } from "./providers/adoptionGuard.cjs";

export interface AdoptionGuardArgs {
  /** kubectl and the flags that reach the stack's cluster (kubectlCommand). */
  readonly kubectl: readonly string[];
  /** What the adopting provider would take over if it exists. */
  readonly objects: readonly AdoptedObject[];
  /** The labels an existing object must carry to be adopted (ownerLabels). */
  readonly labels: Readonly<Record<string, string>>;
  /** Who is configured now; compared with the state's at every preview and update. */
  readonly roster: Roster;
}

/**
 * Stands before the resources that adopt kept objects (HubNamespace and NfsHomes depend on it):
 * when it is created (a new stack, or the first `pulumi up` after a destroy) it reads each object
 * with kubectl and refuses, naming it, one that exists without this stack's labels. Its `check`
 * also refuses, at preview already, a config that drops a user the state's roster had without
 * recording them. Its provider is providers/adoptionGuard.cjs; it needs kubectl, as deploying
 * does anyway.
 */
export class AdoptionGuard extends LifecycleResource {
  constructor(name: string, args: AdoptionGuardArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "AdoptionGuard",
      name,
      "adoptionGuard.cjs",
      { kubectl: [...args.kubectl], objects: args.objects.map((o) => ({ ...o })), labels: { ...args.labels }, roster: args.roster },
      opts,
    );
  }
}
