// A chart version's zygote (tests/python/hub_zygote.py), driven from Node: the hub's Python with
// its heavy packages imported once (JupyterHub, KubeSpawner, OAuthenticator, kubernetes_asyncio:
// 3-4 s of CPU a process), forking a child per request that runs as `python <argv>` would.
// The Python tests run each module in one (pythonTests.ts); the real-hub tier each hub run
// (realHub.ts). Protocol: one JSON object a line, requests on the zygote's stdin, replies on its
// stdout (hub_zygote.py's docstring).
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import { chartHubPython } from "./chartHubPython";
import { PROJECT_ROOT } from "./stackConfig";
import * as path from "path";

const ZYGOTE = path.join(PROJECT_ROOT, "tests", "python", "hub_zygote.py");

interface ZygoteReply {
  readonly id?: number;
  readonly ready?: boolean;
  readonly cpu?: number;
  readonly pid?: number;
  readonly exit?: number;
  readonly error?: string;
}

export interface ZygoteRequest {
  /** As after `python`: ["-m", "unittest", "tests/python/test_x.py"] or ["script.py", ...]. */
  readonly argv: readonly string[];
  /** The child's stdout; stderr goes there too unless given. */
  readonly stdout: string;
  readonly stderr?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Called with the child's pid once it runs (to signal it). */
  readonly started?: (pid: number) => void;
}

export interface ZygoteExit {
  /** The exit status; negative for a signal. */
  readonly status: number;
  /** CPU seconds of the child and the subprocesses it waited for. */
  readonly cpu?: number;
}

export class HubZygote {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: (ended: ZygoteExit) => void; reject: (error: Error) => void; started?: (pid: number) => void }>();
  private readonly stderr: Buffer[] = [];
  private next = 0;
  private ended?: Error;
  /** Resolves with the preload's CPU seconds; rejects when the zygote died before it was ready. */
  readonly ready: Promise<number>;

  /**
   * `prefix`: a command the zygote runs under (the real-hub tier's `unshare --user
   * --map-root-user` where it is not root). `detached`: the zygote does not keep this Node process
   * alive (a jest worker's zygote ends with the worker: its stdin closes).
   */
  constructor(
    readonly version: string,
    options: { prefix?: readonly string[]; detached?: boolean } = {},
  ) {
    const { python, env } = chartHubPython(version);
    const [command, ...args] = [...(options.prefix ?? []), python, ZYGOTE];
    this.child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    if (options.detached) {
      this.child.unref();
      for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
    }
    this.child.stderr.on("data", (chunk: Buffer) => this.stderr.push(chunk));
    this.child.stdin.on("error", () => undefined); // a zygote gone: its "close" fails what waits
    let preloaded: (cpu: number) => void = () => undefined;
    const ready = new Promise<number>((resolve) => (preloaded = resolve));
    let partial = "";
    this.child.stdout.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines.filter((l) => l.trim())) {
        const reply = JSON.parse(line) as ZygoteReply;
        if (reply.ready) preloaded(reply.cpu ?? 0);
        const waiting = reply.id === undefined ? undefined : this.pending.get(reply.id);
        if (!waiting) continue;
        if (reply.pid !== undefined) waiting.started?.(reply.pid);
        if (reply.error !== undefined) {
          this.pending.delete(reply.id!);
          waiting.reject(new Error(`the hub zygote of chart ${version} could not start a child: ${reply.error}`));
        } else if (reply.exit !== undefined) {
          this.pending.delete(reply.id!);
          waiting.resolve({ status: reply.exit, cpu: reply.cpu });
        }
      }
    });
    const gone = (why: string) => {
      this.ended = new Error(`the hub's Python of chart ${version} (tests/python/hub_zygote.py) ${why}:\n${Buffer.concat(this.stderr).toString("utf8").trim()}`);
      for (const waiting of this.pending.values()) waiting.reject(this.ended);
      this.pending.clear();
    };
    this.child.on("error", (error) => gone(`could not start: ${error.message}`));
    this.child.on("close", (status, signal) => gone(`exited with ${status ?? signal}`));
    // A zygote that dies before it is ready (its preload failed) fails whoever awaits it.
    this.ready = Promise.race([ready, new Promise<number>((_, reject) => this.child.on("close", () => reject(this.ended)))]);
    this.ready.catch(() => undefined);
  }

  /** Runs one child to its end. */
  async run(request: ZygoteRequest): Promise<ZygoteExit> {
    await this.ready;
    if (this.ended) throw this.ended;
    const id = ++this.next;
    const { argv, stdout, stderr, cwd, env, started } = request;
    return new Promise<ZygoteExit>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, started });
      const message: Record<string, unknown> = { id, argv, stdout };
      if (stderr !== undefined) message.stderr = stderr;
      if (cwd !== undefined) message.cwd = cwd;
      if (env !== undefined) message.env = env;
      this.child.stdin.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Ends the zygote (it waits for its children). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      this.child.on("close", () => resolve());
      this.child.stdin.end();
    });
  }
}
