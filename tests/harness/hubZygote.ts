// A chart version's zygote (tests/python/hub_zygote.py), driven from Node: the hub's Python with
// its heavy packages imported once (JupyterHub, KubeSpawner, OAuthenticator, kubernetes_asyncio:
// 3-4 s of CPU a process), forking a child per request that runs as `python <argv>` would.
// The Python tests run each module in one (pythonTests.ts); the real-hub tier each hub run
// (realHub.ts). Protocol: one JSON object a line, requests on the zygote's stdin, replies on its
// stdout (hub_zygote.py's docstring). Under `npm test`, which starts one zygote per chart version
// for all its parts (sharedHubZygotes.ts), a HubZygote is a connection to that one instead of a
// zygote of its own, when it would run the same way (chart version and prefix).
import { spawn } from "child_process";
import * as net from "net";
import * as readline from "readline";
import type { Readable, Writable } from "stream";
import { chartHubPython } from "./chartHubPython";
import { PROJECT_ROOT } from "./stackConfig";
import * as path from "path";

export const ZYGOTE = path.join(PROJECT_ROOT, "tests", "python", "hub_zygote.py");

/** The environment variable naming the shared zygotes' sockets: JSON, zygoteKey -> socket path. */
export const SHARED_ZYGOTES = "HUB_ZYGOTE_SOCKETS";

/** What makes two zygotes interchangeable: the chart version (its venv) and what it runs under. */
export function zygoteKey(version: string, prefix: readonly string[] = []): string {
  return [...prefix, version].join(" ");
}

/**
 * What a zygote runs under so that its children may unshare mount and network namespaces
 * (tests/realhub/in_namespaces.py): nothing as root, else a user namespace in which this user is root.
 */
export function namespacingPrefix(): string[] {
  return process.getuid?.() === 0 ? [] : ["unshare", "--user", "--map-root-user"];
}

export function sharedZygoteSocket(key: string): string | undefined {
  const shared = process.env[SHARED_ZYGOTES];
  return shared ? (JSON.parse(shared) as Record<string, string>)[key] : undefined;
}

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
  /** A file the child reads as its stdin; /dev/null unless given. */
  readonly stdin?: string;
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
  /** Where requests go: the zygote's stdin, or the connection to the shared one. */
  private readonly input: Writable;
  private readonly pending = new Map<number, { resolve: (ended: ZygoteExit) => void; reject: (error: Error) => void; started?: (pid: number) => void }>();
  private readonly stderr: Buffer[] = [];
  /** The environment each child gets: the one a zygote of this client's own is started with. */
  private readonly env: NodeJS.ProcessEnv;
  private next = 0;
  private ended?: Error;
  private readonly closed: Promise<void>;
  /** Resolves with the preload's CPU seconds; rejects when the zygote died before it was ready. */
  readonly ready: Promise<number>;
  /** A connection to the zygote `npm test` shares among its parts (its preload is counted there). */
  readonly shared: boolean;

  /**
   * `prefix`: a command the zygote runs under (the real-hub tier's `unshare --user
   * --map-root-user` where it is not root: namespacingPrefix). `detached`: the zygote does not
   * keep this Node process alive (a jest worker's zygote ends with the worker: its stdin closes;
   * a connection to the shared one closes).
   */
  constructor(
    readonly version: string,
    options: { prefix?: readonly string[]; detached?: boolean } = {},
  ) {
    const { python, env } = chartHubPython(version);
    this.env = env;
    const socket = sharedZygoteSocket(zygoteKey(version, options.prefix));
    this.shared = socket !== undefined;
    let output: Readable;
    let onClose: (listener: (why: string) => void) => void;
    if (socket !== undefined) {
      const connection = net.createConnection(socket);
      this.input = output = connection;
      if (options.detached) connection.unref();
      let why = "closed the connection";
      connection.on("error", (error) => (why = `could not be reached at ${socket}: ${error.message}`));
      onClose = (listener) => connection.on("close", () => listener(why));
    } else {
      const [command, ...args] = [...(options.prefix ?? []), python, ZYGOTE];
      const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
      if (options.detached) {
        child.unref();
        for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
      }
      child.stderr.on("data", (chunk: Buffer) => this.stderr.push(chunk));
      this.input = child.stdin;
      output = child.stdout;
      let why = "";
      child.on("error", (error) => (why = `could not start: ${error.message}`));
      onClose = (listener) => child.on("close", (status, signal) => listener(why || `exited with ${status ?? signal}`));
    }
    this.input.on("error", () => undefined); // a zygote gone: its "close" fails what waits
    let preloaded: (cpu: number) => void = () => undefined;
    const ready = new Promise<number>((resolve) => (preloaded = resolve));
    // readline passes its input's errors on: the stream's own "error"/"close" say what happened.
    const replies = readline.createInterface({ input: output }).on("error", () => undefined);
    replies.on("line", (line) => {
      if (!line.trim()) return;
      const reply = JSON.parse(line) as ZygoteReply;
      if (reply.ready) preloaded(reply.cpu ?? 0);
      const waiting = reply.id === undefined ? undefined : this.pending.get(reply.id);
      if (!waiting) return;
      if (reply.pid !== undefined) waiting.started?.(reply.pid);
      if (reply.error !== undefined) {
        this.pending.delete(reply.id!);
        waiting.reject(new Error(`the hub zygote of chart ${version} could not start a child: ${reply.error}`));
      } else if (reply.exit !== undefined) {
        this.pending.delete(reply.id!);
        waiting.resolve({ status: reply.exit, cpu: reply.cpu });
      }
    });
    this.closed = new Promise<void>((resolve) =>
      onClose((why) => {
        const which = this.shared ? `the hub zygote of chart ${version} that npm test shares (${SHARED_ZYGOTES}; its stderr is in npm test's output)` : `the hub's Python of chart ${version} (tests/python/hub_zygote.py)`;
        this.ended = new Error(`${which} ${why}:\n${Buffer.concat(this.stderr).toString("utf8").trim()}`);
        for (const waiting of this.pending.values()) waiting.reject(this.ended);
        this.pending.clear();
        resolve();
      }),
    );
    // A zygote that dies before it is ready (its preload failed) fails whoever awaits it.
    this.ready = Promise.race([ready, this.closed.then(() => Promise.reject<number>(this.ended))]);
    this.ready.catch(() => undefined);
  }

  /** Runs one child to its end. */
  async run(request: ZygoteRequest): Promise<ZygoteExit> {
    await this.ready;
    if (this.ended) throw this.ended;
    const id = ++this.next;
    const { argv, stdout, stderr, stdin, cwd, env, started } = request;
    return new Promise<ZygoteExit>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, started });
      // The env and cwd its own zygote would have given it, also when the zygote is a shared one.
      const message: Record<string, unknown> = { id, argv, stdout, cwd: cwd ?? PROJECT_ROOT, env: env ?? this.env };
      if (stderr !== undefined) message.stderr = stderr;
      if (stdin !== undefined) message.stdin = stdin;
      this.input.write(`${JSON.stringify(message)}\n`);
    });
  }

  /** Ends the zygote, or this connection to the shared one, once its children have ended. */
  close(): Promise<void> {
    if (!this.ended) this.input.end();
    return this.closed;
  }
}
