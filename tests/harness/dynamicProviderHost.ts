// The SDK's own dynamic-provider server (@pulumi/pulumi cmd/dynamic-provider), started and called
// over gRPC the way the engine does it: the engine runs the pulumi-resource-pulumi-nodejs plugin
// (sdk/nodejs/dist/pulumi-resource-pulumi-nodejs: node <require.resolve of cmd/dynamic-provider>
// <engine address>) in the project's directory, reads the port from its first stdout line, and
// calls Configure with the stack's whole config for a dynamic provider (pkg/resource/deploy/
// target.go GetPackageConfig keeps every namespace, secrets as secrets), then Check, Diff,
// Create, Update and Delete with each resource's properties, `__provider` among them. What the
// server writes to stderr after that is what the engine shows as diagnostics
// (pkg/resource/plugin/plugin.go, runtrace), so it is kept line by line.
import { spawn, type ChildProcess } from "child_process";
import * as path from "path";
import * as readline from "readline";
import * as grpc from "@grpc/grpc-js";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { PROJECT_ROOT } from "./stackConfig";

/** How the engine marks a secret in a Struct (sdk/go/common/resource/plugin/rpc.go, sig.Secret). */
export function secretValue(value: string): Record<string, string> {
  return { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value };
}

type Props = Record<string, unknown>;

export interface ProviderHost {
  /** stderr lines so far, as the engine would show them. */
  readonly stderr: string[];
  configure(config: Record<string, unknown>): Promise<void>;
  check(urn: string, olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
  diff(urn: string, id: string, olds: Props, news: Props): Promise<{ changes: number; replaces: string[] }>;
  create(urn: string, properties: Props): Promise<{ id: string; properties: Props }>;
  update(urn: string, id: string, olds: Props, news: Props): Promise<Props>;
  delete(urn: string, id: string, properties: Props): Promise<void>;
  cancel(): Promise<void>;
  /** The plugin's process, which the engine kills with its whole group at the end. */
  readonly process: ChildProcess;
  close(): Promise<void>;
}

const struct = (value: Props) => structproto.Struct.fromJavaScript(value as Record<string, structproto.JavaScriptValue>);

function unary<Req, Res>(client: grpc.Client, method: string, request: Req): Promise<Res> {
  const call = (client as unknown as Record<string, (r: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => void>)[method].bind(client);
  return new Promise((resolve, reject) => call(request, (error, response) => (error ? reject(new Error(error.details || error.message)) : resolve(response))));
}

/** Starts the dynamic-provider server with this environment, as the engine starts the plugin. */
export async function startProviderHost(env: NodeJS.ProcessEnv = process.env): Promise<ProviderHost> {
  const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [PROJECT_ROOT] });
  // The engine's plugin runs plain `node <script>`. Here the SDK's TypeScript compiler, which the
  // server never calls (it loads providers with require-from-string), is deferred to its first use
  // as in the program (scripts/deferSdkTypeScript.cjs): 0.4 of each server's 1.1 CPU-seconds.
  const deferTypeScript = ["-r", path.join(PROJECT_ROOT, "scripts", "deferSdkTypeScript.cjs")];
  // Its own process group, as the engine's cmdutil.RegisterProcessGroup makes it.
  const child = spawn(process.execPath, [...deferTypeScript, script, "127.0.0.1:0"], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const stderr: string[] = [];
  readline.createInterface({ input: child.stderr! }).on("error", () => undefined).on("line", (line) => {
    if (line.trim()) stderr.push(line);
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("\n")) resolve(out.split("\n")[0].trim());
    });
    child.on("exit", (code) => reject(new Error(`the dynamic provider exited (${code}) before giving its port: ${stderr.join("\n")}`)));
  });
  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

  return {
    stderr,
    process: child,
    async configure(config) {
      const request = new provproto.ConfigureRequest();
      request.setArgs(struct(config));
      request.setAcceptsecrets(true);
      request.setAcceptresources(true);
      await unary(client, "configure", request);
    },
    async check(urn, olds, news) {
      const request = new provproto.CheckRequest();
      request.setUrn(urn);
      request.setOlds(struct(olds));
      request.setNews(struct(news));
      const response = await unary<provproto.CheckRequest, provproto.CheckResponse>(client, "check", request);
      return {
        inputs: (response.getInputs()?.toJavaScript() ?? {}) as Props,
        failures: response.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async diff(urn, id, olds, news) {
      const request = new provproto.DiffRequest();
      request.setUrn(urn);
      request.setId(id);
      request.setOlds(struct(olds));
      request.setNews(struct(news));
      const response = await unary<provproto.DiffRequest, provproto.DiffResponse>(client, "diff", request);
      return { changes: response.getChanges(), replaces: response.getReplacesList() };
    },
    async create(urn, properties) {
      const request = new provproto.CreateRequest();
      request.setUrn(urn);
      request.setProperties(struct(properties));
      const response = await unary<provproto.CreateRequest, provproto.CreateResponse>(client, "create", request);
      return { id: response.getId(), properties: (response.getProperties()?.toJavaScript() ?? {}) as Props };
    },
    async update(urn, id, olds, news) {
      const request = new provproto.UpdateRequest();
      request.setUrn(urn);
      request.setId(id);
      request.setOlds(struct(olds));
      request.setNews(struct(news));
      const response = await unary<provproto.UpdateRequest, provproto.UpdateResponse>(client, "update", request);
      return (response.getProperties()?.toJavaScript() ?? {}) as Props;
    },
    async delete(urn, id, properties) {
      const request = new provproto.DeleteRequest();
      request.setUrn(urn);
      request.setId(id);
      request.setProperties(struct(properties));
      await unary(client, "delete", request);
    },
    async cancel() {
      await unary(client, "cancel", new (require("google-protobuf/google/protobuf/empty_pb").Empty)());
    },
    async close() {
      client.close();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.on("exit", resolve));
        // The engine's Close: SIGKILL to the plugin's process group (cmdutil.KillChildren).
        process.kill(-child.pid!, "SIGKILL");
        await exited;
      }
    },
  };
}
