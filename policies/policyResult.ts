import type { EnforcementLevel } from "@pulumi/policy";

/** One violation found by a rule: what `npm run render` prints and what fails it. */
export interface PolicyResult {
  readonly policy: string;
  readonly enforcementLevel: EnforcementLevel;
  /** The resource as "type::name"; null when the violation is about the stack as a whole. */
  readonly resource: string | null;
  readonly message: string;
}

/** A rule's violation before it is attached to a policy: the message and, maybe, the resource. */
export interface Violation {
  readonly resource: string | null;
  readonly message: string;
}

/** A stack-level rule that the policy API cannot express; run by evaluatePolicies (render). */
export interface StackRule {
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
}
