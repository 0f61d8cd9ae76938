// The one tiny harness every rule test goes through: build the args a rule receives, call the
// rule's validateResource directly, and look at what it reported.
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
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
