// The argument bag a CrossGuard resource rule receives, built outside the analyzer: by
// evaluatePolicies for every rendered resource, and by the tests. It mirrors what the analyzer
// passes (type, inputs as props, urn, name, options, type helpers), without a policy config.
import type { PolicyProviderResource, PolicyResourceOptions, ResourceValidationArgs } from "@pulumi/policy";

export interface ResourceArgsInput {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly urn?: string;
  readonly protect?: boolean;
  readonly parentUrn?: string;
  readonly provider?: PolicyProviderResource;
}

/** Thrown by `args.notApplicable()`, as the analyzer's own does; evaluatePolicies treats it as a pass. */
export class NotApplicable extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "not applicable");
  }
}

export function resourceValidationArgs(input: ResourceArgsInput): ResourceValidationArgs {
  const { type, name, props } = input;
  const opts: PolicyResourceOptions = {
    protect: input.protect ?? false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(input.parentUrn ? { parent: input.parentUrn } : {}),
  };
  const matches = (resourceClass: unknown) => pulumiTypeOf(resourceClass) === type;
  return {
    type,
    name,
    props,
    urn: input.urn ?? `urn:pulumi:test::jupyterhub::${type}::${name}`,
    opts,
    ...(input.provider ? { provider: input.provider } : {}),
    stackTags: new Map(),
    isType: matches,
    // The rules read props directly; asType is here for completeness, typed as the SDK declares it.
    asType: ((resourceClass: unknown) => (matches(resourceClass) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: (() => ({})) as ResourceValidationArgs["getConfig"],
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

// Generated resource classes carry their type token as a static __pulumiType.
function pulumiTypeOf(resourceClass: unknown): string | undefined {
  return (resourceClass as { __pulumiType?: string } | undefined)?.__pulumiType;
}
