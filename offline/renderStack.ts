// Runs the real program for one stack config under mocks and returns what it declares.
// Shared by `npm run render`, the benchmark and the tests (offline/: what render and the tests share).
import * as pulumi from "@pulumi/pulumi";
import { deployJupyterHub } from "../program";
import { loadSettings, type Settings } from "../settings";
import type { Environment } from "../components/secrets/deployTimeSecret";
import { installMocks } from "./mockRuntime";
import type { RecordedResource } from "./recordedResource";
import { flattenConfig, type StackConfig } from "./stackConfig";

export const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

/**
 * Render runs without credentials: every environment variable a stack names reads as a
 * placeholder (and, being a secret, is written out as "[secret]" anyway).
 */
export const RENDER_ENVIRONMENT: Environment = new Proxy({}, { get: (_, name) => `render-placeholder-${String(name)}` });

export interface RenderedStack {
  readonly settings: Settings;
  /** Every resource, sorted by type then name. */
  readonly resources: RecordedResource[];
  /** The values handed to the Z2JH chart, secrets replaced by "[secret]". */
  readonly values: Record<string, unknown>;
  readonly outputs: Record<string, unknown>;
  /** Provider functions called while declaring: each needs the provider's credentials, also in a preview. */
  readonly invokes: readonly { token: string; args: Record<string, unknown> }[];
}

/**
 * Renders a stack from its config map (`{"jupyterhub:hub": {...}, ...}`). Bad config throws
 * SettingsError before any resource is declared.
 */
export async function renderStack(
  config: StackConfig,
  stack = "test",
  environment: Environment = RENDER_ENVIRONMENT,
  options: { preview?: boolean } = {},
): Promise<RenderedStack> {
  const runtime = installMocks({ stack, config: flattenConfig(config), preview: options.preview });
  const settings = loadSettings();
  const { outputs, resources } = await withoutStackTraces(async () => {
    const deployment = deployJupyterHub(settings, environment);
    const outputs = await stackOutputs(deployment as unknown as Record<string, pulumi.Input<unknown> | undefined>);
    return { outputs, resources: await runtime.settle() };
  });
  const release = resources.find((r) => r.type === RELEASE_TYPE);
  if (!release) throw new Error("the program declared no Helm release");
  return { settings, resources, values: release.inputs.values as Record<string, unknown>, outputs, invokes: [...runtime.invokes] };
}

/**
 * Runs a program under mocks with no stack trace captured. The SDK captures one for every promise
 * it makes (for leak reports) and a full one for every resource (its source position, for the
 * engine), which dominates the time and memory of a large stack under mocks and is of no use here
 * (under jest, whose source-map-support maps every frame of each, more so). None is captured:
 * Error.stackTraceLimit reads 0 and ignores the SDK's raising it to Infinity for each resource
 * (Resource.callsites); as it is then not a plain number, V8 gives new errors no stack at all.
 * Errors keep their messages.
 */
export async function withoutStackTraces<T>(run: () => Promise<T>): Promise<T> {
  const stackTraceLimit = Object.getOwnPropertyDescriptor(Error, "stackTraceLimit")!;
  Object.defineProperty(Error, "stackTraceLimit", { get: () => 0, set: () => {}, configurable: true, enumerable: true });
  try {
    return await run();
  } finally {
    Object.defineProperty(Error, "stackTraceLimit", stackTraceLimit);
  }
}

/**
 * The stack's outputs once known; in a preview an output that waits for a provider (an address,
 * a fingerprint) is undefined, where an apply would never run and a plain await never end.
 */
async function stackOutputs(deployment: Record<string, pulumi.Input<unknown> | undefined>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(deployment)
      .filter(([, value]) => value !== undefined)
      .map(async ([key, value]) => {
        // OutputImpl.promise(withUnknowns): the SDK's own way to read an Output that may be unknown.
        const resolved = await (pulumi.output(value) as unknown as { promise(withUnknowns: boolean): Promise<unknown> }).promise(true);
        return [key, pulumi.isUnknown(resolved) ? undefined : resolved] as const;
      }),
  );
  return Object.fromEntries(entries);
}
