// The one place that runs Pulumi programs under mocks: installs them, records every resource
// the program registers (with parent and resource options, which the Mocks API does not pass
// on), and answers invokes from fixtures.
import * as pulumi from "@pulumi/pulumi";
import { INVOKE_FIXTURES, UnknownInvokeError } from "./invokeFixtures";
import { RESOURCE_OUTPUTS } from "./resourceOutputs";
import { compareResources, redact, urnToReference, type RecordedResource } from "./recordedResource";

export interface MockRuntime {
  /** Resources registered so far, in registration order. */
  readonly resources: RecordedResource[];
  /** Every provider function the program called (`token` and its arguments): what a preview reads from outside. */
  readonly invokes: { token: string; args: Record<string, unknown> }[];
  /** Waits until every registration started so far has finished; returns them sorted. */
  settle(): Promise<RecordedResource[]>;
}

interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProvider(): string;
  getCustom(): boolean;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getAliasesList(): { hasSpec(): boolean; getSpec(): { getName(): string; getType(): string }; getUrn(): string }[];
  getDependenciesList(): string[];
  getObject(): unknown;
}

type RegisterResource = (request: RegisterResourceRequest, callback: unknown) => Promise<void>;

/** A structured alias leaves out what stays the same (`{ name }` keeps the type); written out in full. */
function aliasesOf(request: RegisterResourceRequest): { aliases?: string[] } {
  const aliases = request
    .getAliasesList()
    .map((alias) =>
      alias.hasSpec() ? `${alias.getSpec().getType() || request.getType()}::${alias.getSpec().getName() || request.getName()}` : urnToReference(alias.getUrn())!,
    );
  return aliases.length > 0 ? { aliases: [...new Set(aliases)].sort() } : {};
}

export function installMocks(options: {
  project?: string;
  stack: string;
  config?: Record<string, string>;
  /**
   * Run as `pulumi preview` of a new stack: what providers compute (an image's digest, a key)
   * is not known yet, so it is left out, and the SDK makes it unknown.
   */
  preview?: boolean;
}): MockRuntime {
  const resources: RecordedResource[] = [];
  const invokes: { token: string; args: Record<string, unknown> }[] = [];
  // The inputs of the registration under way, which the MockMonitor deserializes for newResource.
  let registeringInputs: Record<string, unknown> | undefined;
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registeringInputs = args.inputs;
        return {
          id: args.custom ? `${args.name}-id` : undefined,
          state: { ...args.inputs, ...(options.preview ? {} : RESOURCE_OUTPUTS[args.type]?.(args)) },
        };
      },
      call: (args) => {
        invokes.push({ token: args.token, args: { ...args.inputs } });
        const fixture = INVOKE_FIXTURES[args.token];
        if (!fixture) throw new UnknownInvokeError(args.token);
        return fixture(args);
      },
    },
    options.project ?? "jupyterhub",
    options.stack,
    options.preview ?? false,
  );
  pulumi.runtime.setAllConfig(options.config ?? {});

  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: RegisterResource };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    // The MockMonitor calls newResource before its first await, so the inputs are there when
    // register returns; otherwise (another SDK version) they are deserialized here.
    registeringInputs = undefined;
    const registered = register(request, callback);
    const inputs = registeringInputs ?? (pulumi.runtime.deserializeProperties(request.getObject() as never) as Record<string, unknown>);
    resources.push({
      type: request.getType(),
      name: request.getName(),
      parent: urnToReference(request.getParent()),
      provider: urnToReference(request.getProvider().split("::").slice(0, -1).join("::")),
      custom: request.getCustom(),
      protect: request.getProtect() ?? false,
      retainOnDelete: request.getRetainondelete() ?? false,
      ...(request.getDeletebeforereplace() ? { deleteBeforeReplace: true as const } : {}),
      ...aliasesOf(request),
      dependsOn: [...new Set(request.getDependenciesList().map((urn) => urnToReference(urn)!))].sort(),
      inputs: redact(inputs) as Record<string, unknown>,
    });
    return registered;
  };

  return {
    resources,
    invokes,
    async settle() {
      await pulumi.runtime.disconnect();
      return [...resources].sort(compareResources);
    },
  };
}
