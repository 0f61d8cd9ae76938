// Runs the policy pack without the Pulumi engine, over the resources a stack declares under
// mocks (offline/). `npm run render` calls it so that every render, locally and in CI's
// preview diff, shows the same verdicts `pulumi preview --policy-pack policies` would give,
// plus the stack-level rules the policy API cannot express.
import type {
  EnforcementLevel,
  Policies,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { RecordedResource } from "../offline/recordedResource";
import { allPolicies } from "./allPolicies";
import type { PolicyResult, StackRule, Violation } from "./policyResult";
import { NotApplicable, resourceValidationArgs } from "./resourceValidationArgs";
import { cullAndVaultTtlOf, cullBeforeVaultTokenExpiry, cullBeforeVaultTokenExpiryRule } from "./rules/cullBeforeVaultTokenExpiry";
import { homesKeptOnDestroy, homesKeptOnDestroyRule } from "./rules/homesKeptOnDestroy";
import { resourceReference } from "./stackResource";

export interface EvaluateOptions {
  /** The stack lets `pulumi destroy` delete homes (settings.storage.deleteHomesOnDestroy). */
  readonly deleteHomesOnDestroy: boolean;
  /** Used in the URNs rules see; defaults to "render" and "jupyterhub". */
  readonly stack?: string;
  readonly project?: string;
}

interface WiredStackRule extends StackRule {
  check(resources: readonly RecordedResource[], options: EvaluateOptions): Violation[];
}

// Stack-level rules over the recorded resources and the stack's options.
const STACK_RULES: readonly WiredStackRule[] = [
  { ...homesKeptOnDestroyRule, check: (resources, options) => homesKeptOnDestroy(resources, { allowDelete: options.deleteHomesOnDestroy }) },
  { ...cullBeforeVaultTokenExpiryRule, check: (resources) => cullBeforeVaultTokenExpiry(cullAndVaultTtlOf(resources)) },
];

/** Every rule evaluatePolicies runs, with its enforcement level; disabled ones are left out. */
export function evaluatedPolicies(policies: Policies = allPolicies): { name: string; enforcementLevel: EnforcementLevel }[] {
  return [
    ...policies.map((policy) => ({ name: policy.name, enforcementLevel: levelOf(policy) })),
    ...STACK_RULES.map(({ name, enforcementLevel }) => ({ name, enforcementLevel })),
  ].filter((policy) => policy.enforcementLevel !== "disabled");
}

/**
 * Every violation of the pack's rules (or of `policies`) by the given resources, in rule order.
 * Synchronous: a rule that returns a promise is a programming error here and throws.
 */
export function evaluatePolicies(resources: readonly RecordedResource[], options: EvaluateOptions, policies: Policies = allPolicies): PolicyResult[] {
  const urns = urnsOf(resources, options);
  // One argument bag per resource, shared by the resource rules: they only read it.
  const resourceArgs = new Map(resources.map((resource) => [resource, argsOf(resource, urns, resource.parent ? urns.get(resource.parent) : undefined)]));
  const results: PolicyResult[] = [];
  for (const policy of policies) {
    const enforcementLevel = levelOf(policy);
    if (enforcementLevel === "disabled") continue;
    const report = (resource: string | null) => (message: string) => results.push({ policy: policy.name, enforcementLevel, resource, message });
    if ("validateStack" in policy) {
      runStackPolicy(policy, resources, urns, report);
    } else {
      for (const resource of resources) runResourcePolicy(policy, resourceArgs.get(resource)!, report(resourceReference(resource)));
    }
  }
  for (const rule of STACK_RULES) {
    for (const { resource, message } of rule.check(resources, options)) {
      results.push({ policy: rule.name, enforcementLevel: rule.enforcementLevel, resource, message });
    }
  }
  return results;
}

function levelOf(policy: { enforcementLevel?: EnforcementLevel }): EnforcementLevel {
  // The pack sets no pack-wide level, so the SDK's default for a policy without one applies;
  // like the analyzer, a violation that remediation left standing counts as mandatory.
  const level = policy.enforcementLevel ?? "advisory";
  return level === "remediate" ? "mandatory" : level;
}

function runResourcePolicy(policy: ResourceValidationPolicy, args: ResourceValidationArgs, reportViolation: (message: string) => void): void {
  const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
  for (const validate of validations) runSync(policy.name, () => validate(args, reportViolation));
}

function argsOf(resource: RecordedResource, urns: ReadonlyMap<string, string>, parentUrn?: string) {
  return resourceValidationArgs({
    type: resource.type,
    name: resource.name,
    props: resource.inputs,
    urn: urns.get(resourceReference(resource)),
    protect: resource.protect,
    ...(parentUrn ? { parentUrn } : {}),
  });
}

function runStackPolicy(
  policy: StackValidationPolicy,
  resources: readonly RecordedResource[],
  urns: ReadonlyMap<string, string>,
  report: (resource: string | null) => (message: string) => void,
): void {
  const references = new Map([...urns].map(([reference, urn]) => [urn, reference]));
  const policyResources: PolicyResource[] = resources.map((resource) => {
    const args = argsOf(resource, urns);
    return {
      type: args.type,
      props: args.props,
      urn: args.urn,
      name: args.name,
      opts: args.opts,
      dependencies: [],
      propertyDependencies: {},
      isType: args.isType,
      asType: (() => undefined) as PolicyResource["asType"],
    };
  });
  const reportViolation: ReportViolation = (message, urn) => report(urn ? (references.get(urn) ?? urn) : null)(message);
  const args: StackValidationArgs = {
    resources: policyResources,
    stackTags: new Map<string, string>(),
    getConfig: (() => ({})) as StackValidationArgs["getConfig"],
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
  runSync(policy.name, () => policy.validateStack(args, reportViolation));
}

function runSync(policyName: string, run: () => unknown): void {
  try {
    const returned = run();
    if (returned && typeof (returned as Promise<void>).then === "function") {
      throw new Error(`policy ${policyName} is asynchronous; evaluatePolicies runs synchronous rules only`);
    }
  } catch (error) {
    if (!(error instanceof NotApplicable)) throw error;
  }
}

/** URN of every resource, "urn:pulumi:<stack>::<project>::<parent types $-joined>::<name>". */
function urnsOf(resources: readonly RecordedResource[], options: EvaluateOptions): Map<string, string> {
  const byReference = new Map(resources.map((resource) => [resourceReference(resource), resource]));
  const qualifiedType = (resource: RecordedResource, seen: Set<string>): string => {
    const parent = resource.parent ? byReference.get(resource.parent) : undefined;
    if (!parent || seen.has(resource.parent!)) return resource.type;
    return `${qualifiedType(parent, new Set([...seen, resource.parent!]))}$${resource.type}`;
  };
  const prefix = `urn:pulumi:${options.stack ?? "render"}::${options.project ?? "jupyterhub"}`;
  return new Map(resources.map((resource) => [resourceReference(resource), `${prefix}::${qualifiedType(resource, new Set())}::${resource.name}`]));
}
