// The one tiny harness every rule test goes through: build the args a rule receives, call the
// rule's validateResource directly, and look at what it reported. Stack rules (which look at
// several resources together) run through evaluatePolicies, as render runs them.
import type { ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { evaluatePolicies } from "../../policies/evaluate";
import { resourceValidationArgs } from "../../policies/resourceValidationArgs";

export function createResourceValidationArgs(type: string, props: Record<string, unknown>, name = "test"): ResourceValidationArgs {
  return resourceValidationArgs({ type, name, props });
}

/** Everything the rule reports for these args, in order. */
export function violationsOf(policy: ResourceValidationPolicy, args: ResourceValidationArgs): string[] {
  const messages: string[] = [];
  for (const validate of [policy.validateResource ?? []].flat()) {
    const returned = validate(args, (message) => messages.push(message));
    if (returned) throw new Error(`${policy.name} returned a promise; the rules are synchronous`);
  }
  return messages;
}

/** Fails unless the rule reports a violation whose message matches `expected`. */
export function assertHasViolation(policy: ResourceValidationPolicy, args: ResourceValidationArgs, expected: string | RegExp): void {
  const messages = violationsOf(policy, args);
  expect(messages).toContainEqual(typeof expected === "string" ? expect.stringContaining(expected) : expect.stringMatching(expected));
}

/** Fails if the rule reports anything. */
export function assertNoViolation(policy: ResourceValidationPolicy, args: ResourceValidationArgs): void {
  expect(violationsOf(policy, args)).toEqual([]);
}

/** A resource as a stack rule sees it: its type, name and inputs. */
export interface StackInput {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

/** Everything a stack rule reports over these resources, as evaluatePolicies (render) runs it. */
export function stackViolationsOf(policy: StackValidationPolicy, resources: readonly StackInput[]): { resource: string | null; message: string }[] {
  const recorded = resources.map((resource) => ({
    ...resource,
    parent: null,
    provider: null,
    custom: true,
    protect: false,
    retainOnDelete: true,
    dependsOn: [],
  }));
  return evaluatePolicies(recorded, { deleteHomesOnDestroy: true }, [policy]).map(({ resource, message }) => ({ resource, message }));
}
