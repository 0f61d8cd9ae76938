// The engine's side of a `pulumi preview`, for running the program the way the Pulumi CLI does:
// in its own process under @pulumi/pulumi's cmd/run, talking gRPC to a resource monitor and an
// engine. The monitor is the SDK's own MockMonitor (runtime/mocks.js) with this project's mocks
// (installMocks: fixtures for invokes, provider outputs, every registration recorded), served over
// gRPC with the SDK's service definitions (proto/resource_grpc_pb.js, proto/engine_grpc_pb.js).
// What the language host adds to the program's process (pulumi/pulumi
// sdk/nodejs/cmd/pulumi-language-nodejs/main.go, execRuntime and constructArguments) is in
// languageHostCommand.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, type MockRuntime } from "./mockRuntime";

// grpc-js and the generated services as the SDK itself loads them: one instance, so that the
// messages the MockMonitor builds are the ones the service serializes.
const SDK_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [SDK_DIR] })) as typeof import("@grpc/grpc-js");
const resourceService = require(path.join(SDK_DIR, "proto", "resource_grpc_pb.js"));
const engineService = require(path.join(SDK_DIR, "proto", "engine_grpc_pb.js"));
const resourceMessages = require(path.join(SDK_DIR, "proto", "resource_pb.js"));
const engineMessages = require(path.join(SDK_DIR, "proto", "engine_pb.js"));
const { Empty } = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [SDK_DIR] }));

type Callback = (error: Error | null, response?: unknown) => void;
type Handler = (request: unknown, callback: Callback) => void;

export interface MockEngine {
  /** `--monitor` and `--engine` for cmd/run. */
  readonly address: string;
  readonly runtime: MockRuntime;
  /** Messages the program logged through the engine, errors among them. */
  readonly logs: { severity: number; message: string }[];
  stop(): Promise<void>;
}

/**
 * Starts the monitor and engine on a loopback port. The MockMonitor answers some calls with plain
 * objects, which the in-process SDK accepts but gRPC cannot serialize; they are turned into the
 * messages the service declares.
 */
export async function startMockEngine(options: { stack: string; config: Record<string, string>; preview?: boolean }): Promise<MockEngine> {
  const runtime = installMocks(options);
  const monitor = pulumi.runtime.getMonitor() as unknown as Record<string, Handler | undefined>;
  const monitorImplementation: Record<string, (call: { request: unknown }, callback: Callback) => void> = {};
  for (const [method, definition] of Object.entries(resourceService.ResourceMonitorService as Record<string, { responseType: new () => object }>)) {
    const handler = monitor[method];
    if (typeof handler !== "function") continue; // grpc-js answers UNIMPLEMENTED, as an older engine would
    monitorImplementation[method] = (call, callback) =>
      handler.call(monitor, call.request, (error, response) => callback(error, error ? undefined : asMessage(definition.responseType, response)));
  }
  let root = "";
  const logs: { severity: number; message: string }[] = [];
  const engineImplementation = {
    log: (call: { request: { getSeverity(): number; getMessage(): string } }, callback: Callback) => {
      logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage() });
      callback(null, new Empty());
    },
    getRootResource: (_call: unknown, callback: Callback) => callback(null, new engineMessages.GetRootResourceResponse().setUrn(root)),
    setRootResource: (call: { request: { getUrn(): string } }, callback: Callback) => {
      root = call.request.getUrn();
      callback(null, new engineMessages.SetRootResourceResponse());
    },
  };
  const server = new grpc.Server();
  server.addService(resourceService.ResourceMonitorService, monitorImplementation as never);
  server.addService(engineService.EngineService, engineImplementation as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    address: `127.0.0.1:${port}`,
    runtime,
    logs,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

function asMessage(type: new () => object, response: unknown): unknown {
  if (response instanceof type) return response;
  if (type === resourceMessages.SupportsFeatureResponse) {
    return new resourceMessages.SupportsFeatureResponse().setHassupport((response as { getHassupport(): boolean }).getHassupport());
  }
  if (type === Empty) return new Empty();
  throw new Error(`the mock monitor answered with a ${typeof response}, not a ${type.name}`);
}

/**
 * The program's process as pulumi-language-nodejs starts it (main.go: execRuntime,
 * constructArguments): node with the project's `nodeargs`, the SDK's cmd/run with the monitor,
 * engine, project, stack, program directory and entry point, the stack's config in PULUMI_CONFIG,
 * and PULUMI_NODEJS_TYPESCRIPT / PULUMI_NODEJS_TSCONFIG_PATH from the `typescript` (default true)
 * and `tsconfig` options.
 */
export function languageHostCommand(options: {
  project: string;
  stack: string;
  programDirectory: string;
  runtimeOptions: Record<string, unknown>;
  address: string;
  config: Record<string, string>;
  preview?: boolean;
}): { args: string[]; env: Record<string, string> } {
  const { runtimeOptions } = options;
  const env: Record<string, string> = { PULUMI_CONFIG: JSON.stringify(options.config), PULUMI_CONFIG_SECRET_KEYS: "[]" };
  if (runtimeOptions.typescript !== false) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (typeof runtimeOptions.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = runtimeOptions.tsconfig;
  // The language host splits nodeargs with shlex; the options here have no quotes.
  const nodeArgs = typeof runtimeOptions.nodeargs === "string" ? runtimeOptions.nodeargs.split(/\s+/).filter(Boolean) : [];
  const args = [
    ...nodeArgs,
    path.join(SDK_DIR, "cmd", "run"),
    ...["--monitor", options.address, "--engine", options.address],
    ...["--project", options.project, "--stack", options.stack, "--pwd", options.programDirectory],
    ...(options.preview ? ["--dry-run"] : []),
    ...["--parallel", "2147483647"],
    ".",
  ];
  return { args, env };
}
